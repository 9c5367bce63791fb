"""``manage.py notify <username> "Your order is ready" [--type success|error]``: send a notification.

It goes through the notification service like any other, so it is stored, shown on the
user's ``users`` channel now if they are connected, and delivered on their next connect if not.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from realtime.declaring.notifications import notification_service


class Command(BaseCommand):
    help = "Send a success or error notification to a user (by username or id)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("user", help="Username or id of the recipient.")
        parser.add_argument("message", help="The text of the notification.")
        parser.add_argument("--type", choices=["success", "error"], default="success", dest="kind")

    def handle(self, *args: Any, **options: Any) -> None:
        user = find_user(options["user"])
        message = options["message"].strip()
        if not message:
            raise CommandError("The message is empty.")
        service = notification_service.sync
        if options["kind"] == "error":
            service.send_error_notification(user_id=user.pk, error_message=message)
        else:
            service.send_success_notification(user_id=user.pk, success_message=message)
        self.stdout.write(f"Sent {options['kind']} notification to {user.get_username()} (id {user.pk}).")


def find_user(name: str) -> Any:
    """The user with this username, else with this id; CommandError when there is none."""
    users = get_user_model().objects
    user = users.filter(username=name).first()
    if user is None and name.isdigit():
        user = users.filter(pk=int(name)).first()
    if user is None:
        raise CommandError(f"There is no user {name!r} (give a username or an id).")
    return user
