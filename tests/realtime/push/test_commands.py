"""The push commands as an operator runs them: ``webpush_keys``, ``push_worker`` (as a real
process, stopped and started again) and the worker's lag in ``realtime_stats``."""

from __future__ import annotations

import io
import json
import logging
import signal
import subprocess
import sys

import pytest
from django.core.management import call_command

from realtime import notification_service
from realtime.log.selectors import last_seq
from realtime.models import PushCursor
from realtime.push import keys
from realtime.push.checks import webpush_settings
from tests.realtime.push.conftest import SUBJECT, subscribe
from tests.realtime.push.fake_push_service import unb64url, wait_until
from tests.support.servers import ROOT, child_env

pytestmark = pytest.mark.django_db(transaction=True)


def test_webpush_keys_prints_a_pair_the_worker_can_sign_with(settings):
    out = io.StringIO()
    call_command("webpush_keys", stdout=out)
    lines = dict(line.split("=", 1) for line in out.getvalue().split())
    private, public = lines["WEBPUSH_VAPID_PRIVATE_KEY"], lines["WEBPUSH_VAPID_PUBLIC_KEY"]
    assert "=" not in private + public  # base64url without padding
    assert (len(unb64url(private)), len(unb64url(public)), unb64url(public)[0]) == (32, 65, 4)
    settings.REALTIME = {**settings.REALTIME, "WEBPUSH_VAPID_PRIVATE_KEY": private, "WEBPUSH_VAPID_PUBLIC_KEY": public}
    assert keys.vapid().sign({"aud": "https://push.example", "sub": SUBJECT})["Authorization"].endswith(f"k={public}")


def test_without_keys_the_worker_says_push_is_off_in_one_line_and_stops(settings, caplog):
    settings.REALTIME = {**settings.REALTIME, "WEBPUSH_VAPID_PRIVATE_KEY": "", "WEBPUSH_VAPID_PUBLIC_KEY": ""}
    with caplog.at_level(logging.INFO, logger="realtime.push"):
        call_command("push_worker")
    [line] = [record.getMessage() for record in caplog.records if record.name == "realtime.push"]
    assert "Web Push is off" in line and "WEBPUSH_VAPID_PRIVATE_KEY" in line


def worker_process(push_service, vapid_pair) -> subprocess.Popen:
    private, public = vapid_pair
    return subprocess.Popen(
        [sys.executable, "manage.py", "push_worker", "--interval", "0.2"],
        cwd=ROOT,
        env=child_env(
            WEBPUSH_VAPID_PRIVATE_KEY=private,
            WEBPUSH_VAPID_PUBLIC_KEY=public,
            WEBPUSH_SUBJECT=SUBJECT,
            WEBPUSH_ALLOWED_ENDPOINTS=f"{push_service.origin}/push/",
        ),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def stop(process: subprocess.Popen) -> str:
    process.send_signal(signal.SIGTERM)
    output, _ = process.communicate(timeout=30)
    assert process.returncode == 0, output
    return output


@pytest.mark.live
def test_the_worker_process_pushes_and_after_a_restart_resumes_without_repeating(
    push_settings, push_service, vapid_pair, browser, alice, alice_api
):
    subscribe(alice_api, browser)
    process = worker_process(push_service, vapid_pair)
    try:
        wait_until(lambda: _started(), timeout=60)
        notification_service.sync.send_success_notification(alice.pk, "first")
        wait_until(lambda: push_service.to(browser.path), timeout=60)
    finally:
        output = stop(process)
    assert "push worker stopped" in output
    assert browser.path not in output  # the endpoint's secret never reaches the log

    notification_service.sync.send_success_notification(alice.pk, "while it was down")
    process = worker_process(push_service, vapid_pair)
    try:
        wait_until(lambda: len(push_service.to(browser.path)) >= 2, timeout=60)
        notification_service.sync.send_success_notification(alice.pk, "after the restart")
        wait_until(lambda: len(push_service.to(browser.path)) >= 3, timeout=60)
    finally:
        stop(process)
    bodies = [browser.decrypt(request)["body"] for request in push_service.to(browser.path)]
    assert bodies == ["first", "while it was down", "after the restart"]


def _started() -> bool:
    return PushCursor.objects.exists()


def test_realtime_stats_shows_how_far_the_worker_is_behind_the_log(worker, alice):
    worker.run_until_idle()
    for n in range(3):
        notification_service.sync.send_success_notification(alice.pk, f"number {n}")
    out = io.StringIO()
    call_command("realtime_stats", "--json", stdout=out)
    assert json.loads(out.getvalue())["push_worker"]["behind"] == 3
    worker.run_until_idle()
    out = io.StringIO()
    call_command("realtime_stats", stdout=out)
    assert f"push worker: at event {last_seq()} (behind by 0), 0 push(es) waiting" in out.getvalue()


def test_the_system_checks_refuse_a_key_pair_that_does_not_belong_together_or_a_bad_contact(settings):
    (private, _), (_, other_public) = keys.generate_pair(), keys.generate_pair()
    settings.REALTIME = {
        **settings.REALTIME,
        "WEBPUSH_VAPID_PRIVATE_KEY": private,
        "WEBPUSH_VAPID_PUBLIC_KEY": other_public,
        "WEBPUSH_SUBJECT": "admin",
    }
    assert {problem.id for problem in webpush_settings()} == {"realtime.E010", "realtime.E011"}
    settings.REALTIME = {**settings.REALTIME, "WEBPUSH_VAPID_PRIVATE_KEY": "", "WEBPUSH_VAPID_PUBLIC_KEY": ""}
    assert webpush_settings() == []  # push off: nothing to check
