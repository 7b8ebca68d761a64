"""Alembic's environment for chatapp: runs on the connection ``chatapp.migrate`` hands over.

``chatapp.migrate`` builds the Alembic config in code and puts an open connection (already locked against other
migrators) into ``config.attributes['connection']``; there is no ``alembic.ini``.
"""

from __future__ import annotations

from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy import Connection
from sqlmodel import SQLModel
from sqlmodel.sql.sqltypes import AutoString

import models  # noqa: F401  (registers every table on SQLModel.metadata)
from chatapp.migrate import include_name

target_metadata = SQLModel.metadata


def run() -> None:
    connection: Connection | None = context.config.attributes.get('connection')
    if connection is None:
        raise RuntimeError('run migrations through chatapp.migrate, which passes a connection to Alembic')
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == 'sqlite',  # SQLite cannot ALTER much: copy-and-move instead
        render_item=_render_item,
        compare_type=True,
        include_name=include_name,  # the full-text search objects, which no model describes
    )
    with context.begin_transaction():
        context.run_migrations()


def _render_item(type_: str, obj: Any, _context: AutogenContext) -> str | Literal[False]:
    """Write SQLModel's ``AutoString`` as plain ``sa.String``, so revisions do not depend on SQLModel internals."""
    if type_ == 'type' and isinstance(obj, AutoString):
        return f'sa.String(length={obj.length})' if obj.length else 'sa.String()'
    return False


run()
