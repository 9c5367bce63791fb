"""The browser client's presence (realtime.js: presence, watchPresence) in Chromium, against
daphne, with two staff members in two browsers: after a lost connection the client joins and
watches again by itself, and the fresh presence_state replaces what it knew."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from tests.browser.conftest import admin_login
from tests.factories import PetFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.live]

WAIT = {"timeout": 15_000}

# A page of the admin that opens no socket of its own; the session cookie authenticates ours.
BLANK = "/admin/password_change/"

OPEN_CHANNEL = """async () => {
  const realtime = await import("/static/realtime/realtime.js");
  window.realtime = realtime;
  window.channel = new realtime.RealtimeChannel("pets");
  window.joined = {};   // record id -> presence handle
  window.changes = [];  // [record id, type of the frame, names] for every change seen
}"""

JOIN = """([recordId, state]) => {
  window.joined[recordId] = window.realtime.presence(window.channel, recordId, {
    state,
    onChange: (members, change) =>
      window.changes.push([recordId, change.message.type, members.map((m) => `${m.name}:${m.state}`)]),
  });
}"""

# On the page's socket, or on a socket of its own (which only watches).
WATCH = """([recordIds, ownSocket]) => {
  const channel = ownSocket ? new window.realtime.RealtimeChannel("pets") : window.channel;
  window.watch = window.realtime.watchPresence(channel, recordIds, (recordId, members) =>
    window.changes.push([recordId, "watch", members.map((m) => `${m.name}:${m.state}`)]));
}"""

# A connection that drops and, the network being gone, is given up at once: the client is
# "failed" until the browser says it is online again.
DROP = """() => {
  window.channel.options.maxAttempts = 0;
  window.channel._socket.close(4000, "the network went away");
}"""

BACK_ONLINE = """() => {
  window.channel.options.maxAttempts = 5;
  window.dispatchEvent(new Event("online"));
}"""


def open_channel(page: Page, server, user) -> None:
    admin_login(page, server, user, BLANK)
    page.evaluate(OPEN_CHANNEL)
    page.wait_for_function("() => window.channel.state === 'open'", **WAIT)


def members_are(page: Page, record_id: int, members: list[str]) -> None:
    """Wait until the page's handle on the record lists these members (name:state, any order)."""
    page.wait_for_function(
        "([id, expected]) => JSON.stringify(window.joined[id].members.map((m) => `${m.name}:${m.state}`).sort())"
        " === JSON.stringify(expected)",
        arg=[record_id, sorted(members)],
        **WAIT,
    )


def watched_are(page: Page, record_id: int, members: list[str]) -> None:
    page.wait_for_function(
        "([id, expected]) => JSON.stringify(window.watch.members(id).map((m) => `${m.name}:${m.state}`).sort())"
        " === JSON.stringify(expected)",
        arg=[record_id, sorted(members)],
        **WAIT,
    )


def state_is(page: Page, state: str) -> None:
    page.wait_for_function("(state) => window.channel.state === state", arg=state, **WAIT)


def test_after_a_reconnect_the_client_joins_again_and_the_fresh_state_replaces_the_members(
    server, page, second_page, ada, staff, luna
):
    open_channel(page, server, ada)
    open_channel(second_page, server, staff)
    page.evaluate(JOIN, [luna.pk, "viewing"])
    second_page.evaluate(JOIN, [luna.pk, "viewing"])
    second_page.evaluate(WATCH, [[luna.pk], True])
    members_are(page, luna.pk, ["Ada:viewing", "Sam:viewing"])

    page.evaluate(DROP)
    state_is(page, "failed")
    second_page.evaluate(f"() => window.joined[{luna.pk}].leave()")  # Sam goes while Ada is away
    watched_are(second_page, luna.pk, ["Ada:viewing"])  # the server has had Sam's leave

    page.evaluate(BACK_ONLINE)
    state_is(page, "open")
    members_are(page, luna.pk, ["Ada:viewing"])  # Sam's leave was missed; the fresh state has it right
    last = page.evaluate("() => window.changes.at(-1)")
    assert last == [luna.pk, "presence_state", ["Ada:viewing"]]
    assert len(page.sockets) == 2

    page.evaluate(f"() => window.joined[{luna.pk}].update('editing')")  # the new socket is joined
    watched_are(second_page, luna.pk, ["Ada:editing"])


def test_a_dropped_connection_comes_back_by_itself_without_its_user_ever_leaving(server, page, second_page, ada, staff, luna):
    open_channel(page, server, ada)
    open_channel(second_page, server, staff)
    second_page.evaluate(JOIN, [luna.pk, "viewing"])
    page.evaluate(JOIN, [luna.pk, "editing"])
    members_are(second_page, luna.pk, ["Ada:editing", "Sam:viewing"])

    page.evaluate("() => window.channel._socket.close(4000, 'the network went away')")  # reconnects after about 1 s
    page.wait_for_function("() => window.changes.filter(([, type]) => type === 'presence_state').length === 2", **WAIT)
    state_is(page, "open")
    members_are(page, luna.pk, ["Ada:editing", "Sam:viewing"])

    page.evaluate(f"() => window.joined[{luna.pk}].update('viewing')")
    members_are(second_page, luna.pk, ["Ada:viewing", "Sam:viewing"])
    seen_by_sam = [names for record, _, names in second_page.evaluate("() => window.changes") if record == luna.pk]
    with_ada = [any(name.startswith("Ada:") for name in names) for names in seen_by_sam]
    assert all(with_ada[with_ada.index(True) :]), seen_by_sam  # from her arrival on, never a leave


def test_a_watch_is_sent_again_after_a_reconnect_and_forgets_who_left_meanwhile(
    server, page, second_page, ada, staff, alice, luna
):
    milo = PetFactory(owner=alice, name="Milo", species="Gato", age=5)
    open_channel(page, server, ada)
    open_channel(second_page, server, staff)
    second_page.evaluate(WATCH, [[luna.pk, milo.pk], False])
    page.evaluate(JOIN, [luna.pk, "editing"])
    watched_are(second_page, luna.pk, ["Ada:editing"])
    assert second_page.evaluate(f"() => window.watch.members({milo.pk})") == []

    second_page.evaluate(DROP)
    state_is(second_page, "failed")
    page.evaluate(f"() => window.joined[{luna.pk}].leave()")  # Ada moves on while Sam is away
    page.evaluate(JOIN, [milo.pk, "viewing"])
    members_are(page, milo.pk, ["Ada:viewing"])

    second_page.evaluate(BACK_ONLINE)
    watched_are(second_page, milo.pk, ["Ada:viewing"])
    watched_are(second_page, luna.pk, [])  # nobody has Luna open any more: no state comes for it


def test_the_client_refuses_what_the_server_would_refuse(server, page, ada, luna):
    open_channel(page, server, ada)
    problems = page.evaluate(
        """(recordId) => {
          const { presence, watchPresence } = window.realtime;
          const refused = (attempt) => { try { attempt(); return null; } catch (error) { return error.name; } };
          const ids = Array.from({ length: 101 }, (_, n) => n + 1);
          const first = presence(window.channel, recordId);
          return [
            refused(() => presence(window.channel, recordId)),          // joined already
            refused(() => presence(window.channel, 12, { state: "typing" })),
            refused(() => presence(window.channel, null)),
            refused(() => first.update("sleeping")),
            refused(() => watchPresence(window.channel, ids, () => {})),
          ];
        }""",
        luna.pk,
    )
    assert problems == ["Error", "TypeError", "TypeError", "TypeError", "RangeError"]
