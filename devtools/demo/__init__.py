"""The demo business: a deterministic generator, its loader and a live payment stream.

- `generator`: builds app installs and Stripe-shaped JSON objects (pure Python, no database);
- `loader`: feeds them through `import_installs` and dj-stripe's own `sync_from_stripe_data`,
  so the warehouse fills through the same signals as in production;
- `live`: makes payments, failures and refunds in the Stripe API double and delivers the
  signed events to the webhook endpoint over HTTP;
- `setup`: demo logins and the local webhook endpoint.

Nothing here runs in production; the management commands `load_demo_data`, `demo` and
`demo_stream` are the entry points.
"""
