"""The synthetic business behind the demo and the benchmarks: one generator, two emitters.

- model.py: what the business is (channels, countries and currencies, prices, exchange
  rates, Stripe's fee, card brands, devices, decline reasons);
- generator.py: `BusinessGenerator`, which draws the business's events from the model
  (users and installs, customers and cards, one-off charges, refunds and disputes) as plain
  records; subscriptions come from devtools/billing (the Billing engine), scripted by
  devtools/billing/demo.py;
- stripe_objects.py: the records as Stripe's API objects, for dj-stripe's
  `sync_from_stripe_data` (the demo, devtools/demo/generator.py);
- copy_rows.py: the records as the rows dj-stripe and the warehouse store, for COPY (the
  benchmark, bench/generate.py).

Pure Python, no Django. To grow the business, add the decision to the generator and its
rendering to both emitters.
"""
