"""Answer quality holds: every evaluation set stays at or above the level recorded in levels.json.

The frozen test set (tests/eval/test/) is never tuned on; its level is what the answer code reached
when it was last measured. A change that makes answers worse on any set fails here, in CI.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks.eval_sets import SETS
from bot.evaluate import run_eval
from bot.service import PolicyBot

LEVELS = json.loads((Path(__file__).parent / "levels.json").read_text(encoding="utf-8"))
CHECKED = [s for s in SETS if s.name in LEVELS]


@pytest.mark.parametrize("eval_set", CHECKED, ids=[s.name for s in CHECKED])
def test_eval_set_stays_at_its_level(eval_set, settings, tmp_path):
    bot = PolicyBot(settings)
    report = bot.ingest([settings.corpus_dir, *eval_set.documents])
    assert not report.failures, [f.reason for f in report.failures]
    summary = run_eval(bot, eval_set.questions, tmp_path / "answers.jsonl")
    level = LEVELS[eval_set.name]
    failed = "\n".join(f"{f['id']}: {'; '.join(f['failures'])}" for f in summary["failures"])
    assert not summary["errors"]
    assert summary["pass_rate"] >= level["pass_rate"], f"{summary['pass_rate']:.1%} < {level['pass_rate']:.1%}\n{failed}"
    assert summary["ungrounded_answers"] <= level["ungrounded_answers"], failed
