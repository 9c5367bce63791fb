from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from realtime.log import services
from realtime.conf import setting


class Command(BaseCommand):
    help = "Delete events older than the retention (REALTIME_EVENT_RETENTION_DAYS, default 7). Run it daily."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=None, help="Override the retention, in days.")

    def handle(self, *args: Any, **options: Any) -> None:
        days = options["days"] if options["days"] is not None else setting("EVENT_RETENTION_DAYS")
        if days < 1:
            raise CommandError("--days must be at least 1.")
        deleted = services.events_prune(older_than_days=days)
        self.stdout.write(f"Pruned {deleted} event(s) older than {days} day(s).")
