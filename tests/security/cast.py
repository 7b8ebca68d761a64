"""The real app in a subprocess with alice, bob, carol and dave signed up through the services, and what it stored.

alice and bob are friends; carol and dave each asked alice to be friends, so alice's dashboard shows an Accept button
for each: clicking ``accept-carol`` on alice's page is the forged action the attacks try, ``accept-dave`` the honest
one that proves alice's page still works.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench.server import lifted_limits
from chatapp.app import make_runner
from chatapp.broker import MemoryBroker
from chatapp.schemas import Relation, UserPublic
from chatapp.services import conversations, friendships
from chatapp.services.tx import ServiceRunner
from tests.conftest import make_settings
from tests.e2e.harness import AppProcess, app_env, running_apps
from tests.factories import make_friends, make_user


@dataclass
class Cast:
    app: AppProcess
    services: ServiceRunner
    users: dict[str, UserPublic]

    def relation(self, name: str, other: str) -> Relation:
        """Where ``name`` stands with ``other``, read from the database."""
        relation, _ = self.services.run_sync(friendships.relation, actor_id=self.users[name].id,
                                             other_id=self.users[other].id)
        return relation

    def messages(self, name: str, peer: str) -> list[str]:
        """The texts stored in the conversation of ``name`` and ``peer``, oldest first."""
        info, _ = self.services.run_sync(conversations.open_direct, actor_id=self.users[name].id, peer_username=peer)
        stored, _ = self.services.run_sync(conversations.messages_after, actor_id=self.users[name].id,
                                           conversation_id=info.conversation_id, after_seq=0)
        return [message.body for message in stored]


@contextmanager
def running_cast(tmp_path: Path) -> Iterator[Cast]:
    """The app with the default socket budget; the per-account limits are lifted (``bench.server``), so that what
    these tests count is the socket guard's doing alone."""
    database_url = f"sqlite:///{tmp_path / 'server' / 'chatapp.db'}"
    (tmp_path / 'server').mkdir()
    services = make_runner(make_settings(tmp_path / 'services', database_url), MemoryBroker())
    try:
        users = {name: make_user(services, name) for name in ('alice', 'bob', 'carol', 'dave')}
        make_friends(services, users['alice'], users['bob'])
        for asker in ('carol', 'dave'):
            services.run_sync(friendships.send_request, actor_id=users[asker].id, target_id=users['alice'].id)
        limits = {k: v for k, v in lifted_limits().items() if k != 'CHATAPP_SOCKET_EVENTS_PER_SECOND'}
        app = AppProcess(tmp_path / 'server', {**app_env(database_url=database_url), **limits})
        with running_apps(app):
            yield Cast(app, services, users)
    finally:
        services.shutdown()
        services.engine.dispose()
