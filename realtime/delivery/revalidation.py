"""Accounts that change while their sockets are open: every ``REVALIDATE_INTERVAL`` a hub reads
the connected users' ``is_active`` and ``is_staff`` and closes or narrows the sockets of those
who were disabled, or gained or lost staff rights."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from channels.db import database_sync_to_async

from realtime.conf import setting
from realtime.log import selectors
from realtime.sockets import accounts

if TYPE_CHECKING:
    from realtime.delivery.hub import Hub

logger = logging.getLogger(__name__)


async def revalidate_forever(hub: Hub) -> None:
    """Close or narrow sockets whose user was disabled or gained or lost staff rights."""
    await hub.wait_ready()
    interval = setting("REVALIDATE_INTERVAL")
    while True:
        await asyncio.sleep(interval)
        subs = [(sub, sub.user_id) for sub in hub.subscribers() if sub.user_id is not None]
        if not subs:
            continue
        user_ids = {user_id for _sub, user_id in subs}
        try:
            status = await database_sync_to_async(selectors.account_status)(user_ids)
        except Exception:
            logger.exception("realtime hub could not revalidate connected users")
            continue
        accounts.drop_expired()
        accounts.remember(user_ids, status)  # new sockets of these users need no query
        for sub, user_id in subs:
            is_active, is_staff = status.get(user_id, (False, False))
            if not is_active or is_staff != sub.is_staff:
                try:
                    await sub.revalidate(is_active=is_active, is_staff=is_staff)
                except Exception:
                    logger.exception("realtime hub could not revalidate a socket")
