from __future__ import annotations

import time
from typing import Any

import orjson
from django.core.management.base import BaseCommand, CommandParser

from realtime.delivery import stats
from realtime.push import selectors as push_selectors


class Command(BaseCommand):
    help = "Open connections per channel for each running server process, events in the last minute, oldest undelivered event."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--watch", action="store_true", help="Refresh every --interval seconds until interrupted.")
        parser.add_argument("--interval", type=float, default=2.0)
        parser.add_argument("--json", action="store_true", help="One JSON object per refresh.")
        parser.add_argument("--times", type=int, default=0, help="With --watch, stop after this many refreshes.")

    def handle(self, *args: Any, **options: Any) -> None:
        shown = 0
        while True:
            self.show(options["json"])
            shown += 1
            if not options["watch"] or (options["times"] and shown >= options["times"]):
                return
            try:
                time.sleep(options["interval"])
            except KeyboardInterrupt:
                return

    def show(self, as_json: bool) -> None:
        summary, processes, push = stats.log_summary(), stats.processes(), push_selectors.worker_status()
        if as_json:
            self.stdout.write(orjson.dumps({**summary, "processes": processes, "push_worker": push}).decode())
            return
        self.stdout.write(time.strftime("%Y-%m-%d %H:%M:%S"))
        if not summary["shared_layer"]:
            self.stdout.write("  (no REDIS_URL: server processes cannot report their connections)")
        elif not processes:
            self.stdout.write("  no server process is reporting")
        for process in processes:
            total = sum(process["connections"].values())
            lag = summary["newest_event_id"] - process["position"]
            self.stdout.write(f"  {process['process']}: {total} connection(s), at event {process['position']} (behind by {lag})")
            presence = process.get("presence") or {}
            if presence:
                self.stdout.write(f"    presence: {presence.get('topics', 0)} topic(s), {presence.get('members', 0)} member(s)")
            for channel, count in sorted(process["connections"].items()):
                self.stdout.write(f"    {channel:<16} {count}")
        age = summary["oldest_undelivered_age_seconds"]
        self.stdout.write(f"  events in the last minute: {summary['events_last_minute']}")
        self.stdout.write(f"  oldest undelivered event: {'none' if age is None else f'{age:.1f}s old'}")
        if push is None:
            self.stdout.write("  push worker: never started")
        else:
            self.stdout.write(
                f"  push worker: at event {push['position']} (behind by {push['behind']}), {push['pending']} push(es) waiting"
            )
