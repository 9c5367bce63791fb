"""Carries numbered events from the process that committed them to every server process's hub.

With a shared channel layer (channels_redis) a batch of events is one ``group_send`` to the
group every hub subscribes to: one Redis PUBLISH per batch, however many sockets listen.

In a server process (one with a running hub, which served the write) the batch is handed to the
hub directly: the hub fans it out to its sockets at once, then publishes it to the layer from
its own event loop for the other processes, and ignores the layer's copy when it comes back (a
hub drops events at or below its position). A request's thread then waits, briefly, until that
fan-out is done: its sockets get their frames without the thread competing for the GIL, and
the write's HTTP response leaves after the frames it caused (``LOCAL_FAN_OUT_WAIT_SECONDS``
bounds the wait). Only a thread of its own waits (a request's, under the ASGI handler's
``ThreadSensitiveContext``): the one thread that other thread-sensitive sync code shares
(``database_sync_to_async`` from a consumer or a test) is where the hub itself reads the log,
and a writer waiting there would hold those reads up. The other processes get the batch after
this process's fan-out: for a few sockets a fraction of a millisecond, for a thousand a few.

Elsewhere (a shell, a management command, a worker) the batch goes to a long-lived event loop in
a background thread, so sync code never pays for a new loop and Redis connection per call.
Without a shared layer (the in-memory layer) the hand-off to the hub is the only path.

Publishing never raises into the caller: the events are already in the log, and every hub
polls the log for what the layer failed to bring (``realtime.delivery.hub``).

The channel layer's side of it (the publisher thread, the message type, the deployment
identity every batch carries) is ``realtime.delivery.layer``.
"""

from __future__ import annotations

from collections.abc import Sequence

from realtime import observability, speedups
from realtime.delivery.hub import Hub
from realtime.delivery.layer import deployment_identity, layer_publisher, uses_shared_layer
from realtime.log.event_log import Delivery

LOCAL_FAN_OUT_WAIT_SECONDS = 0.05  # the longest a committing thread waits for its own hub


def publish(deliveries: Sequence[Delivery]) -> None:
    """Hand numbered events to every hub that should fan them out."""
    if not deliveries:
        return
    for delivery in deliveries:
        observability.PUBLISHED.labels(delivery.channel).inc()
    shared = uses_shared_layer()
    if shared:
        # Read (once) here, where this thread's database connection is at hand: the publisher's
        # own thread would open one of its own and hold it for the process's life.
        deployment_identity()
    wait = in_a_thread_of_its_own()
    handed = Hub.deliver_local(deliveries, publish=shared, track=wait)
    if shared and not handed.publishing:
        layer_publisher.submit(deliveries)
    if wait:
        handed.wait(LOCAL_FAN_OUT_WAIT_SECONDS)


def in_a_thread_of_its_own() -> bool:
    """Whether this sync code runs in a request's thread of its own (asgiref's, an internal:
    ``realtime.speedups.asgiref``). Without the speed-ups it is never known, so no writer waits
    for its hub: the HTTP response may then leave before the frames it caused."""
    if not speedups.enabled():
        return False
    from realtime.speedups import asgiref

    return asgiref.in_a_thread_of_its_own()
