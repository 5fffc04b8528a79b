"""Signal receivers that keep the warehouse current. Thin: unpack the signal, call a service."""
