"""The chat in Chromium (issue 16): a member of staff on the reservation's admin page and its
customer on /chat/ talk live, with typing and read state; the admin's Conversations page
follows; bodies are shown as text, never run."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import CHROMIUM_ARGS, Problems, admin_login, save_screenshot  # noqa: F401
from tests.factories import PASSWORD, ReservationFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.live]

XSS = "<img src=x onerror=alert(1)>"


@pytest.fixture
def customer_page(browser):
    context = browser.new_context(viewport={"width": 1000, "height": 800})
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.problems = Problems(page)
    yield page
    context.close()
    assert not page.problems.errors and not page.problems.dialogs


def customer_signs_in(page: Page, server, user) -> None:
    page.goto(f"{server.http}/chat/")
    page.fill("#username", user.username)
    page.fill("#password", PASSWORD)
    page.click("#sign-in button")
    expect(page.locator("#conversation .chat-form")).to_be_visible()


def messages(page: Page):
    return page.locator(".chat-messages li .chat-body")


def test_staff_and_the_customer_chat_live(server, page, customer_page, ada, alice, luna, tmp_path):
    reservation = ReservationFactory(pet=luna)
    admin_login(page, server, ada, f"/admin/petland/reservation/{reservation.pk}/change/")
    customer_signs_in(customer_page, server, alice)
    page.wait_for_function("window.petlandChat && window.petlandChat.channel.state === 'open'")
    customer_page.wait_for_function("window.petlandChat && window.petlandChat.channel.state === 'open'")

    customer_page.locator(".chat-form textarea").press_sequentially("Is Luna ")
    expect(page.locator(".chat-typing")).to_have_text("Alice is typing…")
    customer_page.locator(".chat-form textarea").fill(XSS)
    customer_page.click(".chat-send")

    expect(messages(page)).to_have_text([XSS])  # shown as text on the admin's page
    expect(page.locator(".chat-typing")).to_have_text("")  # her message clears her typing
    page.locator(".chat-form textarea").fill("Luna ate all of it")
    page.click(".chat-send")

    expect(messages(customer_page)).to_have_text([XSS, "Luna ate all of it"])
    expect(page.locator(".chat-read")).to_contain_text("The customer read up to message #")
    expect(customer_page.locator(".chat-read")).to_contain_text("Staff read up to message #")
    assert page.locator(".chat-messages img").count() == 0 and customer_page.locator(".chat-messages img").count() == 0
    save_screenshot(page, tmp_path, "chat-admin.png")
    save_screenshot(customer_page, tmp_path, "chat-customer.png")
    assert not page.problems.dialogs


def test_the_conversations_page_lists_unread_counts_live(server, page, ada, alice, luna):
    quiet, busy = ReservationFactory(pet=luna), ReservationFactory(pet=luna)
    from petland.chat import services

    services.message_post(reservation=quiet, author=alice, body="An old question")
    admin_login(page, server, ada, "/admin/petland/reservation/conversations/")
    rows = page.locator("#conversations tbody tr")
    expect(rows).to_have_count(1)
    page.wait_for_function("window.petlandConversations.state === 'open'")

    services.message_post(reservation=busy, author=alice, body=XSS)
    services.message_post(reservation=busy, author=alice, body="Is Luna eating?")

    expect(rows).to_have_count(2)
    expect(rows.first).to_have_attribute("data-reservation", str(busy.pk))  # newest activity first
    expect(rows.first.locator(".conversations-unread-count")).to_have_text("2")
    expect(rows.nth(1).locator(".conversations-unread-count")).to_have_text("1")
    assert not page.problems.dialogs
