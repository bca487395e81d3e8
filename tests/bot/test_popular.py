"""The questions asked most are remembered across a restart, and the next start is warm with them.

What a user would notice: after a restart the popular questions are answered from the cache at once,
with the answer a fresh computation gives; a question asked only once (it may hold a visitor's own
details) is never written to disk; the file is never half written.
"""

from __future__ import annotations

from bot.popular import FILE_NAME, PopularQuestions
from core.settings import Settings
from tests.bot.test_cache import bot_for, plan_home, same_but_latency  # noqa: F401 - plan_home is a fixture


def test_most_asked_first_and_only_what_was_asked_twice():
    popular = PopularQuestions(limit=10)
    for question in ["甲？", "乙？", "甲？", "丙？", "丙？", "丙？", "丁？"]:
        popular.record(question)
    assert popular.most_asked() == ["丙？", "甲？"]
    assert popular.most_asked(min_count=1) == ["丙？", "甲？", "乙？", "丁？"]


def test_the_counts_stay_bounded_and_keep_the_most_asked():
    popular = PopularQuestions(limit=3)
    for _ in range(5):
        popular.record("常问？")
    for number in range(100):
        popular.record(f"只问一次{number}？")
    assert len(popular._counts) <= 6 and popular.most_asked() == ["常问？"]


def test_a_saved_list_is_whole_and_seeds_the_next_run_in_its_order(tmp_path):
    popular = PopularQuestions(limit=10)
    for question in ["甲？", "乙？", "乙？", "甲？", "乙？", "坏\n问题？", "坏\n问题？"]:
        popular.record(question)
    path = tmp_path / "home" / FILE_NAME
    assert popular.save(path) == 2  # a question with a line break cannot be one line: left out
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if not line.startswith("#")]
    assert lines == ["乙？", "甲？"] and not list(path.parent.glob(f".{FILE_NAME}.*"))

    next_run = PopularQuestions(limit=10)
    next_run.seed(lines)
    next_run.record("丙？")
    assert next_run.most_asked() == ["乙？", "甲？"]  # remembered, in order; 丙 asked once is not


def test_a_restarted_bot_is_warm_with_what_was_asked_most(plan_home, embedder):
    settings = Settings(home=plan_home, chroma_url=None)
    today = bot_for(settings, embedder)
    for question in ["请问，人工智能+医疗由哪些部门负责？", "人工智能+医疗由哪些部门负责？", "算力券怎么申请？",
                     "算力券怎么申请？", "我司在杭州滨江，注册资本500万，能申请吗？"]:
        today.ask(question)
    today.ask("那责任单位呢？", [{"role": "user", "content": "算力券怎么申请？"}])  # a follow-up: not warmable
    assert today.remember_popular() == 2
    remembered = (plan_home / FILE_NAME).read_text(encoding="utf-8")
    assert "滨江" not in remembered and "责任单位" not in remembered  # asked once: never on disk

    tomorrow = bot_for(settings, embedder)
    assert tomorrow.warm_source() == plan_home / FILE_NAME
    lines: list[str] = []
    tomorrow.warm_cache(lines.append)
    assert lines[-1].startswith("cache warm-up: done, 2 answered, 0 skipped")
    fresh = bot_for(Settings(home=plan_home, chroma_url=None, cache_entries=0), embedder)
    hits = tomorrow.answers.stats().hits
    assert same_but_latency(tomorrow.ask("您好，算力券怎么申请？"), fresh.ask("算力券怎么申请？"))
    assert tomorrow.answers.stats().hits == hits + 1
    # Remembered, and asked again today: now the most asked.
    assert tomorrow.popular.most_asked() == ["算力券怎么申请？", "人工智能+医疗由哪些部门负责？"]


def test_an_explicit_warm_file_wins_and_an_off_setting_remembers_nothing(plan_home, embedder, tmp_path):
    chosen = tmp_path / "chosen.txt"
    chosen.write_text("算力券怎么申请？\n", encoding="utf-8")
    assert bot_for(Settings(home=plan_home, chroma_url=None, cache_warm_file=chosen), embedder).warm_source() == chosen
    off = bot_for(Settings(home=plan_home, chroma_url=None, cache_remember_popular=False), embedder)
    assert off.popular_path is None and off.warm_source() is None and off.remember_popular() is None
    uncached = bot_for(Settings(home=plan_home, chroma_url=None, cache_entries=0), embedder)
    assert uncached.popular_path is None
