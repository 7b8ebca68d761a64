"""``GET /healthz`` (and ``HEAD``) for load balancers: 200 while the database and Redis (when configured) answer,
503 otherwise, with a short JSON body that names each part's state and nothing else (no URL, no error text).

Each probe runs with a time limit, the database probe on a thread of its own (a driver call blocks); while one is
still running, later requests wait for the same probe instead of starting another, so a database that hangs cannot
use up threads however often the balancer asks.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from concurrent.futures import ThreadPoolExecutor
from functools import partial

from nicegui import app
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from sqlalchemy import Engine
from starlette.middleware.sessions import Session
from starlette.requests import Request
from starlette.responses import JSONResponse

from chatapp.db import probe

log = logging.getLogger(__name__)

PATH = '/healthz'
PROBE_SECONDS = 2.0
"""Longest a probe may take before its part counts as unreachable; below the usual balancer timeouts (5 s)."""
OK, UNREACHABLE = 'ok', 'unreachable'


class Health:
    """The probes and the route's handler."""

    def __init__(self, engine: Engine, redis_url: str | None) -> None:
        self.engine = engine
        self.redis_url = redis_url
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix='chatapp-health')
        self._database_probe: asyncio.Future[None] | None = None
        self._redis: Redis | None = None
        self._last: dict[str, str] = {}

    async def handle(self, request: Request) -> JSONResponse:
        parts = {'database': self._database()}
        if self.redis_url:
            parts['redis'] = self._ping_redis()
        states = dict(zip(parts, await asyncio.gather(*parts.values()), strict=True))
        self._log_changes(states)
        # Starlette's session middleware sets a cookie for a session that was modified: NiceGUI's middleware gave
        # this request a new session id. A fresh, untouched session sends none, and deletes no visitor's either.
        if 'session' in request.scope:
            request.scope['session'] = Session()
        healthy = all(state == OK for state in states.values())
        return JSONResponse(states, status_code=200 if healthy else 503, headers={'Cache-Control': 'no-store'})

    async def close(self) -> None:
        self._thread.shutdown(wait=False, cancel_futures=True)
        if self._redis is not None:
            await self._redis.aclose()

    async def _database(self) -> str:
        if self._database_probe is None or self._database_probe.done():
            loop = asyncio.get_running_loop()
            self._database_probe = loop.run_in_executor(
                self._thread, partial(probe, self.engine, timeout=PROBE_SECONDS))
            # A probe that outlived its requests fails with nobody awaiting it: take its error, or asyncio logs it.
            self._database_probe.add_done_callback(lambda done: done.cancelled() or done.exception())
        return await _state_of(asyncio.shield(self._database_probe), 'database')

    async def _ping_redis(self) -> str:
        if self._redis is None:  # made in the event loop that uses it; no retries: a probe must answer now
            assert self.redis_url is not None
            self._redis = Redis.from_url(self.redis_url, socket_timeout=PROBE_SECONDS,
                                         socket_connect_timeout=PROBE_SECONDS, retry=Retry(NoBackoff(), 0))
        return await _state_of(self._redis.ping(), 'redis')

    def _log_changes(self, states: dict[str, str]) -> None:
        """One line when a part changes state, not one per probe (a balancer asks every few seconds)."""
        for part, state in states.items():
            if self._last.get(part, OK) != state:
                log.log(logging.INFO if state == OK else logging.WARNING, 'health: %s is %s', part, state)
        self._last = states


async def _state_of(check: Awaitable[object], part: str) -> str:
    try:
        await asyncio.wait_for(check, PROBE_SECONDS)
    except Exception as error:  # whatever the driver raises, the balancer needs only to know
        log.debug('health: %s probe failed with %s', part, type(error).__name__)
        return UNREACHABLE
    return OK


def register(engine: Engine, redis_url: str | None) -> Health:
    """Add the route (again, after NiceGUI's test reset removed it) and close the probes at shutdown."""
    health = Health(engine, redis_url)
    app.remove_route(PATH)
    app.add_api_route(PATH, health.handle, methods=['GET', 'HEAD'], include_in_schema=False)
    app.on_shutdown(health.close)
    return health
