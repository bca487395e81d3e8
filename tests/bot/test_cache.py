"""Repeated questions are answered from memory, with exactly the answer a fresh computation gives.

What a user would notice: the same answer (text, citations, refusal) whether it was cached or not;
a new, changed or removed document shows in the very next answer; a generated answer is asked of
the model again unless caching those is switched on; the cache stays within its bounds.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from bot.cache import AnswerCache, answer_key, normalise_question
from bot.models import Answer, Citation, Turn
from bot.service import PolicyBot
from core.settings import Settings
from tests.fakes.chat_model import ScriptedChatModel

UNIQUE = "星河算力通票"
POLICY = """测试市{term}管理办法（缓存测试样例）
测试市数据局
2025年5月1日
第一条 为降低中小企业算力成本，测试市设立{term}，制定本办法。
第二条 {term}面向在测试市注册的人工智能企业发放，每家企业每年最高{amount}。（责任单位：测试市数据局、测试市财政局）
第三条 本办法自发布之日起施行。
"""
QUESTION = f"{UNIQUE}每家企业每年最高多少？"
QUESTIONS = [
    ("AI+医疗谁管", []),
    ("省发改委负责哪些领域？", []),
    ("帮我写一首关于春天的诗", []),  # refused
    ("那它的责任单位有哪些？", [Turn(role="user", content="人工智能+医疗有哪些举措？"), Turn(role="assistant", content="…")]),
]


def policy_file(folder: Path, amount: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "cache-test-policy.md"
    path.write_text(POLICY.format(term=UNIQUE, amount=amount), encoding="utf-8")
    return path


def bot_for(settings: Settings, embedder) -> PolicyBot:
    policybot = PolicyBot(settings)
    policybot.store.embedder = embedder
    policybot.retriever.refresh_seconds = 0  # look at the index on every question, as after an ingest
    return policybot


def same_but_latency(a: Answer, b: Answer) -> bool:
    """Every field, the ones kept out of the JSON (whole clause, status, route) included, but latency."""
    return a.model_copy(update={"latency_ms": 0.0}) == b.model_copy(update={"latency_ms": 0.0})


@pytest.fixture(scope="module")
def plan_home(tmp_path_factory, embedder):
    home = tmp_path_factory.mktemp("cache-plan")
    settings = Settings(home=home, chroma_url=None)
    assert not bot_for(settings, embedder).ingest([settings.corpus_dir]).failures
    return home


# --- identical answers ---------------------------------------------------------------
@pytest.mark.parametrize(("question", "history"), QUESTIONS, ids=["agencies", "reverse", "refused", "follow-up"])
def test_a_cached_answer_is_the_fresh_answer(plan_home, embedder, question, history):
    cached_bot = bot_for(Settings(home=plan_home, chroma_url=None), embedder)
    fresh_bot = bot_for(Settings(home=plan_home, chroma_url=None, cache_entries=0), embedder)

    first = cached_bot.ask(question, history)
    again = cached_bot.ask(question, history)
    fresh = fresh_bot.ask(question, history)

    assert cached_bot.answers.stats().hits == 1
    assert same_but_latency(again, fresh) and same_but_latency(first, fresh)
    assert again.citations and all(c.clause_text for c in again.citations) or again.refused
    # What a caller does to its copy does not reach the next asker.
    again.citations.clear()
    assert same_but_latency(cached_bot.ask(question, history), fresh)


def test_the_stream_of_a_cached_answer_is_the_answer(plan_home, embedder):
    policybot = bot_for(Settings(home=plan_home, chroma_url=None), embedder)
    first = list(policybot.stream("AI+医疗谁管"))
    again = list(policybot.stream("AI+医疗谁管"))
    assert "".join(again[:-1]) == again[-1].answer and same_but_latency(again[-1], first[-1])
    assert policybot.answers.stats().hits == 1


def test_the_key_is_the_question_the_answerer_reads_and_the_conversation():
    assert normalise_question("\u200b AI+医疗谁管 \ufeff\n") == "AI+医疗谁管"
    key = answer_key("AI+医疗谁管", [], "v1")
    assert answer_key(" AI+医疗谁管\u200b", [], "v1") == key
    assert answer_key("您好，请问AI+医疗谁管，麻烦告知！", [], "v1") == key  # courtesy asks nothing
    assert answer_key("AI+医疗谁管？", [], "v1") != key  # a different text to the answerer's search
    assert answer_key("请问AI+医疗谁管?谢谢", [], "v1") == answer_key("AI+医疗谁管？", [], "v1")
    assert answer_key("AI+医疗谁管", [], "v2") != key
    assert answer_key("AI+医疗谁管", [Turn(role="user", content="算力券是什么？")], "v1") != key
    assert answer_key("AI+医疗谁管", [Turn(role="assistant", content="算力券是什么？")], "v1") != answer_key(
        "AI+医疗谁管", [Turn(role="user", content="算力券是什么？")], "v1"
    )


def test_a_question_in_courtesy_is_the_same_question_and_one_entry(plan_home, embedder):
    cached_bot = bot_for(Settings(home=plan_home, chroma_url=None), embedder)
    fresh_bot = bot_for(Settings(home=plan_home, chroma_url=None, cache_entries=0), embedder)
    plain = fresh_bot.ask("人工智能+医疗由哪些部门负责？")
    wrappings = ["人工智能+医疗由哪些部门负责？", "您好，请问人工智能+医疗由哪些部门负责？谢谢！",
                 "想了解一下：人工智能+医疗由哪些部门负责？", "打扰了，人工智能+医疗由哪些部门负责?多谢"]
    answers = [cached_bot.ask(question) for question in wrappings]

    assert plain.citations and plain.question == "人工智能+医疗由哪些部门负责？"
    assert all(same_but_latency(answer, plain) for answer in answers)
    stats = cached_bot.answers.stats()
    assert (stats.entries, stats.misses, stats.hits) == (1, 1, len(wrappings) - 1)


# --- invalidation --------------------------------------------------------------------
def test_ingest_change_and_removal_each_show_in_the_next_answer(tmp_path, embedder):
    settings = Settings(home=tmp_path / "home", chroma_url=None)
    policybot = bot_for(settings, embedder)
    assert not policybot.ingest([settings.corpus_dir]).failures
    before = policybot.ask(QUESTION)
    assert not any("缓存测试样例" in c.doc_title for c in before.citations)
    assert policybot.ask(QUESTION).answer == before.answer  # cached

    # A new document.
    assert not policybot.ingest([policy_file(tmp_path / "v1", "30万元")]).failures
    added = policybot.ask(QUESTION)
    assert "30万元" in added.answer and any("缓存测试样例" in c.doc_title for c in added.citations)
    assert policybot.ask(QUESTION).answer == added.answer

    # A changed version of it.
    [result] = policybot.ingest([policy_file(tmp_path / "v2", "50万元")]).results
    assert result.status == "updated"
    changed = policybot.ask(QUESTION)
    assert "50万元" in changed.answer and "30万元" not in changed.answer

    # Its removal.
    assert policybot.store.remove_document(result.document.doc_id)
    policybot.retriever.refresh()
    removed = policybot.ask(QUESTION)
    assert "50万元" not in removed.answer and not any("缓存测试样例" in c.doc_title for c in removed.citations)
    assert same_but_latency(removed, before)  # the index is as it was before the ingest


def test_a_document_another_process_ingests_shows_in_the_next_answer(tmp_path, embedder):
    settings = Settings(home=tmp_path / "home", chroma_url=None)
    reader = bot_for(settings, embedder)
    assert not reader.ingest([settings.corpus_dir]).failures
    assert "30万元" not in reader.ask(QUESTION).answer

    writer = bot_for(settings, embedder)  # another replica on the same index
    assert not writer.ingest([policy_file(tmp_path / "v1", "30万元")]).failures
    assert "30万元" in reader.ask(QUESTION).answer


# --- generated answers ---------------------------------------------------------------
WELL_CITED = "人工智能+医疗由省卫生健康委牵头，省药监局、省发展改革委、省经信厅、省科技厅共同负责[1]。"


def test_generated_answers_are_not_cached_by_default(plan_home, embedder):
    model = ScriptedChatModel()
    policybot = PolicyBot(Settings(home=plan_home, chroma_url=None, llm_model=None), chat_model=model)
    policybot.store.embedder = embedder
    model.enqueue(WELL_CITED, WELL_CITED)
    assert policybot.ask("AI+医疗谁管").mode == "llm"
    assert policybot.ask("AI+医疗谁管").mode == "llm"
    assert len(model.prompts) == 2
    assert policybot.answers.stats().entries == 0


def test_generated_answers_are_cached_when_the_setting_says_so_but_not_a_fallback(plan_home, embedder):
    model = ScriptedChatModel()
    policybot = PolicyBot(Settings(home=plan_home, chroma_url=None, llm_model=None, cache_llm=True), chat_model=model)
    policybot.store.embedder = embedder
    model.enqueue(RuntimeError("endpoint down"), RuntimeError("endpoint down"), WELL_CITED)
    fallback = policybot.ask("AI+医疗谁管")
    assert fallback.mode == "extractive"  # the endpoint failed: the next asker tries the model again
    generated = policybot.ask("AI+医疗谁管")
    assert generated.mode == "llm" and len(model.prompts) == 3
    again = policybot.ask("AI+医疗谁管")
    streamed = list(policybot.stream("AI+医疗谁管"))
    assert len(model.prompts) == 3
    assert same_but_latency(again, generated) and same_but_latency(streamed[-1], generated)
    assert "".join(streamed[:-1]) == generated.answer


# --- bounds and concurrency ----------------------------------------------------------
def answer_of(size: int, text: str = "答") -> Answer:
    return Answer(question="问", answer=text * size, citations=[Citation(doc_title="t", clause="c", quote="q", source="s")])


def test_the_least_recently_used_answer_goes_first_by_count_and_by_size():
    cache = AnswerCache(max_entries=2, max_bytes=10_000)
    cache.put("a", answer_of(10))
    cache.put("b", answer_of(10))
    assert cache.get("a") is not None  # a is now the most recent
    cache.put("c", answer_of(10))
    assert cache.get("b") is None and cache.get("a") is not None and cache.get("c") is not None

    big = AnswerCache(max_entries=100, max_bytes=4_000)
    for key in "abcd":
        big.put(key, answer_of(400))  # about 1,300 bytes each in UTF-8
    stats = big.stats()
    assert stats.entries == 2 and stats.bytes <= 4_000 and stats.evictions == 2
    assert big.get("a") is None and big.get("d") is not None
    big.put("huge", answer_of(5_000))  # larger than the whole cache: not kept, nothing evicted for it
    assert big.get("huge") is None and big.stats().entries == 2


def test_an_answer_asked_by_many_at_once_is_computed_once():
    cache = AnswerCache(max_entries=10, max_bytes=100_000)
    release, calls = threading.Event(), []

    def compute() -> Answer:
        calls.append(1)
        release.wait(10)
        return answer_of(3)

    results: list[Answer] = []
    threads = [threading.Thread(target=lambda: results.append(cache.get_or_compute("k", compute, lambda a: True))) for _ in range(8)]
    for thread in threads:
        thread.start()
    while not calls:
        threading.Event().wait(0.01)
    release.set()
    for thread in threads:
        thread.join(10)
    assert len(calls) == 1 and len(results) == 8 and all(r.answer == "答答答" for r in results)
    assert cache.stats().misses == 1 and cache.stats().hits == 7


def test_the_answer_cache_can_be_turned_off(plan_home, embedder):
    policybot = bot_for(Settings(home=plan_home, chroma_url=None, cache_entries=0), embedder)
    policybot.ask("AI+医疗谁管")
    policybot.ask("AI+医疗谁管")
    assert policybot.cache_stats()["answers"] == {**policybot.cache_stats()["answers"], "entries": 0, "hits": 0, "misses": 0}


def test_a_query_is_embedded_once(plan_home, embedder):
    policybot = bot_for(Settings(home=plan_home, chroma_url=None, cache_entries=0), embedder)
    first = [hit.chunk.id for hit in policybot.search("算力券怎么申请")]
    again = [hit.chunk.id for hit in policybot.search("算力券怎么申请")]
    assert first == again
    assert policybot.cache_stats()["query_vectors"]["misses"] == 1
    assert policybot.cache_stats()["query_vectors"]["hits"] == 1
