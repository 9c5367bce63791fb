# What the parts of ``ChannelConsumer`` (``Sending``, ``ClientProtocol``, ``CatchingUp``) share, for the
# type checker only: each part subclasses this under ``TYPE_CHECKING`` (at run time, ``object``), so
# that one part's use of another's state or methods is checked. There is no .py: nothing imports it
# at run time, and the values (defaults included) live on ``ChannelConsumer``.
import asyncio
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from channels.generic.websocket import AsyncWebsocketConsumer

from realtime.declaring.registry import Publication
from realtime.delivery.hub import Hub
from realtime.log.event_log import Delivery
from realtime.speedups.daphne import FrameWriter

class SocketState(AsyncWebsocketConsumer):
    # ChannelConsumer
    channel: str
    user_id: int | None
    is_staff: bool
    remote: str
    publication: Publication | None
    hub: Hub | None
    closing: bool
    opened: float
    sent: int
    sent_upto: int
    floor: int
    connected_at: int
    replayed_from: int
    record_filter: set[str] | None
    _buffer: list[Delivery] | None
    _write_frame: FrameWriter | None
    _unsent: Callable[[], int] | None
    _queue: deque[Delivery] | None
    _queued_bytes: int
    _sender: asyncio.Task[None] | None
    _catching_up: asyncio.Task[None] | None
    _deferred: deque[tuple[str | None, bytes | None]] | None
    _tasks: set[asyncio.Future[Any]] | None
    _backlog_ids: frozenset[str]
    _bucket: tuple[float, float]
    _registered: bool
    _finished: bool
    def _leave_hub(self) -> bool: ...
    def _background(self, work: Awaitable[Any]) -> None: ...
    async def _end(self, code: int, error: str, message: str) -> None: ...
    # Sending
    def push(self, deliveries: list[Delivery]) -> None: ...
    async def _send_delivery(self, delivery: Delivery) -> None: ...
    def _release_buffer(self) -> None: ...
    # ClientProtocol
    async def _act(self, text_data: str | None, bytes_data: bytes | None) -> None: ...
    def _take_token(self, cost: int = 1) -> bool: ...
    def _rate_limited(self) -> None: ...
    # CatchingUp
    def _catch_up(self, work: Coroutine[Any, Any, None]) -> None: ...
    def _charge_replay(self, after: int, upto: int) -> bool: ...
    async def _resume(self, after: int) -> None: ...
