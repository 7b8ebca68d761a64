"""The load tool's smoke run: every scenario at tiny counts against real app processes (PostgreSQL and Redis for
the two-process one), so the tool never rots (issue 8's group, presence churn and inbox scenarios and issue 9's
typing people included). It
asserts what was delivered, never how fast; and that the flood scenario's flooder, on the app's default limits,
stored no more than they allow."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from bench import seed
from bench.__main__ import run
from bench.report import markdown
from bench.scenarios import SCENARIOS, SMOKE
from bench.setup import Services


async def test_every_scenario_delivers_each_message_once(tmp_path: Path, redis_url: str) -> None:
    postgres = os.environ.get('CHATAPP_TEST_DATABASE_URL')  # CI always sets it (tests/conftest.py fails it if not)
    database = f'chatapp_bench_{uuid.uuid4().hex[:8]}'
    names = ''.join(name for name in SCENARIOS if postgres or name != 'f')
    try:
        services = Services(tmp_path, postgres_url=postgres, redis_url=redis_url, postgres_database=database)
        rows = await run(services, names, SMOKE)
    finally:
        if postgres:
            seed.drop_postgres(postgres, database)

    assert list(rows) == list(names)
    for name, row in rows.items():
        if 'sent' in row:
            assert row['sent'] > 0, name
            assert (row['lost'], row['duplicated'], row['delivered']) == (0, 0, row['sent']), (name, row)
            assert row['server_cpu_ms_per_msg'] is not None, name  # every scenario that delivers says what it cost
    assert rows['a']['sent'] == SMOKE.a_messages
    assert rows['b']['sent'] == int(SMOKE.b_rate * SMOKE.b_seconds)
    assert rows['d']['open_pages'] == 2 * SMOKE.d_pairs and rows['d']['messages_shown_min'] >= 50
    assert rows['e']['open_p50_ms'] is not None and rows['e']['previous_p50_ms'] is not None
    assert rows['g']['logins'] == int(SMOKE.g_logins_per_second * SMOKE.a_messages / 20)
    flood = rows['h']  # the honest pairs lost nothing (above); the flooder got no more than the default limit allows
    assert (flood['alone_lost'], flood['alone_duplicated']) == (0, 0), flood
    assert flood['flood_messages'] == SMOKE.h_flood_messages > flood['flood_allowed'], flood
    assert 0 < flood['flood_stored'] <= flood['flood_allowed'], flood
    group = rows['k']  # every message reached every member's page, the sender's own included, once
    assert (group['members'], group['pages_missed']) == (SMOKE.k_members, 0), group
    assert group['page_deliveries'] == SMOKE.k_members * group['sent'], group
    churned = rows['i']  # the pair alone, then beside the crowd whose tabs close and open
    assert churned['quiet_lost'] == 0 and churned['disconnects_per_s'] > 0, churned
    assert churned['connects_failed'] == 0, churned
    busy = rows['j']  # the first page of the inbox; pages with every row of their person and 50 messages
    assert busy['rows_shown'] == 50 and busy['server_open_p99_ms'] is not None, busy
    assert busy['memory_rows_min'] == 2 * SMOKE.j_memory_span and busy['memory_messages_min'] >= 50, busy
    rested = rows['r']  # every page went to rest, and the ones looked at again came back whole
    assert rested['resting_pages'] == rested['memory_pages'] == SMOKE.j_memory_people, rested
    assert rested['back_messages_min'] >= 50 and rested['back_duplicated'] == 0 and rested['back_pages'] > 0, rested
    visited = rows['v']  # new browsers fetched the page and every NiceGUI file it names
    assert visited['visits'] == SMOKE.v_visits and visited['requests_per_visit'] > 5, visited
    typed = rows['t']  # people typing: the composer's signal reached the other page; the sockets were counted
    assert typed['typing_signals_per_msg'] >= 1 and typed['typing_lines_shown'] > 0, typed
    assert typed['frame_kinds_per_msg'].get('sent event', 0) >= 2, typed  # the signal and Enter, per message
    assert (typed['pasted_lost'], typed['pasted_sent'] > 0) == (0, True), typed
    searched = rows['l']  # message search timed on SQLite (and PostgreSQL when there), finding the same messages
    assert searched['sqlite_searches'] == SMOKE.l_searches and searched['sqlite_hits'] > 0, searched
    uploaded = rows['m']  # the pair beside the uploads lost nothing (above); every upload was stored
    assert uploaded['uploads'] > 0 and uploaded['uploads_ok'] == uploaded['uploads'], uploaded
    pictured = rows['n']  # pages with their pictures and reactions, measured
    assert pictured['memory_messages_min'] >= 50 and pictured['kb_per_page'] is not None, pictured
    if postgres:
        assert searched['postgres_hits'] == searched['sqlite_hits'], searched
    table = markdown(rows, 'python -m bench --smoke', 'smoke')
    assert all(f'| {name}. ' in table for name in names)
