"""The people most service tests need: made through the real services, fresh for each test and backend. A test
module that needs them otherwise (other display names) defines its own."""

from __future__ import annotations

import pytest

from chatapp.schemas import UserPublic
from chatapp.services.tx import ServiceRunner
from tests.factories import make_user


@pytest.fixture
def alice(services: ServiceRunner) -> UserPublic:
    return make_user(services, 'alice', display_name='Alice')


@pytest.fixture
def bob(services: ServiceRunner) -> UserPublic:
    return make_user(services, 'bob')


@pytest.fixture
def carol(services: ServiceRunner) -> UserPublic:
    return make_user(services, 'carol')


@pytest.fixture
def dave(services: ServiceRunner) -> UserPublic:
    return make_user(services, 'dave')
