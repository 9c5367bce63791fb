"""The live admin in Chromium: a changelist follows changes made in another OS process, a
change form warns of changes and deletions by others, and the index shows activity live."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import admin_login, save_screenshot, shell
from tests.factories import PetFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.live]

XSS = "<img src=x onerror=alert(1)>"


def row(page: Page, text: str):
    return page.locator("#result_list tbody tr", has_text=text)


def wait_live(page: Page) -> None:
    expect(page.locator(".realtime-status").first).to_have_attribute("data-state", "open")


def test_a_changelist_shows_rows_created_changed_and_deleted_in_another_process(server, page, ada, alice, luna, tmp_path):
    milo = PetFactory(owner=alice, name="Milo", species="Gato", age=5)
    admin_login(page, server, ada, "/admin/petland/pet/")
    wait_live(page)
    row(page, "Luna").locator("input.action-select").check()  # the user's selection survives refreshes
    expect(page.locator(".action-counter")).to_have_text("1 of 2 selected")

    shell(
        "from petland.models import Pet, User\n"
        f"Pet.objects.create(owner=User.objects.get(pk={alice.pk}), name='Shell Rex', species='Perro', age=2)\n"
        f"luna = Pet.objects.get(pk={luna.pk}); luna.age = 4; luna.save()\n"
        f"Pet.objects.get(pk={milo.pk}).delete()\n"
    )

    expect(row(page, "Shell Rex")).to_have_class("realtime-added")
    expect(row(page, "Luna")).to_have_class("selected realtime-changed")
    expect(row(page, "Luna").locator("td.field-age")).to_have_text("4")
    expect(row(page, "Milo")).to_have_count(0)
    expect(page.locator(".action-counter")).to_have_text("1 of 2 selected")
    save_screenshot(page, tmp_path, "live-admin.png")
    assert page.url.endswith("/admin/petland/pet/")  # never reloaded
    assert not page.problems.dialogs


def test_a_changelist_keeps_its_filter_when_it_refreshes(server, page, ada, alice, luna):
    admin_login(page, server, ada, "/admin/petland/pet/?species__exact=Gato")
    wait_live(page)
    shell(
        "from petland.models import Pet, User\n"
        f"owner = User.objects.get(pk={alice.pk})\n"
        "Pet.objects.create(owner=owner, name='Rex', species='Perro', age=2)\n"
        "Pet.objects.create(owner=owner, name='Tom', species='Gato', age=2)\n"
    )
    expect(row(page, "Tom")).to_have_class("realtime-added")
    expect(row(page, "Rex")).to_have_count(0)
    expect(row(page, "Luna")).to_have_count(0)


def test_a_change_form_says_when_someone_else_changes_then_deletes_the_record(server, page, ada, alice, luna):
    other = PetFactory(owner=alice, name="Other")
    admin_login(page, server, ada, f"/admin/petland/pet/{luna.pk}/change/")
    wait_live(page)
    notice = page.locator(".realtime-notice")

    shell(f"from petland.models import Pet\nPet.objects.filter(pk={other.pk}).first().delete()")
    page.wait_for_timeout(500)
    expect(notice).to_be_hidden()  # another record: nothing to say

    shell(f"from petland.models import Pet\np = Pet.objects.get(pk={luna.pk}); p.name = 'Luna II'; p.save()")
    expect(notice).to_contain_text("This pet was changed by someone else")
    expect(notice.locator("a")).to_have_text("Reload")
    expect(page.locator("#id_name")).to_have_value("Luna")  # the form is left as the user has it

    shell(f"from petland.models import Pet\nPet.objects.get(pk={luna.pk}).delete()")
    expect(notice).to_contain_text("This pet was deleted by someone else")


def test_saving_the_form_oneself_is_not_reported_as_someone_elses_change(server, page, ada, luna):
    admin_login(page, server, ada, f"/admin/petland/pet/{luna.pk}/change/")
    wait_live(page)
    page.fill("#id_name", "Luna Renamed")
    page.click("input[name=_continue]")  # save and stay on the form
    expect(page.locator("ul.messagelist li.success")).to_contain_text("was changed successfully")
    wait_live(page)
    page.wait_for_timeout(500)
    expect(page.locator(".realtime-notice")).to_be_hidden()


def test_the_admin_index_shows_activity_live_and_server_text_as_text(server, page, ada, alice, luna):
    admin_login(page, server, ada, "/admin/")
    feed = page.locator(".realtime-feed")
    expect(feed.locator(".realtime-feed-items li").first).to_contain_text("Pet Luna (Perro) created")  # from before
    wait_live(page)

    shell(
        "from petland.models import Pet, User\n"
        f"Pet.objects.create(owner=User.objects.get(pk={alice.pk}), name={XSS!r}, species='Perro', age=2)"
    )
    newest = feed.locator(".realtime-feed-items li").first
    expect(newest).to_contain_text(f"Pet {XSS} (Perro) created")
    expect(newest).to_have_class("addlink realtime-added")
    assert feed.locator("img").count() == 0
    assert not page.problems.dialogs
