"""PetLand's fan-out benchmark: ``python -m bench --help``.

It starts each server it measures on its own loopback port (the project under daphne, and the
peers of ``../shared/peers`` when present), opens sockets across several client processes,
makes changes over HTTP and reports delivered/expected, deliveries/s and latency percentiles.
See docs/performance.md for the results and how to read them.
"""
