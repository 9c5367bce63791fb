"""Presence in the live admin, in Chromium, with two staff members in two browsers: Sam sees Ada
arrive on the change form he has open, start editing and leave; he is warned before saving
while she edits; and his changelist marks the rows she has open."""

from __future__ import annotations

import json
import re

import pytest
from django.contrib.auth.models import Permission
from playwright.sync_api import Page, expect

from petland.models import Pet
from tests.browser.conftest import admin_login, save_screenshot, shell
from tests.factories import PetFactory, StaffFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.live]

LEAVE_TIMEOUT = 30_000  # ms: a closed page leaves after a few seconds' grace (a reload shows no leave)
XSS = "<img src=x onerror=alert(1)>"


@pytest.fixture
def sam(staff):
    """Sam, of the clinic's staff, may view and change pets in the admin (and nothing more)."""
    staff.user_permissions.add(*Permission.objects.filter(codename__in=["view_pet", "change_pet"]))
    return staff


def css_class(name: str) -> re.Pattern[str]:
    """Matches a class attribute that has ``name`` among its classes."""
    return re.compile(rf"(^|\s){re.escape(name)}(\s|$)")


def frames_sent(page: Page) -> list[dict]:
    """Every JSON message the page's sockets send from now on, as they send them."""
    sent: list[dict] = []
    page.on("websocket", lambda ws: ws.on("framesent", lambda payload: sent.append(json.loads(payload))))
    return sent


def change_form(luna) -> str:
    return f"/admin/petland/pet/{luna.pk}/change/"


def wait_live(page: Page) -> None:
    expect(page.locator(".realtime-status").first).to_have_attribute("data-state", "open")


def others_on(page: Page):
    return page.locator(".realtime-presence")


def row(page: Page, text: str):
    return page.locator("#result_list tbody tr", has_text=text)


def test_a_change_form_shows_who_else_has_the_record_open_who_edits_it_and_who_leaves(
    server, page, second_page, ada, sam, luna, tmp_path
):
    admin_login(second_page, server, sam, change_form(luna))
    wait_live(second_page)
    expect(others_on(second_page)).to_be_hidden()  # alone on the record: nothing to say

    sent_by_ada = frames_sent(page)
    admin_login(page, server, ada, change_form(luna))
    expect(others_on(second_page)).to_have_text("Also here: Ada (viewing)")
    expect(others_on(page)).to_have_text("Also here: Sam (viewing)")  # each sees the other, not themself

    page.locator("#id_name").press_sequentially(" Bella of the Big Park")  # Ada types: she is editing now
    expect(others_on(second_page)).to_have_text("Also here: Ada (editing)")
    expect(second_page.locator(".realtime-member")).to_have_attribute("data-state", "editing")
    expect(others_on(page)).to_have_text("Also here: Sam (viewing)")
    save_screenshot(second_page, tmp_path, "presence-change-form.png")
    # One message for all that typing: the socket's budget (20 a second) is not spent on keys.
    assert [m for m in sent_by_ada if m["type"].startswith("presence_")] == [
        {"type": "presence_join", "record_id": luna.pk, "state": "viewing"},
        {"type": "presence_update", "record_id": luna.pk, "state": "editing"},
    ]

    page.close()  # Ada closes the tab without saving
    expect(others_on(second_page)).to_be_hidden(timeout=LEAVE_TIMEOUT)
    assert not second_page.problems.dialogs


def test_saving_while_someone_else_edits_the_record_needs_a_second_click(server, page, second_page, ada, sam, luna, tmp_path):
    admin_login(page, server, ada, change_form(luna))
    admin_login(second_page, server, sam, change_form(luna))
    expect(others_on(second_page)).to_have_text("Also here: Ada (viewing)")

    second_page.fill("#id_age", "4")  # someone who only looks does not hold up a save
    with second_page.expect_navigation():
        second_page.click("input[name=_continue]")
    expect(second_page.locator("ul.messagelist li.success")).to_contain_text("was changed successfully")
    expect(others_on(second_page)).to_have_text("Also here: Ada (viewing)")  # and the reloaded form is back at once

    page.fill("#id_name", "Ada's Luna")
    expect(others_on(second_page)).to_have_text("Also here: Ada (editing)")
    second_page.fill("#id_name", "Sam's Luna")
    second_page.click("input[name=_continue]")
    warning = second_page.locator(".realtime-presence-warning")
    expect(warning).to_have_text(
        "Ada is editing this pet right now: saving may overwrite their changes, or theirs yours. Save again to save anyway."
    )
    expect(second_page.locator("#id_name")).to_have_value("Sam's Luna")  # nothing was sent, nothing lost
    save_screenshot(second_page, tmp_path, "presence-save-warning.png")
    assert Pet.objects.get(pk=luna.pk).name == "Luna"

    with second_page.expect_navigation():
        second_page.click("input[name=_continue]")  # the second click saves
    expect(second_page.locator("ul.messagelist li.success")).to_contain_text("was changed successfully")
    assert Pet.objects.get(pk=luna.pk).name == "Sam's Luna"
    # Sam's own save is his; the live notice says Ada's form is now out of date, not Sam's.
    expect(page.locator(".realtime-notice")).to_contain_text("This pet was changed by someone else")
    expect(second_page.locator(".realtime-notice")).to_be_hidden()
    assert not page.problems.dialogs and not second_page.problems.dialogs


def test_a_changelist_marks_the_rows_someone_else_has_open(server, page, second_page, sam, alice, luna, tmp_path):
    mallory = StaffFactory(username="mallory_staff", first_name=XSS, is_superuser=True)
    milo = PetFactory(owner=alice, name="Milo", species="Gato", age=5)
    admin_login(second_page, server, sam, "/admin/petland/pet/")
    wait_live(second_page)
    expect(row(second_page, "Luna")).not_to_have_class(css_class("realtime-open"))

    admin_login(page, server, mallory, change_form(luna))
    expect(row(second_page, "Luna")).to_have_attribute("data-presence", "viewing")
    expect(row(second_page, "Luna")).to_have_attribute("title", f"{XSS} (viewing)")  # her name, as text
    expect(row(second_page, "Luna").locator("[data-presence-label]")).to_have_attribute("data-presence-label", f"{XSS} viewing")
    expect(row(second_page, "Milo")).not_to_have_class(css_class("realtime-open"))

    page.fill("#id_name", "Luna Bella")
    expect(row(second_page, "Luna")).to_have_attribute("data-presence", "editing")
    save_screenshot(second_page, tmp_path, "presence-changelist.png")

    # The live changelist swaps in fresh rows when records change: the marks stay on them.
    shell(f"from petland.models import Pet\np = Pet.objects.get(pk={milo.pk}); p.age = 6; p.save()")
    expect(row(second_page, "Milo").locator("td.field-age")).to_have_text("6")
    expect(row(second_page, "Luna")).to_have_attribute("data-presence", "editing")
    expect(row(second_page, "Luna")).not_to_have_class(css_class("realtime-changed"))  # the mark is no change of Luna's

    page.close()
    expect(row(second_page, "Luna")).not_to_have_attribute("data-presence", "editing", timeout=LEAVE_TIMEOUT)
    expect(row(second_page, "Luna")).not_to_have_class(css_class("realtime-open"))
    assert second_page.locator("img[src=x]").count() == 0  # the name was never markup
    assert not second_page.problems.dialogs


def test_choosing_in_an_autocomplete_field_is_editing_too(server, page, second_page, ada, sam, luna, bob):
    admin_login(second_page, server, sam, change_form(luna))
    admin_login(page, server, ada, change_form(luna))
    expect(others_on(second_page)).to_have_text("Also here: Ada (viewing)")

    page.click(".field-owner .select2-selection")  # the admin's autocomplete widget for the owner
    page.fill(".select2-search__field", "bob")
    page.click(".select2-results__option:has-text('bob')")

    expect(page.locator(".field-owner .select2-selection__rendered")).to_contain_text("bob")
    expect(others_on(second_page)).to_have_text("Also here: Ada (editing)")
