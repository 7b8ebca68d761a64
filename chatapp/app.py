"""The application factory and the entry point.

Nothing is built at import time: NiceGUI's test reset re-imports page modules between tests while other module
state survives, so engine, broker, hub and services are made here, once per ``create_app`` call.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from nicegui import app, core
from sqlalchemy import Engine

from chatapp import health, speedups
from chatapp.broker import Broker, make_broker
from chatapp.checkpoints import Checkpointer
from chatapp.db import make_engine, migrate
from chatapp.ephemeral import Ephemeral
from chatapp.files import Files, avatar_routes
from chatapp.files import routes as file_routes
from chatapp.files.avatar_parts import Avatars
from chatapp.files.janitor import Janitor
from chatapp.read_marker import ReadMarker
from chatapp.realtime import Hub
from chatapp.security import PasswordHasher, SecurityHeaders
from chatapp.security.limits import make_limits
from chatapp.security.socket_gate import SocketGate
from chatapp.services.tx import Deps, ServiceRunner
from chatapp.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class ChatApp:
    """Everything a page needs, handed to each page module's ``register``."""

    settings: Settings
    engine: Engine
    broker: Broker
    hub: Hub
    run: ServiceRunner
    """``await chat.run(service_fn, actor_id=..., ...)``: the only way pages change or read data."""
    ephemeral: Ephemeral
    """Typing and presence: ``await chat.ephemeral.typing(...)``, ``await chat.ephemeral.presence_of(...)``."""
    marker: ReadMarker
    """Read positions of every page of the process, written together: ``chat.marker.mark(...)``."""
    files: Files
    """Pictures and files: ``chat.files.links.file_url(...)``, ``chat.files.links.upload_token(...)``,
    ``chat.files.waiting.register(...)`` (see ``chatapp.files``)."""
    avatars: Avatars
    """Profile pictures: ``chat.avatars.tokens.upload_token(...)``, ``chat.avatars.waiting.register(...)``,
    ``chat.avatars.discard(...)`` (see ``chatapp.files.avatar_parts``)."""


def create_app(settings: Settings) -> ChatApp:
    """Build the app for ``settings``: database migrated, broker and hub wired, pages registered."""
    speedups.install()
    broker = make_broker(settings.redis_url, settings.redis_prefix)
    runner = make_runner(settings, broker)
    engine = runner.engine
    ephemeral = Ephemeral(settings, broker, runner)
    hub = Hub(broker, presence=ephemeral.presence)
    marker = ReadMarker(runner)
    files = Files.for_settings(settings)
    janitor = Janitor(files, runner)
    avatars = Avatars.for_settings(settings, files)
    chat = ChatApp(settings=settings, engine=engine, broker=broker, hub=hub, run=runner, ephemeral=ephemeral,
                   marker=marker, files=files, avatars=avatars)

    checkpoints = Checkpointer(engine)
    app.on_startup(checkpoints.start)
    app.on_startup(broker.start)
    app.on_startup(ephemeral.start)
    app.on_startup(janitor.start)
    app.on_startup(lambda: avatars.start(runner))
    app.on_shutdown(marker.close)  # first: its last marks need the database and the broker
    app.on_shutdown(janitor.stop)
    app.on_shutdown(avatars.stop)
    app.on_shutdown(files.close)
    app.on_shutdown(ephemeral.stop)
    app.on_shutdown(broker.stop)
    app.on_shutdown(runner.shutdown)
    app.on_shutdown(runner.close_limits)
    app.on_shutdown(checkpoints.stop)
    app.on_shutdown(engine.dispose)
    _check_socket_origin(settings)
    from chatapp.security.socket_guard import install_socket_guard

    guard = install_socket_guard(settings)  # a page answers only to its browser's own sockets, each within a budget
    app.add_middleware(SocketGate, rate=guard.budget.rate, burst=guard.budget.burst,
                       close_after=guard.budget.close_after, refusals=lambda: guard.refusals)
    app.add_middleware(SecurityHeaders)
    health.register(engine, settings.redis_url)  # GET /healthz: 200 or 503, for load balancers
    file_routes.register(files, runner)  # POST /files/upload?token=…, GET /files/<token>
    avatar_routes.register(avatars, runner)  # POST /files/avatar?token=…, GET /avatars/<sha256>-<size>.webp

    from pages import register_all

    register_all(chat)
    app.state.chatapp = chat
    return chat


def make_runner(settings: Settings, broker: Broker) -> ServiceRunner:
    """The service layer for ``settings``: engine on a migrated database, password hasher, events to ``broker``."""
    engine = make_engine(settings.resolved_database_url)
    migrate(engine)
    hasher = PasswordHasher(memory_kib=settings.argon2_memory_kib, time_cost=settings.argon2_time_cost)
    return ServiceRunner(engine, broker, Deps(hasher=hasher, settings=settings), limits=make_limits(settings))


def _check_socket_origin(settings: Settings) -> None:
    """NiceGUI's socket.io server accepts any Origin; accept only our own (or the configured public origin), so
    another site cannot open a socket with a visitor's cookies."""
    if settings.public_origin:
        core.sio.eio.cors_allowed_origins = [settings.public_origin.rstrip('/')]
    else:
        core.sio.eio.cors_allowed_origins = None  # engine.io's same-origin check: scheme://Host of the request


def main() -> None:
    """``python -m chatapp``: see ``chatapp.cli``."""
    from chatapp.cli import run_cli

    run_cli()
