from typing import Any

from channels._types import ASGIApp, Message, Receive, Scope, Send

def get_handler_name(message: Message) -> str: ...

class AsyncConsumer:
    channel_layer_alias: str
    scope: Scope
    base_send: Send
    channel_layer: Any
    channel_name: str
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None: ...
    async def dispatch(self, message: Message) -> None: ...
    async def send(self, message: Message) -> None: ...
    @classmethod
    def as_asgi(cls, **initkwargs: Any) -> ASGIApp: ...
