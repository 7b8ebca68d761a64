"""The engines ``chatapp.db`` makes never put a statement's parameters (a message, a password hash) in a log."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from chatapp.db import make_engine

PRIVATE = 'a private message that must never reach a log'


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    with engine.begin() as connection:
        connection.execute(text('CREATE TABLE note (body VARCHAR(100) UNIQUE, author INTEGER NOT NULL)'))
        connection.execute(text('INSERT INTO note (body, author) VALUES (:body, 1)'), {'body': PRIVATE})
    yield engine
    engine.dispose()


@pytest.mark.parametrize('author', [
    1,  # a duplicate: PostgreSQL's DETAIL quotes the key, 'Key (body)=(...) already exists'
    None,  # a NULL where none may be: PostgreSQL's DETAIL quotes the whole row, 'Failing row contains (...)'
])
def test_a_failing_statement_shows_no_parameter(engine: Engine, caplog: pytest.LogCaptureFixture,
                                                author: int | None) -> None:
    caplog.set_level(logging.INFO, logger='sqlalchemy.engine')  # what echo=True or a debugging operator would log
    engine.echo = True
    with pytest.raises(DBAPIError) as raised, engine.begin() as connection:
        connection.execute(text('INSERT INTO note (body, author) VALUES (:body, :author)'),
                           {'body': PRIVATE, 'author': author})
    logging.getLogger('test').error('the insert failed', exc_info=raised.value)  # as an error handler logs it

    shown = [str(raised.value), repr(raised.value), ''.join(traceback.format_exception(raised.value)), caplog.text]
    assert 'INSERT INTO note' in shown[0]  # the statement itself still helps whoever reads the log
    for text_ in shown:
        assert PRIVATE not in text_
