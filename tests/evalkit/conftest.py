from __future__ import annotations

import sys
from pathlib import Path

import pytest

# evalkit is a dev-only top-level package of the repository, not part of the installed wheel.
REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from evalkit.classic.topologies import Topology  # noqa: E402
from evalkit.topologies import default_topologies  # noqa: E402

SHARED = Path("/work/shared/topologies")


@pytest.fixture(scope="session")
def topologies() -> list[Topology]:
    found = default_topologies(SHARED)
    if not found:
        pytest.skip("no topologies available")
    return found
