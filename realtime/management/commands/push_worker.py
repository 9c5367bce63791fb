"""``manage.py push_worker``: the Web Push worker (realtime.push.worker), one per deployment,
run beside the servers by the process manager (docs/deployment.md). Stops cleanly on SIGTERM
or SIGINT; with ``--until-idle`` it stops once nothing is due."""

from __future__ import annotations

import logging
import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from realtime.conf import setting
from realtime.push import keys
from realtime.push.sender import WebPushSender
from realtime.push.worker import PushWorker

logger = logging.getLogger("realtime.push")


class Command(BaseCommand):
    help = "Push stored notifications to the browsers of users who are away (Web Push)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--interval", type=float, default=None, help="Seconds between looks at the log (POLL_INTERVAL).")
        parser.add_argument("--until-idle", action="store_true", help="Stop once nothing is left that is due now.")

    def handle(self, *args: Any, **options: Any) -> None:
        if not keys.is_configured():
            logger.warning(
                "Web Push is off: WEBPUSH_VAPID_PRIVATE_KEY and WEBPUSH_VAPID_PUBLIC_KEY are not set (manage.py webpush_keys)"
            )
            return
        sender = WebPushSender(keys.vapid(), setting("WEBPUSH_SUBJECT"))
        worker = PushWorker(sender)
        try:
            if options["until_idle"]:
                worker.run_until_idle()
                return
            stop = threading.Event()
            for signum in (signal.SIGTERM, signal.SIGINT):
                signal.signal(signum, lambda *_: stop.set())
            cursor = worker.start()
            logger.info("push worker started at event %d", cursor.position)
            worker.run_forever(interval=options["interval"] or setting("POLL_INTERVAL"), stop=stop)
            logger.info("push worker stopped")
        finally:
            worker.close()
            sender.close()
