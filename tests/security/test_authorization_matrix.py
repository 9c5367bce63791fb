"""Nothing leaks: every REST endpoint and every WebSocket channel, for every persona, for every
action, authenticated as real clients are (a JWT access token).

The records under test are alice's. Bob is another customer; ``deactivated`` is alice after
her account was disabled, holding an access token that has not expired. Besides the status
codes, every answer that reaches anyone but alice and staff is searched for alice's data.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.db import models as db_models
from django.utils import timezone

from petland import models
from petland.chat import services as chat
from realtime.models import Notification
from realtime.declaring.notifications import notification_service
from tests.factories import (
    EmployeeFactory,
    InvoiceFactory,
    MedicalRecordFactory,
    PaymentFactory,
    PetFactory,
    ReservationFactory,
    ServiceFactory,
    UserFactory,
)
from tests.security.conftest import (
    ALICE,
    ANONYMOUS,
    BOB,
    DEACTIVATED,
    STAFF,
    World,
    disable,
    mentions_alice,
    token_for,
)
from tests.support import endpoints

# =============================================================================================
# REST
# =============================================================================================


def alices_record(world: World, endpoint: str) -> db_models.Model:
    """The record of each endpoint that the matrix reads, changes and deletes."""
    a = world.of_alice
    return {
        "pets": lambda: a.pet,
        "services": lambda: world.spare_service,
        "reservations": lambda: a.reservation,
        "payments": lambda: a.payment,
        "invoices": lambda: a.invoice,
        "medical-history": lambda: a.medical_record,
        "employees": lambda: world.employee,
        "activity-logs": lambda: models.ActivityLog.objects.get(entity_type="pet", entity_id=str(a.pet.pk), action="created"),
        "notifications": lambda: Notification.objects.get(user=world.alice, type="pet_created"),
    }[endpoint]()


def _soon(days: int) -> str:
    return (timezone.now() + timedelta(days=days)).isoformat()


def create_body(world: World, endpoint: str, persona: str) -> dict[str, Any]:
    """A valid new record: a customer works with their own records, staff name alice's."""
    own = world.of_bob if persona == BOB else world.of_alice
    for_alice = {"owner": world.alice.pk} if persona == STAFF else {}
    return {
        "pets": lambda: {"name": "Nala", "species": "Gato", "age": 2, **for_alice},
        "services": lambda: {"name": "Puppy class", "price": "25.00", "duration": 45},
        "reservations": lambda: {
            "pet": own.pet.pk,
            "service": world.service.pk,
            "checkin_date": _soon(10),
            "checkout_date": _soon(12),
        },
        "payments": lambda: {"reservation": own.reservation.pk, "amount": "25.00", "method": "cash"},
        "invoices": lambda: {"total": "25.00", **({"user": world.alice.pk} if persona == STAFF else {})},
        "medical-history": lambda: {"pet": own.pet.pk, "date": "2026-11-20", "description": "Vaccination"},
        "employees": lambda: {"user": UserFactory(username="new_hire").pk, "position": "Groomer", "hire_date": "2024-05-01"},
        "activity-logs": lambda: {"action": "created", "entity_type": "pet", "entity_id": "1", "summary": "forged"},
        "notifications": lambda: {"type": "success", "data": {"message": "forged"}},
    }[endpoint]()


# The endpoints' records (tests/support/endpoints.py), and the notifications this matrix adds.
UPDATE: dict[str, tuple[str, str]] = {**endpoints.UPDATE, "notifications": ("type", "forged")}
MODEL: dict[str, type[db_models.Model]] = {**endpoints.MODEL, "notifications": Notification}

# list, retrieve alice's record, create, update alice's, delete alice's
REFUSED = (401, 401, 401, 401, 401)  # not signed in, a bad token, or a disabled account
OWNER = (200, 200, 201, 200, 204)
OTHER_CUSTOMER = (200, 404, 201, 404, 404)  # bob: alice's records do not exist for him
STAFF_ONLY = (403, 403, 403, 403, 403)
EVERYTHING = (200, 200, 201, 200, 204)

REST_MATRIX: list[tuple[str, str, tuple[int, int, int, int, int]]] = [
    # endpoint          persona       list retrieve create update delete
    ("pets",            ANONYMOUS,    REFUSED),
    # Her pet has reservations, payments, medical records: she may not delete them with it.
    ("pets",            ALICE,        (200, 200, 201, 200, 403)),
    ("pets",            BOB,          OTHER_CUSTOMER),
    ("pets",            STAFF,        EVERYTHING),
    ("pets",            DEACTIVATED,  REFUSED),

    ("services",        ANONYMOUS,    (200, 200, 401, 401, 401)),
    ("services",        ALICE,        (200, 200, 403, 403, 403)),
    ("services",        BOB,          (200, 200, 403, 403, 403)),
    ("services",        STAFF,        EVERYTHING),
    # A token that names a disabled account is refused even where no token is needed.
    ("services",        DEACTIVATED,  REFUSED),

    ("reservations",    ANONYMOUS,    REFUSED),
    # Customers book and cancel; staff confirm (the update here), check in, complete and delete.
    ("reservations",    ALICE,        (200, 200, 201, 403, 403)),
    ("reservations",    BOB,          OTHER_CUSTOMER),
    ("reservations",    STAFF,        EVERYTHING),
    ("reservations",    DEACTIVATED,  REFUSED),

    ("payments",        ANONYMOUS,    REFUSED),
    # Customers make payments (pending); only staff change or delete them.
    ("payments",        ALICE,        (200, 200, 201, 403, 403)),
    ("payments",        BOB,          OTHER_CUSTOMER),
    ("payments",        STAFF,        EVERYTHING),
    ("payments",        DEACTIVATED,  REFUSED),

    ("invoices",        ANONYMOUS,    REFUSED),
    # Invoices are read-only to customers.
    ("invoices",        ALICE,        (200, 200, 403, 403, 403)),
    ("invoices",        BOB,          (200, 404, 403, 404, 404)),
    ("invoices",        STAFF,        EVERYTHING),
    ("invoices",        DEACTIVATED,  REFUSED),

    # Medical records are read-only to customers.
    ("medical-history", ANONYMOUS,    REFUSED),
    ("medical-history", ALICE,        (200, 200, 403, 403, 403)),
    ("medical-history", BOB,          (200, 404, 403, 403, 403)),
    ("medical-history", STAFF,        EVERYTHING),
    ("medical-history", DEACTIVATED,  REFUSED),

    ("employees",       ANONYMOUS,    REFUSED),
    ("employees",       ALICE,        STAFF_ONLY),
    ("employees",       BOB,          STAFF_ONLY),
    ("employees",       STAFF,        EVERYTHING),
    ("employees",       DEACTIVATED,  REFUSED),

    # The activity log records what happened; nobody writes to it.
    ("activity-logs",   ANONYMOUS,    REFUSED),
    ("activity-logs",   ALICE,        STAFF_ONLY),
    ("activity-logs",   BOB,          STAFF_ONLY),
    ("activity-logs",   STAFF,        (200, 200, 405, 405, 405)),
    ("activity-logs",   DEACTIVATED,  REFUSED),

    # Notifications are personal, staff's included; they are made by the server only.
    ("notifications",   ANONYMOUS,    REFUSED),
    ("notifications",   ALICE,        (200, 200, 405, 405, 405)),
    ("notifications",   BOB,          (200, 404, 405, 405, 405)),
    ("notifications",   STAFF,        (200, 404, 405, 405, 405)),
    ("notifications",   DEACTIVATED,  REFUSED),
]  # fmt: skip


def may_see_alices(endpoint: str, persona: str) -> bool:
    """Alice and staff see her records; everyone sees services; her notifications are hers only."""
    return endpoint == "services" or persona == ALICE or (persona == STAFF and endpoint != "notifications")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "endpoint, persona, expected",
    [pytest.param(e, p, x, id=f"{e}-{p}") for e, p, x in REST_MATRIX],
)
def test_rest(world, api_as, endpoint, persona, expected):
    list_, retrieve, create, update, delete = expected
    target = alices_record(world, endpoint)
    model, url = MODEL[endpoint], f"/api/{endpoint}/"
    payload = create_body(world, endpoint, persona)
    client = api_as(persona)
    may_see = may_see_alices(endpoint, persona)
    answers = []

    response = client.get(url)
    answers.append(response)
    assert response.status_code == list_, ("list", response.content)
    if list_ == 200:
        listed = {item["id"] for item in response.json()["results"]}
        assert (target.pk in listed) is may_see

    response = client.get(f"{url}{target.pk}/")
    answers.append(response)
    assert response.status_code == retrieve, ("retrieve", response.content)
    if retrieve == 200:
        assert response.json()["id"] == target.pk
    if retrieve == 404:
        # Alice's record answers exactly as one that never existed: no oracle of existence.
        assert response.content == client.get(f"{url}987654/").content

    before = model.objects.count()
    response = client.post(url, payload, format="json")
    answers.append(response)
    assert response.status_code == create, ("create", response.content)
    assert model.objects.count() == before + (create == 201)

    name, value = UPDATE[endpoint]
    old = str(getattr(target, name))
    response = client.patch(f"{url}{target.pk}/", {name: value}, format="json")
    answers.append(response)
    assert response.status_code == update, ("update", response.content)
    target.refresh_from_db()
    assert str(getattr(target, name)) == (value if update == 200 else old)

    response = client.delete(f"{url}{target.pk}/")
    answers.append(response)
    assert response.status_code == delete, ("delete", response.content)
    assert model.objects.filter(pk=target.pk).exists() is (delete != 204)

    if not may_see:
        for answer in answers:
            assert not mentions_alice(answer.content.decode()), (answer.request, answer.content)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "persona, expected",
    [
        (ANONYMOUS, 401),
        (ALICE, 200),
        (BOB, 200),
        (STAFF, 200),
        (DEACTIVATED, 401),
    ],
)
def test_rest_users_me_is_only_ever_yourself(world, api_as, persona, expected):
    response = api_as(persona).get("/api/users/me/")

    assert response.status_code == expected
    if expected == 200:
        assert response.json()["id"] == getattr(world, persona).pk
        assert "password" not in response.json()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "endpoint, body",
    [
        (
            "reservations",
            lambda w, alices: {
                "pet": alices.pet.pk,
                "service": w.service.pk,
                "checkin_date": _soon(3),
                "checkout_date": _soon(4),
            },
        ),
        ("payments", lambda w, alices: {"reservation": alices.reservation.pk, "amount": "5.00"}),
        ("invoices", lambda w, alices: {"reservation": alices.reservation.pk, "total": "5.00"}),
    ],
)
def test_rest_bob_cannot_write_against_alices_records_nor_learn_they_exist(world, api_as, endpoint, body):
    """A reference to alice's record is refused exactly as one to a record that never existed."""
    bob = api_as(BOB)
    before = MODEL[endpoint].objects.count()

    hers = bob.post(f"/api/{endpoint}/", body(world, world.of_alice), format="json")
    ghost_ids = {k: 987654 for k in ("pet", "reservation") if k in body(world, world.of_alice)}
    nobodys = bob.post(f"/api/{endpoint}/", {**body(world, world.of_alice), **ghost_ids}, format="json")

    assert hers.status_code == nobodys.status_code == 400
    assert (
        hers.content.decode().replace(
            str(world.of_alice.pet.pk if "pet" in ghost_ids else world.of_alice.reservation.pk), "987654"
        )
        == nobodys.content.decode()
    )
    assert MODEL[endpoint].objects.count() == before


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["post", "patch"])
def test_rest_bob_naming_alices_account_hears_what_he_would_for_no_account(world, api_as, method):
    """An owner id that is someone else's answers word for word as one that was never anyone's."""
    bob, pet = api_as(BOB), world.of_bob.pet
    url = "/api/pets/" if method == "post" else f"/api/pets/{pet.pk}/"
    body = {"name": "Nala", "species": "Gato"}

    hers = getattr(bob, method)(url, {**body, "owner": world.alice.pk}, format="json")
    nobodys = getattr(bob, method)(url, {**body, "owner": 987654}, format="json")

    assert hers.status_code == nobodys.status_code == 400
    assert hers.json() == {"owner": [f'Invalid pk "{world.alice.pk}" - object does not exist.']}
    assert nobodys.json() == {"owner": ['Invalid pk "987654" - object does not exist.']}
    pet.refresh_from_db()
    assert (pet.owner_id, pet.name) == (world.bob.pk, world.of_bob.pet.name)
    assert not models.Pet.objects.filter(name="Nala").exists()


@pytest.mark.django_db
def test_rest_bob_cannot_move_his_records_onto_alices(world, api_as):
    bob = api_as(BOB)
    reservation, pet = world.of_bob.reservation, world.of_bob.pet

    assert bob.patch(f"/api/reservations/{reservation.pk}/", {"pet": world.of_alice.pet.pk}, format="json").status_code == 400
    assert bob.patch(f"/api/pets/{pet.pk}/", {"owner": world.alice.pk}, format="json").status_code == 400
    assert (
        bob.patch(
            f"/api/payments/{world.of_bob.payment.pk}/", {"reservation": world.of_alice.reservation.pk}, format="json"
        ).status_code
        == 400
    )
    reservation.refresh_from_db(), pet.refresh_from_db()
    assert (reservation.pet_id, pet.owner_id) == (pet.pk, world.bob.pk)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "endpoint, query",
    [
        ("pets", lambda w: {"owner": w.alice.pk}),
        ("pets", lambda w: {"search": "Secret"}),
        ("reservations", lambda w: {"pet": w.of_alice.pet.pk}),
        ("reservations", lambda w: {"user": w.alice.pk}),
        ("payments", lambda w: {"reservation": w.of_alice.reservation.pk}),
        ("invoices", lambda w: {"search": "INV-ALICE"}),
        ("medical-history", lambda w: {"pet": w.of_alice.pet.pk}),
    ],
)
def test_rest_filters_and_search_never_reach_alices_records_for_bob(world, api_as, endpoint, query):
    response = api_as(BOB).get(f"/api/{endpoint}/", query(world))

    assert response.status_code == 200
    assert response.json()["results"] == []


# =============================================================================================
# WebSocket
# =============================================================================================


@dataclass(frozen=True)
class Lifecycle:
    """Three changes that publish on a channel, made to records of alice's where records have
    an owner: what each persona's socket may receive of them is the matrix's question."""

    changes: tuple[Callable[[World, dict], None], ...]
    actions: tuple[str, ...]


def _crud(make: Callable[[World], db_models.Model], field: str, value: Any) -> Lifecycle:
    def create(world: World, state: dict) -> None:
        state["record"] = make(world)

    def update(world: World, state: dict) -> None:
        setattr(state["record"], field, value)
        state["record"].save()

    def delete(world: World, state: dict) -> None:
        state["record"].delete()

    return Lifecycle((create, update, delete), ("created", "updated", "deleted"))


def _users_lifecycle() -> Lifecycle:
    # An account exists before its owner can connect: the created and deleted one is a new
    # customer's, whom only staff see; in between, alice's own account changes.
    def create(world: World, state: dict) -> None:
        state["carol"] = models.User.objects.create_user(username="carol")

    def update(world: World, state: dict) -> None:
        alice = models.User.objects.get(pk=world.alice.pk)
        alice.first_name = "Alicia"
        alice.save()

    def delete(world: World, state: dict) -> None:
        state["carol"].delete()

    return Lifecycle((create, update, delete), ("created", "updated", "deleted"))


def _activity_lifecycle() -> Lifecycle:
    # Every change to alice's pet writes one activity-log row: three "created" log entries.
    pet = _crud(lambda w: PetFactory(owner=w.alice, name="Secret Luna II"), "name", "Secret Luna III")
    return Lifecycle(pet.changes, ("created", "created", "created"))


def _chat_lifecycle() -> Lifecycle:
    # Alice asks about her reservation, rewords it, then takes it back.
    def create(world: World, state: dict) -> None:
        state["message"] = chat.message_post(reservation=world.of_alice.reservation, author=world.alice, body="Is Luna eating?")

    def update(world: World, state: dict) -> None:
        chat.message_edit(message=state["message"], actor=world.alice, body="Is Luna eating well?")

    def delete(world: World, state: dict) -> None:
        chat.message_delete(message=state["message"], actor=world.alice)

    return Lifecycle((create, update, delete), ("created", "updated", "deleted"))


LIFECYCLES: dict[str, Lifecycle] = {
    "users": _users_lifecycle(),
    "pets": _crud(lambda w: PetFactory(owner=w.alice, name="Secret Luna II"), "age", 4),
    "reservations": _crud(lambda w: ReservationFactory(pet=w.of_alice.pet, service=w.service), "status", "confirmed"),
    "payments": _crud(lambda w: PaymentFactory(reservation=w.of_alice.reservation, amount="4242.42"), "status", "completed"),
    "invoices": _crud(lambda w: InvoiceFactory(user=w.alice, number="INV-ALICE-0002"), "status", "issued"),
    "medical_history": _crud(
        lambda w: MedicalRecordFactory(pet=w.of_alice.pet, diagnosis="alice-only-diagnosis"), "treatment", "Rest"
    ),
    "services": _crud(lambda w: ServiceFactory(name="Grooming"), "price", "55.00"),
    "employees": _crud(lambda w: EmployeeFactory(), "position", "Groomer"),
    "activity_logs": _activity_lifecycle(),
    "chat": _chat_lifecycle(),
}

SEES = "connected, receives all three"
BLIND = "connected, receives none"
OWN_ACCOUNT = "connected, receives the change to her own account only"
ANONYMOUSLY = "connected as anonymous"  # a refused token on the public channel counts as no token

WS_MATRIX: dict[str, tuple[str | int, str | int, str | int, str | int, str | int]] = {
    # channel:          anonymous  alice         bob     staff  deactivated
    "users":           (4401,      OWN_ACCOUNT,  BLIND,  SEES,  4401),
    "pets":            (4401,      SEES,         BLIND,  SEES,  4401),
    "reservations":    (4401,      SEES,         BLIND,  SEES,  4401),
    "payments":        (4401,      SEES,         BLIND,  SEES,  4401),
    "invoices":        (4401,      SEES,         BLIND,  SEES,  4401),
    "medical_history": (4401,      SEES,         BLIND,  SEES,  4401),
    "services":        (SEES,      SEES,         SEES,   SEES,  ANONYMOUSLY),
    "employees":       (4401,      4403,         4403,   SEES,  4401),
    "activity_logs":   (4401,      4403,         4403,   SEES,  4401),
    "chat":            (4401,      SEES,         BLIND,  SEES,  4401),
}  # fmt: skip

REFUSAL_CODES = {4401: "unauthenticated", 4403: "forbidden"}


async def frames_before_pong(socket) -> list[dict]:
    """Every frame a socket received before it answers a ping. The hub pushes an event to all
    its recipients in one go, so once staff's socket has an event, a socket that was to get
    it has it too, ahead of the pong."""
    await socket.send({"type": "ping"})
    frames = []
    while (frame := await socket.receive()) != {"type": "pong"}:
        frames.append(frame)
    return frames


async def assert_refused(socket, first: dict, code: int) -> None:
    assert first["type"] == "error" and first["code"] == REFUSAL_CODES[code], first
    assert await socket.receive() == {"type": "<closed>", "code": code}
    assert not mentions_alice(json.dumps(first))


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "channel, outcomes",
    [
        pytest.param(c, dict(zip([ANONYMOUS, ALICE, BOB, STAFF, DEACTIVATED], row, strict=True)), id=c)
        for c, row in WS_MATRIX.items()
    ],
)
async def test_websocket(open_socket, world, channel, outcomes):
    """Each persona connects, three changes are made, and each socket holds exactly what its
    row says; then alice's account is disabled and the token she still holds is tried."""
    alices_token = token_for(world.alice)
    connected, on_connect = {}, {}
    for persona in (ANONYMOUS, ALICE, BOB, STAFF):
        user = getattr(world, persona) if persona != ANONYMOUS else None
        socket, first = await open_socket(channel, user)
        if isinstance(outcomes[persona], int):
            await assert_refused(socket, first, outcomes[persona])
            continue
        assert first["type"] == "connection_established", (persona, first)
        assert first["user_id"] == (str(user.pk) if user else None)
        connected[persona] = socket
        on_connect[persona] = await frames_before_pong(socket)  # a users socket's stored notifications

    lifecycle, state = LIFECYCLES[channel], {}
    for change in lifecycle.changes:
        await database_sync_to_async(change)(world, state)
    seen_by_staff = [await connected[STAFF].receive_type("realtime_update") for _ in lifecycle.changes]
    assert [m["action"] for m in seen_by_staff] == list(lifecycle.actions)
    assert {m["entity_type"] for m in seen_by_staff} == {channel}

    for persona, socket in connected.items():
        frames = on_connect[persona] + (seen_by_staff if persona == STAFF else []) + await frames_before_pong(socket)
        updates = [f for f in frames if f["type"] == "realtime_update"]
        expected = {SEES: seen_by_staff, OWN_ACCOUNT: seen_by_staff[1:2], BLIND: []}[outcomes[persona]]
        assert updates == expected, f"{persona} on {channel}"
        assert {f["type"] for f in frames} <= {"realtime_update", "notification"}, frames
        if persona in (ANONYMOUS, BOB) and channel != "services":
            for frame in frames:  # bob's own notifications may arrive; nothing of alice's
                assert not mentions_alice(json.dumps(frame)), frame
                assert frame.get("user_id") != str(world.alice.pk), frame
                assert frame.get("data", {}).get("user_id") != world.alice.pk, frame

    await database_sync_to_async(disable)(world.alice)
    socket, first = await open_socket(channel, query=f"token={alices_token}")
    if outcomes[DEACTIVATED] == ANONYMOUSLY:
        assert first["type"] == "connection_established" and first["user_id"] is None, first
    else:
        await assert_refused(socket, first, outcomes[DEACTIVATED])


@pytest.mark.django_db(transaction=True)
async def test_websocket_notifications_reach_their_user_only(open_socket, alice, bob, staff):
    """Notifications are personal: not even staff receive a customer's."""
    sockets = {name: (await open_socket("users", user))[0] for name, user in [("alice", alice), ("bob", bob), ("staff", staff)]}

    await database_sync_to_async(notification_service.sync.send_success_notification)(
        user_id=alice.pk, success_message="Secret Luna was groomed"
    )
    await database_sync_to_async(PetFactory)(owner=alice, name="Secret Luna")

    received = [await sockets["alice"].receive_type("notification") for _ in range(2)]
    assert [n["notification_type"] for n in received] == ["success", "pet_created"]
    assert {n["user_id"] for n in received} == {str(alice.pk)}
    # A later event that bob and staff do see: events reach a socket in order, so by the time
    # they have it, they would have had alice's notifications too.
    bob.first_name = "Robert"
    await database_sync_to_async(bob.save)()
    for name in ("bob", "staff"):
        frames = []
        while not (frames and frames[-1].get("data", {}).get("first_name") == "Robert"):
            frames.append(await sockets[name].receive())
        leaked = [f for f in frames if f["type"] == "notification" and f["user_id"] == str(alice.pk)]
        assert leaked == [], f"{name} received alice's notification"


# ---------------------------------------------------------------------------------------------
# REST: the browsable API's forms and OPTIONS metadata
# ---------------------------------------------------------------------------------------------


def accounts_bob_may_not_see(world: World) -> list[models.User]:
    return list(models.User.objects.exclude(pk=world.bob.pk))


@pytest.mark.django_db
@pytest.mark.parametrize("endpoint", ["pets", "reservations", "payments", "invoices", "medical-history"])
@pytest.mark.parametrize("method", ["html", "options"])
def test_rest_forms_and_metadata_offer_bob_no_record_of_anyone_else(world, api_as, endpoint, method):
    """The browsable API's forms list the choices of every related field (a pet's owner, an
    invoice's user); OPTIONS describes the fields. Neither may name an account or a record that
    bob may not see, on the list page nor on a record of his own."""
    bob = api_as(BOB)
    own = {
        "pets": world.of_bob.pet,
        "reservations": world.of_bob.reservation,
        "payments": world.of_bob.payment,
        "invoices": world.of_bob.invoice,
        "medical-history": world.of_bob.medical_record,
    }[endpoint]
    others = accounts_bob_may_not_see(world)
    assert {world.alice, world.staff, world.employee.user} <= set(others)
    # What a related field's <select> may offer him: his own records, and the services.
    visible_to_bob = {
        "owner": {world.bob.pk},
        "user": {world.bob.pk},
        "pet": {world.of_bob.pet.pk},
        "reservation": {world.of_bob.reservation.pk},
        "service": {world.service.pk, world.spare_service.pk},
        "veterinarian": set(),
    }

    for url in (f"/api/{endpoint}/", f"/api/{endpoint}/{own.pk}/"):
        if method == "html":
            response = bob.get(url, HTTP_ACCEPT="text/html")
            assert response["Content-Type"].startswith("text/html")
        else:
            response = bob.options(url)
        assert response.status_code == 200, response.content
        text = response.content.decode()
        for name, options in re.findall(r'<select[^>]*name="(\w+)"[^>]*>(.*?)</select>', text, re.S):
            offered = {int(value) for value in re.findall(r'<option value="(\d+)"', options)}
            assert offered <= visible_to_bob.get(name, set()), (url, name, offered)
        for user in others:
            assert f">{user.username}<" not in text and f'"{user.username}"' not in text, (url, user.username)
        assert not mentions_alice(text), url
