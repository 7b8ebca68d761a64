"""Two app processes behind one Redis and one database, as in a scaled deployment: a browser on each, and every
update crosses from one process to the other live."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.cluster import Cluster, cluster
from tests.e2e.harness import (
    BrowserFactory,
    accept,
    find,
    login,
    open_chat,
    open_dashboard,
    search_and_add,
    send,
    wait_for_message,
)
from tests.factories import PASSWORD, make_user


@pytest.fixture
def two_apps(tmp_path: Path, redis_url: str, redis_prefix: str) -> Iterator[Cluster]:
    with cluster(tmp_path, redis_url, redis_prefix) as apps:
        yield apps


def test_friend_request_and_messages_cross_processes(two_apps: Cluster, new_browser: BrowserFactory) -> None:
    a, b = two_apps.apps
    make_user(two_apps.services, 'alice', display_name='Alice')
    make_user(two_apps.services, 'bob', display_name='Bob')
    alice, bob = new_browser(), new_browser()
    login(alice, a.base_url, 'alice', PASSWORD)
    login(bob, b.base_url, 'bob', PASSWORD)
    open_dashboard(alice, a.base_url)
    open_dashboard(bob, b.base_url)

    search_and_add(bob, 'alice')  # on B
    find(alice, 'accept-bob')  # shows up on A
    accept(alice, 'bob')
    find(bob, 'chat-alice')  # and the acceptance on B

    open_chat(alice, 'bob')
    open_chat(bob, 'alice')
    hello = f'hello from A {uuid.uuid4().hex[:8]}'
    send(alice, hello)
    wait_for_message(bob, hello)
    reply = f'hello from B {uuid.uuid4().hex[:8]}'
    send(bob, reply)
    wait_for_message(alice, reply)
