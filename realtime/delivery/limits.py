"""What one server process allows a user or an address: open sockets, and replays (the costly
reads), whose budget all of a user's sockets share so that reconnecting does not buy a new one."""

from __future__ import annotations

from collections import Counter
from typing import TypeVar

from realtime.conf import setting
from realtime.delivery.buckets import Buckets


class SocketLimits:
    def __init__(self) -> None:
        self.sockets_per_user: Counter[int] = Counter()
        self.sockets_per_address: Counter[str] = Counter()
        self._replay_budgets = Buckets()

    def opened(self, user_id: int | None, remote: str) -> None:
        self.sockets_per_address[remote] += 1
        if user_id is not None:
            self.sockets_per_user[user_id] += 1

    def closed(self, user_id: int | None, remote: str) -> None:
        _decrement(self.sockets_per_address, remote)
        if user_id is not None:
            _decrement(self.sockets_per_user, user_id)

    def over_socket_limit(self, user_id: int | None, remote: str) -> str | None:
        """Why one more socket for this user or address would be too many, or None."""
        if user_id is not None and self.sockets_per_user[user_id] >= setting("MAX_SOCKETS_PER_USER"):
            return f"At most {setting('MAX_SOCKETS_PER_USER')} open sockets per user."
        if self.sockets_per_address[remote] >= setting("MAX_SOCKETS_PER_ADDRESS"):
            return f"At most {setting('MAX_SOCKETS_PER_ADDRESS')} open sockets per address."
        return None

    def take_replay_budget(self, user_id: int | None, remote: str, cost: int) -> bool:
        """Take ``cost`` tokens of the replay budget of the user (or of the address, when
        anonymous): the same rate and burst as a socket's messages."""
        key = ("user", user_id) if user_id is not None else ("address", remote)
        return self._replay_budgets.take(key, cost, rate=setting("MESSAGES_PER_SECOND"), burst=setting("MESSAGE_BURST"))


_Key = TypeVar("_Key")


def _decrement(counter: Counter[_Key], key: _Key) -> None:
    counter[key] -= 1
    if counter[key] <= 0:
        del counter[key]
