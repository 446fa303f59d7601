"""The hand-worked review windows of ../shared/acceptance/window_examples.jsonl.

CI checks out only the repository, so a copy lives in tests/data and is tested
unconditionally; the shared file, when present, is tested too so a new line there
is noticed.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from reminder.window import compute_window

# Every line agrees with holidays 0.109 plus reminder's curated Bahrain layer. One note is
# looser than its dates: BH 2026-04-28 says it "spans Labour Day (Fri) and Eid al-Adha", but
# its deadline (19 May) comes before Arafat Day (26 May) and Eid al-Adha (27-29 May); only
# Labour Day, on the weekend anyway, lies inside it. The dates themselves are right.
SHARED = Path(__file__).parents[2] / "shared/acceptance/window_examples.jsonl"
COPY = Path(__file__).parent / "data/window_examples.jsonl"


def _load(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _check(example: dict[str, Any]) -> None:
    w = compute_window(
        date.fromisoformat(example["submitted"]),
        country=example["country"],
        subdivision=example["subdivision"],
    )
    got = {"opens": w.opens.isoformat(), "deadline": w.deadline.isoformat(), "tentative": w.tentative}
    want = {k: example[k] for k in ("opens", "deadline", "tentative")}
    assert got == want, example.get("note")
    assert not w.warnings


@pytest.mark.parametrize("example", _load(COPY), ids=lambda e: f"{e['country']}-{e['submitted']}")
def test_repository_copy(example: dict[str, Any]) -> None:
    _check(example)


def test_copy_matches_shared_file() -> None:
    if not SHARED.exists():
        pytest.skip(f"{SHARED} is not checked out (CI has only the repository)")
    assert _load(SHARED) == _load(COPY)


@pytest.mark.skipif(not SHARED.exists(), reason="../shared/acceptance is not checked out")
def test_shared_file() -> None:
    for example in _load(SHARED):
        _check(example)
