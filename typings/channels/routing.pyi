from collections.abc import Mapping, Sequence
from typing import Any

from channels._types import ASGIApp, Receive, Scope, Send

class ProtocolTypeRouter:
    application_mapping: Mapping[str, ASGIApp]
    def __init__(self, application_mapping: Mapping[str, ASGIApp]) -> None: ...
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None: ...

class URLRouter:
    routes: Sequence[Any]
    def __init__(self, routes: Sequence[Any]) -> None: ...
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None: ...
