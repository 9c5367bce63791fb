"""Property-based fuzzing of what a client may send over a socket: whatever arrives, the
consumer answers with well-formed JSON objects of the protocol and the socket stays open.

One socket serves all the examples of a test (as one abusive client would), driven from a
private event loop so that Hypothesis can call it synchronously. The rate limit is lifted
while fuzzing: it has tests of its own.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from realtime.delivery.hub import Hub
from tests.realtime.conftest import Socket, token_for
from tests.security.conftest import realtime_settings

pytestmark = pytest.mark.django_db(transaction=True)

UNLIMITED = {"MESSAGES_PER_SECOND": 10_000, "MESSAGE_BURST": 10_000}
FUZZ = settings(max_examples=200, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
REPLY_TYPES = {"pong", "subscriptions", "marked_read", "error", "resync_required", "realtime_update", "notification"}
RESUME = "resume"  # any number of replayed events, or one resync_required


class SyncSocket:
    """A communicator on an event loop of its own: each call runs the loop until it is done."""

    def __init__(self, path: str) -> None:
        self.loop = asyncio.new_event_loop()
        self.socket = Socket(path)

    def __enter__(self) -> SyncSocket:
        first = self.run(self.socket.connect())
        assert first["type"] == "connection_established", first
        self.frames_until_pong()  # a users socket's stored notifications
        return self

    def __exit__(self, *exc: object) -> None:
        self.run(self.socket.close())
        self.run(Hub.stop_running())
        self.loop.close()

    def run(self, coroutine: Any) -> Any:
        return self.loop.run_until_complete(coroutine)

    def send_text(self, text: str) -> None:
        # Straight to the application: the communicator's send_to() refuses an empty frame.
        self.run(self.socket.communicator.send_input({"type": "websocket.receive", "text": text}))

    def receive(self) -> dict:
        return self.run(self.socket.receive(timeout=5))

    def frames_until_pong(self) -> list[dict]:
        """Sends a ping and returns everything that came before its pong."""
        self.send_text('{"type": "ping"}')
        frames = []
        while (frame := self.receive()) != {"type": "pong"}:
            assert frame["type"] != "<closed>", f"the socket was closed: {frame}"
            frames.append(frame)
        return frames


# --- what a client may send ----------------------------------------------------------------
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=6) | st.dictionaries(st.text(max_size=12), inner, max_size=6),
    max_leaves=25,
)
# Ids that look like numbers, as clients send them by mistake or on purpose: any size, and digits
# that str.isdigit() accepts but int() does not ("²", "፯").
numeric_ids = st.integers() | st.text(st.characters(categories=["Nd", "No"]), min_size=1, max_size=20)
record_ids = st.lists(numeric_ids | st.text(max_size=70) | st.booleans() | st.none(), max_size=12)
known_types = st.sampled_from(["ping", "subscribe", "unsubscribe", "resume", "mark_read", "ack"])
well_formed = st.one_of(
    st.just({"type": "ping"}),
    st.fixed_dictionaries(
        {
            "type": st.sampled_from(["subscribe", "unsubscribe", "mark_read", "ack"]),
            "ids": st.lists(numeric_ids | st.text(min_size=1, max_size=64), max_size=60),
        }
    ),
    st.fixed_dictionaries({"type": st.just("resume"), "last_event_id": st.integers(0, 2**63 - 1)}),
)
malformed = st.fixed_dictionaries(
    {"type": known_types | st.text(max_size=20) | json_values},
    optional={
        "ids": record_ids | json_values,
        "last_event_id": st.integers() | json_values,
        "channel": st.text(max_size=20),
    },
)
messages = well_formed | malformed
frames = st.one_of(
    messages.map(json.dumps),
    json_values.map(json.dumps),
    st.text(max_size=300),
    st.text(alphabet='[]{}",:0123456789.-eE tfnrulasy\\', max_size=300),  # almost JSON
)


# --- what the server should answer ---------------------------------------------------------
def _valid_ids(value: Any) -> bool:
    return (
        isinstance(value, list)
        and len(value) <= 1000
        and all((isinstance(i, int) and not isinstance(i, bool)) or (isinstance(i, str) and 0 < len(i) <= 64) for i in value)
    )


def _notification_id(value: Any) -> bool:
    """A notification id as the protocol takes it: ASCII digits ("٠" is a digit to str.isdigit()), below 2**63."""
    text = str(value)
    return text.isascii() and text.isdigit() and int(text) < 2**63


def expected_reply(frame: str, *, notifications: bool) -> str:
    """The type of the one frame the server answers ``frame`` with (or RESUME), from the protocol."""
    try:
        message = orjson.loads(frame)
    except orjson.JSONDecodeError:
        return "error"
    if not isinstance(message, dict) or not isinstance(message.get("type"), str):
        return "error"
    kind = message["type"]
    if kind == "ping":
        return "pong"
    if kind in ("subscribe", "unsubscribe"):
        return "subscriptions" if _valid_ids(message.get("ids")) else "error"
    if kind == "resume":
        after = message.get("last_event_id")
        return RESUME if isinstance(after, int) and not isinstance(after, bool) and after >= 0 else "error"
    if kind == "ack" and notifications:
        ids = message.get("ids")
        return "silence" if _valid_ids(ids) and all(_notification_id(i) for i in ids) else "error"
    if kind == "mark_read" and notifications:
        ids = message.get("ids")
        return "marked_read" if _valid_ids(ids) and all(_notification_id(i) for i in ids) else "error"
    return "error"


def check_exchange(socket: SyncSocket, frame: str, *, notifications: bool) -> None:
    socket.send_text(frame)
    replies = socket.frames_until_pong()
    expected = expected_reply(frame, notifications=notifications)
    if expected == "pong":
        # The fuzzed ping's pong ended the collection; the next frame is our ping's pong.
        assert replies == [] and socket.receive() == {"type": "pong"}, replies
        return
    for reply in replies:
        assert isinstance(reply, dict) and reply.get("type") in REPLY_TYPES, reply
    if expected == "silence":  # an ack is not answered
        assert replies == [], (frame, replies)
        return
    if expected == RESUME:
        assert {r["type"] for r in replies} <= {"realtime_update", "notification", "resync_required"}, replies
        return
    assert [r["type"] for r in replies] == [expected], (frame, replies)
    if expected == "error":
        assert replies[0]["code"] == "invalid_message" and isinstance(replies[0]["message"], str)


def test_any_frame_on_a_public_channel_gets_a_protocol_answer_and_the_socket_stays_open():
    with realtime_settings(**UNLIMITED), SyncSocket("/ws/services/") as socket:

        @FUZZ
        @given(frame=frames)
        @example(frame="")
        @example(frame="null")
        @example(frame='{"type": "ping", "type": "resume"}')
        @example(frame='{"type": "subscribe", "ids": [1, "a", 2]}')
        @example(frame='{"type": "resume", "last_event_id": 18446744073709551615}')
        @example(frame='{"type": "resume", "last_event_id": 1e400}')
        @example(frame='{"type": "resume", "last_event_id": NaN}')
        @example(frame='{"type": "mark_read", "ids": [1]}')
        def exchange(frame: str) -> None:
            check_exchange(socket, frame, notifications=False)

        exchange()


def test_any_frame_on_the_notification_channel_of_a_signed_in_user(alice):
    with realtime_settings(**UNLIMITED), SyncSocket(f"/ws/users/?token={token_for(alice)}") as socket:

        @FUZZ
        @given(frame=messages.map(json.dumps))
        @example(frame='{"type": "mark_read", "ids": []}')
        @example(frame='{"type": "mark_read", "ids": [1, "2", 3]}')
        @example(frame='{"type": "mark_read", "ids": [-1]}')
        @example(frame='{"type": "resume", "last_event_id": 0}')
        def exchange(frame: str) -> None:
            check_exchange(socket, frame, notifications=True)

        exchange()


# --- deep and large JSON: refused quickly, without a blow-up --------------------------------
def timed_exchange(socket: SyncSocket, text: str) -> tuple[list[dict], float]:
    started = time.perf_counter()
    socket.send_text(text)
    replies = socket.frames_until_pong()
    return replies, time.perf_counter() - started


@pytest.mark.parametrize(
    "text, size_limit",
    [
        pytest.param("[" * 100_000, 1024 * 1024, id="100k-nested-lists-under-a-raised-frame-limit"),
        pytest.param("[" * 60_000 + "]" * 5_000, None, id="60k-nested-lists-under-the-default-limit"),
        pytest.param('{"type":"ping","a":' * 3_000 + "1" + "}" * 3_000, None, id="3k-nested-objects"),
        pytest.param('{"a":' * 200_000 + "1" + "}" * 200_000, 4 * 1024 * 1024, id="200k-nested-objects"),
    ],
)
def test_deeply_nested_json_is_refused_quickly_as_invalid(text, size_limit):
    limits = {**UNLIMITED, **({"MAX_MESSAGE_BYTES": size_limit} if size_limit else {})}
    with realtime_settings(**limits), SyncSocket("/ws/services/") as socket:
        replies, seconds = timed_exchange(socket, text)

    assert [r["code"] for r in replies] == ["invalid_message"]
    assert seconds < 1.0, f"{seconds:.2f}s to refuse {len(text)} bytes of nesting"


@pytest.mark.parametrize(
    "message, answer",
    [
        pytest.param({"type": "subscribe", "ids": [7] * 30_000}, "error", id="30k-ids"),
        pytest.param({"type": "ping", **{f"k{i}": i for i in range(4_000)}}, "pong", id="4k-keys"),
        pytest.param({"type": "subscribe", "ids": [f"{i:064d}" for i in range(900)]}, "subscriptions", id="900-long-ids"),
    ],
)
def test_large_frames_under_the_limit_are_parsed_without_a_blow_up(message, answer):
    text = json.dumps(message, separators=(",", ":"))
    assert len(text) < 64 * 1024
    with realtime_settings(**UNLIMITED), SyncSocket("/ws/services/") as socket:
        replies, seconds = timed_exchange(socket, text)

    assert [r["type"] for r in replies] == ([] if answer == "pong" else [answer])
    assert seconds < 1.0
