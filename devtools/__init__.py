"""Tooling outside the runtime apps: the demo, generators, the Stripe API double."""
