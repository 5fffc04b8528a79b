"""Development tooling: never imported by the runtime apps (stripe_dwh, warehouse, reports).

- `demo/`: the synthetic demo business, its loader, the live payment stream and demo set-up;
- `billing/`: a deterministic Stripe Billing simulator (API version 2026-05-27.dahlia), its
  offline dj-stripe loader, bulk rows for COPY and its part of the Stripe API double;
- `management/commands/`: `demo`, `demo_stream` and `load_demo_data`;
- `stripe_double`: the local Stripe API double (localstripe, a development dependency);
- `webhook_delivery`: signs and delivers webhook events as Stripe does (tests, demo, bench);
- `ports`: free-port and wait-for-port helpers.

It is a Django app only so that its management commands register.
"""
