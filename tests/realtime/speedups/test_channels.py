"""Guard for ``realtime.speedups.channels``: the loop and dispatch that replace Channels' do
what Channels' own do for a consumer without a layer channel (the same attributes set, the same
handler picked, ``StopConsumer`` ending the loop), minus Channels' ``aclose_old_connections``
before each message."""

from __future__ import annotations

import asyncio
import inspect
from typing import Any

import pytest
from channels.consumer import AsyncConsumer, get_handler_name
from channels.exceptions import StopConsumer

from realtime.speedups import channels as consumer_loop


class Recorder(AsyncConsumer):
    channel_layer_alias = "no-such-layer"  # no layer channel, as realtime's consumer

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[str] = []

    async def dispatch(self, message: dict[str, Any]) -> None:
        await consumer_loop.dispatch(self, message)

    async def websocket_receive(self, message: dict[str, Any]) -> None:
        self.seen.append(message["text"])

    async def websocket_disconnect(self, message: dict[str, Any]) -> None:
        raise StopConsumer


def messages(*texts: str) -> Any:
    queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    for text in texts:
        queue.put_nowait({"type": "websocket.receive", "text": text})
    queue.put_nowait({"type": "websocket.disconnect", "code": 1000})
    return queue.get


async def no_send(message: dict[str, Any]) -> None:
    pass


@pytest.mark.parametrize("loop", ["channels", "speedup"])
def test_both_loops_hand_every_message_to_its_handler_in_order_and_set_the_same_attributes(loop):
    consumer = Recorder()
    scope = {"type": "websocket"}
    if loop == "channels":
        asyncio.run(consumer(scope, messages("a", "b"), no_send))
    else:
        asyncio.run(consumer_loop.run(consumer, scope, messages("a", "b"), no_send))
    assert consumer.seen == ["a", "b"]
    assert consumer.scope is scope and consumer.base_send is no_send and consumer.channel_layer is None


def test_handler_names_are_the_message_types_with_underscores():
    assert get_handler_name({"type": "websocket.receive"}) == "websocket_receive"
    with pytest.raises(ValueError, match="No handler"):
        asyncio.run(consumer_loop.dispatch(Recorder(), {"type": "no.such"}))


def test_channels_dispatch_still_closes_old_connections_first():
    # Why the speed-up exists: a thread hop per message that realtime's consumer does not need.
    assert "aclose_old_connections" in inspect.getsource(AsyncConsumer.dispatch)
