"""Session-wide real servers for the integration tests (see ``servers.py``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from .servers import Server, start_alertmanager, start_prometheus, start_redis


@pytest.fixture(scope="session")
def alertmanager(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = start_alertmanager(tmp_path_factory.mktemp("alertmanager"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def prometheus(tmp_path_factory: pytest.TempPathFactory, alertmanager: Server) -> Iterator[Server]:
    server = start_prometheus(tmp_path_factory.mktemp("prometheus"), alertmanager)
    yield server
    server.stop()


@pytest.fixture
def spare_alertmanager(tmp_path: Path) -> Iterator[Server]:
    """A throwaway instance a test may kill without harming the shared ones."""
    server = start_alertmanager(tmp_path / "spare")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = start_redis(tmp_path_factory.mktemp("redis"))
    yield server
    server.stop()
