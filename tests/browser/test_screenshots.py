"""What a new user sees, in Chromium at a desktop's 1280 px and a phone's 390 px: the home page,
the live admin (index feed, changelist, change form with its notice), ``/live/`` and
``/api/docs/``. Each is saved to test-output/browser/ to be looked at, and checked for what
went wrong there before: overlapping elements, repeated words, the wrong action."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import admin_login, save_screenshot, shell
from tests.factories import PetFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.live]

WIDTHS = {"desktop": 1280, "phone": 390}
REDOCLY_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"
# The API docs draw their title only after the page has loaded: their script then asks for the
# schema (generated on its first request) and parses and renders all of it in the browser. On
# this shared machine that took 1.4 to 5.7 s after the load event (13 s with Chromium's CPU
# slowed 4x), the speed-ups on or off alike; Playwright's expect gives up after 5 s unless told.
DOCS_RENDER_MS = 30_000


def at_width(page: Page, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 900})


def box(page: Page, selector: str) -> dict:
    found = page.locator(selector).first.bounding_box()
    assert found is not None, f"{selector} is not shown"
    return found


def overlap(a: dict, b: dict) -> bool:
    return not (
        a["x"] + a["width"] <= b["x"]
        or b["x"] + b["width"] <= a["x"]
        or a["y"] + a["height"] <= b["y"]
        or b["y"] + b["height"] <= a["y"]
    )


def open_live(page: Page, server, user, path: str, size: str) -> None:
    """Sign in at this width and wait until the page's live part is connected."""
    at_width(page, WIDTHS[size])
    admin_login(page, server, user, path)
    expect(page.locator(".realtime-status").first).to_have_attribute("data-state", "open")


def someone_else_changes(pet) -> None:
    shell(f"from petland.models import Pet\np = Pet.objects.get(pk={pet.pk}); p.age = 4; p.save()")


@pytest.mark.parametrize("size", WIDTHS)
def test_the_change_form_notice_stands_clear_of_the_history_button(server, page, ada, luna, tmp_path, size):
    open_live(page, server, ada, f"/admin/petland/pet/{luna.pk}/change/", size)

    someone_else_changes(luna)
    expect(page.locator(".realtime-notice")).to_contain_text("This pet was changed by someone else")
    save_screenshot(page, tmp_path, f"admin-change-form-{size}.png")

    assert not overlap(box(page, ".realtime-notice li"), box(page, ".object-tools"))
    assert not overlap(box(page, ".realtime-status"), box(page, ".object-tools"))


@pytest.mark.parametrize("size", WIDTHS)
def test_the_changelist_status_stands_clear_of_the_add_button(server, page, ada, luna, tmp_path, size):
    open_live(page, server, ada, "/admin/petland/pet/", size)

    someone_else_changes(luna)
    expect(page.locator("#result_list tbody tr", has_text="Luna")).to_have_class("realtime-changed")
    save_screenshot(page, tmp_path, f"admin-changelist-{size}.png")

    assert not overlap(box(page, ".realtime-status"), box(page, ".object-tools"))


@pytest.mark.parametrize("size", WIDTHS)
def test_the_index_feed_says_what_happened_to_which_record(server, page, ada, luna, tmp_path, size):
    open_live(page, server, ada, "/admin/", size)

    someone_else_changes(luna)
    newest = page.locator(".realtime-feed-items li").first
    expect(newest).to_contain_text("Pet Luna (Perro) updated")
    save_screenshot(page, tmp_path, f"admin-index-{size}.png")

    expect(newest.locator(".mini")).to_contain_text("pet · updated")
    expect(newest).to_have_class("changelink realtime-added")
    assert "activity_logs" not in page.locator(".realtime-feed").inner_text()


def column_widths(page: Page) -> list[float]:
    return page.eval_on_selector_all("#result_list thead th", "ths => ths.map(th => th.getBoundingClientRect().width)")


@pytest.mark.parametrize("size", WIDTHS)
def test_changelist_columns_keep_their_width_when_rows_change(server, page, ada, alice, tmp_path, size):
    long_named = PetFactory(owner=alice, name="Maximilian Longname the Third of Barkshire", breed="Bernese Mountain Dog")
    PetFactory(owner=alice, name="Bo", breed="Pug")
    open_live(page, server, ada, "/admin/petland/pet/", size)
    before = column_widths(page)

    shell(f"from petland.models import Pet\np = Pet.objects.get(pk={long_named.pk}); p.name = 'Max'; p.breed = 'Pug'; p.save()")
    expect(page.locator("#result_list tbody tr", has_text="Max")).to_have_class("realtime-changed")
    save_screenshot(page, tmp_path, f"admin-changelist-columns-{size}.png")

    after = column_widths(page)
    assert len(after) == len(before)
    assert all(abs(now - then) <= 2 for now, then in zip(after, before, strict=False)), (before, after)  # sub-pixel rounding


def page_overflows(page: Page) -> bool:
    """Whether the page is wider than the window (a sideways scroll on a phone)."""
    return page.evaluate("document.documentElement.scrollWidth > window.innerWidth")


@pytest.mark.parametrize("size", WIDTHS)
def test_the_home_page(server, page, tmp_path, size):
    at_width(page, WIDTHS[size])
    page.goto(f"{server.http}/")

    expect(page.locator("h1")).to_have_text("PetLand")
    for name in ["Admin", "Live events", "API documentation", "Example client", "Health"]:
        expect(page.get_by_role("link", name=name, exact=True)).to_be_visible()
    save_screenshot(page, tmp_path, f"home-{size}.png")
    assert not page_overflows(page)

    page.get_by_role("link", name="Admin", exact=True).click()
    expect(page).to_have_url(f"{server.http}/admin/login/?next=/admin/")


@pytest.mark.parametrize("size", WIDTHS)
def test_the_live_page(server, page, ada, alice, luna, tmp_path, size):
    at_width(page, WIDTHS[size])
    admin_login(page, server, ada, "/live/")
    expect(page.locator("#state-pets")).to_have_text("open")

    someone_else_changes(luna)
    expect(page.locator("#events tbody tr[data-channel=pets]")).to_have_count(1)
    save_screenshot(page, tmp_path, f"live-{size}.png")
    assert not page_overflows(page), page.evaluate("""[...document.querySelectorAll('body *')]
        .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1).slice(0, 5)
        .map(e => e.tagName + '.' + e.className + ' ' + e.getBoundingClientRect().right)""")
    stream, filters = box(page, ".live-stream"), box(page, ".live-filters")
    assert stream["width"] >= min(WIDTHS[size] - 60, 600)  # the stream is not squeezed beside the filters
    assert not overlap(stream, filters)


@pytest.mark.parametrize("url, ready", [("/api/docs/", ".swagger-ui .info .title"), ("/api/redoc/", "h1")])
def test_the_api_docs_render_with_no_internet(server, page, tmp_path, url, ready):
    elsewhere: list[str] = []

    def only_this_server(route) -> None:
        if route.request.url.startswith(server.http):
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    page.route("**/*", only_this_server)
    page.goto(f"{server.http}{url}")

    expect(page.locator(ready).first).to_contain_text("PetLand API", timeout=DOCS_RENDER_MS)
    if url == "/api/docs/":
        expect(page.locator(".opblock-tag", has_text="pets").first).to_be_visible()
    save_screenshot(page, tmp_path, f"api-{url.strip('/').replace('/', '-')}.png")
    # ReDoc's "API docs by Redocly" footer asks for its logo from the web whatever the page says,
    # and hides it when that fails; nothing else leaves this server.
    assert [request for request in elsewhere if request != REDOCLY_LOGO] == []
