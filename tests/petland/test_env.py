"""``petland.env``: the helpers settings read the environment and the machine through."""

from __future__ import annotations

import socket

from petland.env import redis_answers
from tests.support.servers import RedisServer, free_port


def test_a_running_redis_answers():
    with RedisServer() as redis:
        assert redis_answers(redis.url, timeout=5)


def test_a_port_nothing_listens_on_does_not_answer():
    assert not redis_answers(f"redis://127.0.0.1:{free_port()}/0")


def test_a_stopped_redis_no_longer_answers():
    redis = RedisServer().start()
    redis.stop()

    assert not redis_answers(redis.url)


def test_a_server_that_is_not_redis_does_not_answer():
    with socket.socket() as listener:  # accepts the connection and never says PONG
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]

        assert not redis_answers(f"redis://127.0.0.1:{port}/0", timeout=0.5)
