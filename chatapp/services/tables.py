"""The Core tables of the models, for the statements that run without the ORM's per-call work."""

from __future__ import annotations

from sqlalchemy import Table, inspect
from sqlmodel import SQLModel


def core_table(model: type[SQLModel]) -> Table:
    """The Core table of ``model``: statements on it run without the ORM's per-call work."""
    table = inspect(model).local_table
    assert isinstance(table, Table)
    return table
