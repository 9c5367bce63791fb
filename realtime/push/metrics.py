"""The push worker's metrics: every outcome, and how far it is behind the log. The worker is
its own process: with ``PROMETHEUS_MULTIPROC_DIR`` shared with the servers, ``/metrics``
shows these too (docs/operations.md)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

OUTCOMES = Counter(
    "realtime_push_outcomes_total",
    "Web Push outcomes: sent, shortened (sent again after 413), gone (404/410, subscription deleted), "
    "retry (429/5xx/network), gave_up, refused (other 4xx), skipped_read, skipped_online, deferred",
    ["outcome"],
)
LAG = Gauge("realtime_push_lag_events", "Events in the log the push worker has not read yet", multiprocess_mode="max")
PENDING = Gauge(
    "realtime_push_pending", "Pushes waiting: deferred while the user may come back, or to be retried", multiprocess_mode="max"
)
