"""benchmarks/eval_heldout.py --rows: a dumped run is scored again only for the worlds it holds."""

from __future__ import annotations

import pickle
import sys
from pathlib import Path

import pytest

from evalkit.harness import Task, run_task

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from eval_heldout import _dumped


def test_a_dump_of_the_same_worlds_is_read_and_any_other_refused(tmp_path: Path) -> None:
    todo = [Task("cascade", "default", "real/sock_shop", s) for s in (0, 1)]
    rows = [r for t in todo for r in run_task(t)]
    dump = tmp_path / "rows.pkl"
    dump.write_bytes(pickle.dumps(rows))
    assert _dumped(dump, todo) == rows
    with pytest.raises(SystemExit, match="not the ones these options ask for"):
        _dumped(dump, [*todo, Task("cascade", "default", "real/sock_shop", 2)])
    with pytest.raises(SystemExit, match="cannot read a dumped run"):
        _dumped(tmp_path / "missing.pkl", todo)
    (tmp_path / "bad.pkl").write_bytes(b"not a pickle")
    with pytest.raises(SystemExit, match="cannot read a dumped run"):
        _dumped(tmp_path / "bad.pkl", todo)
