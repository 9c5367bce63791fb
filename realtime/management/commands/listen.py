"""``manage.py listen <channel> --user <username>``: print a channel's events as they arrive.

A debugging tool: it connects to a running server like any client, so it shows exactly what
a browser on that channel would receive. Events go to stdout (one JSON object a line with
``--json``), everything else (connected, reconnecting, refused) to stderr. It reconnects
after a lost connection as the browser client does, resuming after the last event it printed.

With ``--presence 12 [13 ...]`` it joins those records' presence as a viewer (``--editing``:
as an editor) and prints the ``presence_state`` and ``presence_diff`` frames of the channel as
they arrive; ``--watch 12 [13 ...]`` prints them without joining (as a changelist does). Both
are sent again after every reconnect: presence is not replayed.
"""

from __future__ import annotations

import json
import random
import time
from typing import Any, cast
from urllib.parse import urlencode

from django.core.management.base import BaseCommand, CommandError, CommandParser
from rest_framework_simplejwt.tokens import AccessToken
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI
from websockets.sync.client import ClientConnection, connect

from realtime.management.commands.notify import find_user
from realtime.declaring.registry import registry

FINAL_CLOSE_CODES = {
    4401: "unauthenticated",
    4403: "forbidden",
    4404: "unknown channel",
    1008: "policy violation",
    4429: "policy violation",  # 1008 as a server without the speed-ups sends it
}
MAX_ATTEMPTS = 5
MAX_JOINED = 50  # topics one socket may join (docs/protocol.md)
MAX_WATCHED = 100  # records one socket may watch
PRESENCE_FRAMES = ("presence_state", "presence_diff")


class Refused(Exception):
    """The server closed with a code after which reconnecting cannot help."""


class Command(BaseCommand):
    help = "Print the events of a real-time channel as they arrive (a client of a running server)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("channel", help="a channel of the publications table, e.g. users")
        who = parser.add_mutually_exclusive_group()
        who.add_argument("--user", help="Listen as this user (username or id); a token is minted locally.")
        who.add_argument("--token", help="A JWT access token to listen with.")
        parser.add_argument("--last-event-id", type=int, default=None, help="First replay every event after this id.")
        parser.add_argument("--url", default="ws://127.0.0.1:8000", help="The server (default ws://127.0.0.1:8000).")
        parser.add_argument("--json", action="store_true", help="Each event as the JSON text received, one a line.")
        parser.add_argument("--count", type=int, default=None, help="Exit after this many events (presence frames count too).")
        parser.add_argument(
            "--presence",
            nargs="+",
            type=_record_id,
            default=[],
            metavar="RECORD_ID",
            help="Join these records' presence (as viewing) and print who comes, changes state and goes.",
        )
        parser.add_argument("--editing", action="store_true", help="With --presence: join as editing, not viewing.")
        parser.add_argument(
            "--watch",
            nargs="+",
            type=_record_id,
            default=[],
            metavar="RECORD_ID",
            help="Print the presence of these records without joining them.",
        )
        parser.add_argument(
            "--reconnect-delay", type=float, default=1.0, help="Seconds before the first reconnect (doubles each time)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["last_event_id"] is not None and options["last_event_id"] < 0:
            raise CommandError("--last-event-id must be 0 or more.")
        if options["count"] is not None and options["count"] < 1:
            raise CommandError("--count must be 1 or more.")
        if len(set(options["presence"])) > MAX_JOINED:
            raise CommandError(f"--presence takes at most {MAX_JOINED} records (one socket's limit).")
        if len(set(options["watch"])) > MAX_WATCHED:
            raise CommandError(f"--watch takes at most {MAX_WATCHED} records (one socket's limit).")
        if options["editing"] and not options["presence"]:
            raise CommandError("--editing goes with --presence.")
        state = "editing" if options["editing"] else "viewing"
        self.presence_messages = _presence_messages(options["presence"], state, options["watch"])
        token = options["token"] or (_token_for(options["user"]) if options["user"] else None)
        self.as_json = options["json"]
        self.last_event_id: int | None = options["last_event_id"]
        self.remaining: int | None = options["count"]
        base = options["url"].rstrip("/")
        if not base.startswith(("ws://", "wss://")):
            raise CommandError("--url must start with ws:// or wss://")
        attempts = 0
        try:
            while True:
                try:
                    self._listen(base, options["channel"], token)
                    return  # --count reached
                except Refused as refused:
                    raise CommandError(str(refused)) from None
                except (OSError, ConnectionClosed, InvalidHandshake, TimeoutError) as lost:
                    if self.connected:
                        attempts = 0
                    attempts += 1
                    if attempts > MAX_ATTEMPTS:
                        raise CommandError(f"Gave up after {MAX_ATTEMPTS} attempts: {_describe(lost)}") from None
                    delay = options["reconnect_delay"] * 2 ** (attempts - 1) * random.uniform(0.75, 1.25)
                    self._status(f"connection lost ({_describe(lost)}); reconnecting in {delay:.1f}s")
                    time.sleep(delay)
        except KeyboardInterrupt:
            self._status("stopped")

    def _listen(self, base: str, channel: str, token: str | None) -> None:
        self.connected = False
        self.refusal = ""  # the error message a refused connection receives before its close
        params = {k: v for k, v in (("token", token), ("last_event_id", self.last_event_id)) if v is not None}
        url = f"{base}/ws/{channel}/" + (f"?{urlencode(params)}" if params else "")
        try:
            ws = connect(url, open_timeout=10, max_size=2**22)
        except InvalidURI as error:
            raise CommandError(f"Bad --url: {error}") from None
        with ws:
            while True:
                text, message = self._receive(ws)
                if message is None:
                    continue
                if self._handle(ws, text, message, channel) and self.remaining is not None:
                    self.remaining -= 1
                    if self.remaining <= 0:
                        return

    def _receive(self, ws: ClientConnection) -> tuple[str, dict[str, Any] | None]:
        try:
            text = ws.recv()
        except ConnectionClosed as closed:
            received = closed.rcvd
            if received is not None and received.code in FINAL_CLOSE_CODES:
                code = received.code
                raise Refused(f"Refused ({code} {FINAL_CLOSE_CODES[code]}): {self.refusal or received.reason}") from None
            raise
        try:
            message = json.loads(text)
        except (TypeError, ValueError):
            self._status(f"ignored a frame that is not JSON: {text!r:.80}")
            return str(text), None
        return cast(str, text), message if isinstance(message, dict) else None  # the server sends text frames only

    def _handle(self, ws: ClientConnection, text: str, message: dict[str, Any], channel: str) -> bool:
        """Print one message (``text`` as received, with --json); True when it was an event."""
        kind = message.get("type")
        event_id = message.get("event_id")
        if isinstance(event_id, int):
            if self.last_event_id is not None and event_id <= self.last_event_id:
                return False  # already printed before a reconnect
            self.last_event_id = event_id
        if kind in ("realtime_update", "notification") or (kind in PRESENCE_FRAMES and self.presence_messages):
            self.stdout.write(text if self.as_json else _presence_line(message) if kind in PRESENCE_FRAMES else _line(message))
            self.stdout.flush()
            return True
        publication = registry().for_channel(channel)
        if publication is not None and publication.relay is not None and kind == publication.relay.message_type:
            fields = " ".join(f"{key}={value!r}" for key, value in message.items() if key != "type")
            self.stdout.write(text if self.as_json else f"{kind} {fields}")  # relayed, not an event: no number
            self.stdout.flush()
            return False
        if kind == "connection_established":
            self.connected = True
            for presence_message in self.presence_messages:  # joined again after every reconnect
                ws.send(json.dumps(presence_message))
            if self.last_event_id is None:
                self.last_event_id = message.get("last_event_id")
            who = f"user {message['user_id']}" if message.get("user_id") else "anonymous"
            self._status(f"listening on {channel} as {who} (last event {message.get('last_event_id')})")
        elif kind == "resync_required":
            self.last_event_id = message.get("last_event_id", self.last_event_id)
            self._status("resync required: events were missed that the server no longer keeps")
        elif kind == "error":
            self.refusal = str(message.get("message", ""))
            self._status(f"error {message.get('code')}: {message.get('message')}")
        return False

    def _status(self, text: str) -> None:
        self.stderr.write(f"listen: {text}")
        self.stderr.flush()


def _token_for(name: str) -> str:
    user = find_user(name)
    if not user.is_active:
        raise CommandError(f"User {name!r} is not active.")
    return str(AccessToken.for_user(user))


def _line(message: dict[str, Any]) -> str:
    """A readable line: ``#42 10:30:00 books created book_id=1 title='Dune' ...``."""
    data = dict(message.get("data") or {})
    publication = registry().for_channel(str(message.get("entity_type")))
    if publication is not None and publication.id_key in data:  # the record's id first, whatever the key order
        data = {publication.id_key: data.pop(publication.id_key), **data}
    fields = " ".join(f"{key}={value!r}" for key, value in data.items())
    when = str(message.get("timestamp", ""))[11:19]
    if message.get("type") == "notification":
        head = f"notification {message.get('notification_type')} for user {message.get('user_id')}"
    else:
        head = f"{message.get('entity_type')} {message.get('action')}"
    return f"#{message.get('event_id')} {when} {head} {fields}".rstrip()


def _describe(error: BaseException) -> str:
    if isinstance(error, ConnectionClosed):
        return f"closed with code {error.rcvd.code}" if error.rcvd else "connection dropped"
    return str(error) or type(error).__name__


def _record_id(text: str) -> int | str:
    """A record id as events carry it: an integer when it is one."""
    if not text:
        raise ValueError("an empty record id")
    return int(text) if text.isdigit() else text


def _presence_messages(joined: list[int | str], state: str, watched: list[int | str]) -> list[dict[str, Any]]:
    """What to send on each connect: a join per record, and the watched records (in one message)."""
    sent: list[dict[str, Any]] = [
        {"type": "presence_join", "record_id": record_id, "state": state} for record_id in dict.fromkeys(joined)
    ]
    if watched:
        sent.append({"type": "presence_watch", "record_ids": list(dict.fromkeys(watched))})
    return sent


def _presence_line(message: dict[str, Any]) -> str:
    """``presence books #12: here Maria (user 7, editing since 10:30:00)`` for a state, ``joined ...;
    left user 3`` for a diff."""
    head = f"presence {message.get('channel')} #{message.get('record_id')}:"
    if message.get("type") == "presence_state":
        members = list(message.get("members") or [])
        more = int(message.get("count") or len(members)) - len(members)
        listed = ", ".join(_member(member) for member in members) or "nobody"
        return f"{head} here {listed}" + (f" and {more} more" if more > 0 else "")
    parts = []
    if message.get("joins"):
        parts.append("joined " + ", ".join(_member(member) for member in message["joins"]))
    if message.get("leaves"):
        parts.append("left " + ", ".join(f"user {user_id}" for user_id in message["leaves"]))
    return f"{head} {'; '.join(parts) or 'no change'}"


def _member(member: dict[str, Any]) -> str:
    user_id = member.get("user_id")
    since = str(member.get("since", ""))[11:19]
    when = f" since {since}" if since else ""
    return f"{member.get('name') or f'user {user_id}'} (user {user_id}, {member.get('state')}{when})"
