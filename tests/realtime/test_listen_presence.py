"""``manage.py listen --presence`` and ``--watch`` against a real daphne: the terminal shows who
comes to a record, changes state and goes, as presence frames arrive."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import datetime

import pytest
from django.core.management import CommandError, call_command

from tests.factories import PetFactory, StaffFactory
from tests.support.listen import Listen, listeners
from tests.support.servers import Daphne

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.live]

LEAVE_SECONDS = 30  # a closed socket's user leaves after a few seconds' grace


@pytest.fixture
def server() -> Iterator[Daphne]:
    with Daphne() as daphne:
        yield daphne


@pytest.fixture
def listening() -> Iterator[Callable[..., Listen]]:
    with listeners() as start:
        yield start


@pytest.fixture
def ada(db):
    return StaffFactory(username="ada_admin", is_superuser=True, first_name="Ada")


def test_listen_presence_joins_the_record_and_prints_who_comes_changes_and_goes(server, listening, staff, ada, alice):
    luna = PetFactory(owner=alice, name="Luna")
    sam = listening("pets", "--user", staff.username, "--presence", str(luna.pk), "--json", "--url", server.ws)

    state = json.loads(sam.line(timeout=60))
    assert set(state) == {"type", "channel", "record_id", "members"} | ({"count"} & set(state))
    assert (state["type"], state["channel"], state["record_id"]) == ("presence_state", "pets", luna.pk)
    assert [(m["user_id"], m["name"], m["is_staff"], m["state"]) for m in state["members"]] == [
        (str(staff.pk), "Sam", True, "viewing")
    ]
    datetime.fromisoformat(state["members"][0]["since"])

    ada_listening = listening("pets", "--user", ada.username, "--presence", str(luna.pk), "--editing", "--url", server.ws)
    assert ada_listening.line(timeout=60).startswith(f"presence pets #{luna.pk}: here ")  # a readable line
    diff = json.loads(sam.line(timeout=60))
    assert (diff["type"], diff["record_id"], diff["leaves"]) == ("presence_diff", luna.pk, [])
    assert [(m["user_id"], m["name"], m["state"]) for m in diff["joins"]] == [(str(ada.pk), "Ada", "editing")]

    ada_listening.stop()  # her process goes away: her socket closes
    gone = json.loads(sam.line(timeout=LEAVE_SECONDS))
    assert (gone["type"], gone["joins"], gone["leaves"]) == ("presence_diff", [], [str(ada.pk)])


def test_listen_watch_prints_a_records_presence_without_joining_it(server, listening, staff, ada, alice):
    luna = PetFactory(owner=alice, name="Luna")
    milo = PetFactory(owner=alice, name="Milo")
    watcher = listening("pets", "--user", staff.username, "--watch", str(luna.pk), str(milo.pk), "--url", server.ws)
    watcher.status("listening on pets")

    editor = listening("pets", "--user", ada.username, "--presence", str(milo.pk), "--editing", "--url", server.ws)

    line = watcher.line(timeout=60)
    assert line.startswith(f"presence pets #{milo.pk}: ")
    assert f"Ada (user {ada.pk}, editing since " in line
    assert "Sam" not in line  # watching is not membership
    here = editor.line(timeout=60)
    assert here.startswith(f"presence pets #{milo.pk}: here Ada (user {ada.pk}, editing since ") and "Sam" not in here


def test_listen_presence_on_a_record_one_may_not_see_is_refused_and_the_socket_stays(server, listening, alice, bob):
    bobs = PetFactory(owner=bob, name="Rex")
    listener = listening("pets", "--user", alice.username, "--presence", str(bobs.pk), "--count", "1", "--url", server.ws)

    assert "error forbidden" in listener.status("error", timeout=60)
    PetFactory(owner=alice, name="Luna")  # still listening: her own pet's event arrives
    assert "name='Luna'" in listener.line(timeout=60)
    assert listener.wait() == 0


def test_listen_refuses_bad_presence_arguments(alice):
    with pytest.raises(CommandError, match="--editing goes with --presence"):
        call_command("listen", "pets", "--editing")
    with pytest.raises(CommandError, match="--presence takes at most 50 records"):
        call_command("listen", "pets", "--presence", *[str(n) for n in range(1, 52)])
    with pytest.raises(CommandError, match="--watch takes at most 100 records"):
        call_command("listen", "pets", "--watch", *[str(n) for n in range(1, 102)])
