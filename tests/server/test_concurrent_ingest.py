"""Issue 5, item 2 (concurrent use): questions keep being answered while documents are ingested.

20 client threads ask plan questions while the admin route adds a new policy and replaces the
plan with a version in which one sentence changed. Every request must succeed (one that hangs
fails at the client's timeout; how long they take is measured by benchmarks/, not asserted), every
quote must come from the old or the new plan (or the new policy), no answer may mix the two
versions of the changed clause, and afterwards the new sentence and the new term are citable.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from bot.service import PolicyBot
from core.settings import Settings
from ingest.pipeline import parse_file

TOKEN = "concurrent-admin-token-41c9"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
PLAN = "zhejiang-ai-plus-action-plan-2024-2027-draft.txt"
# The first sentence of clause （一）人工智能+科学 as written in the file (half-width commas) ...
OLD_SENTENCE = "紧贴国家和浙江发展战略需求,加大人工智能驱动的科学研究,推动科研范式变革和科技创新发展。"
# ... and what the changed plan says instead; 青藤科学智能攻关计划 occurs nowhere else.
NEW_SENTENCE = "紧贴国家和浙江发展战略需求,实施青藤科学智能攻关计划,每年遴选三十个科学大模型攻关项目。"
NEW_TERM = "青藤科学智能攻关计划"
RULES_NAME = "xinghe-compute-subsidy-rules.md"
RULES_TERM = "星河算力补贴"
RULES = f"""# 测试市{RULES_TERM}实施办法（测试样例）

测试市数据局
2025年3月1日

第一条 为降低企业算力使用成本，设立{RULES_TERM}，制定本办法。

第二条 {RULES_TERM}面向在测试市注册的人工智能企业发放，每家企业每年最高80万元。（责任单位：测试市数据局、测试市财政局）
"""
SCIENCE = "人工智能+科学有哪些举措？"
QUESTIONS = [
    SCIENCE,
    "人工智能+制造的主要任务是什么？",
    "到2027年的总体目标是什么？",
    "人工智能+医疗有哪些内容？",
    "算力券怎么申请？",
    "人工智能+教育有哪些举措？",
    "人工智能+交通有哪些举措？",
    f"{RULES_TERM}每家企业最高多少？",
]
CLIENTS = 20
PER_CLIENT = 10


@pytest.fixture(scope="module")
def concurrent_bot(tmp_path_factory) -> PolicyBot:
    """A bot of its own: this test changes its index."""
    settings = Settings(home=tmp_path_factory.mktemp("concurrent-home"))
    policybot = PolicyBot(settings)
    assert not policybot.ingest([settings.corpus_dir]).failures
    return policybot


def _texts(path) -> list[str]:
    """The clause texts of a file as the parser normalises them (full-width punctuation, fixed words)."""
    return [clause.text for clause in parse_file(path).clauses]


def test_answers_stay_consistent_while_documents_are_ingested(concurrent_bot, serve, tmp_path):
    plan_path = concurrent_bot.settings.corpus_dir / PLAN
    original = plan_path.read_text(encoding="utf-8")
    assert original.count(OLD_SENTENCE) == 1 and NEW_TERM not in original and RULES_TERM not in original
    changed_path = tmp_path / "changed" / PLAN
    changed_path.parent.mkdir()
    changed_path.write_text(original.replace(OLD_SENTENCE, NEW_SENTENCE), encoding="utf-8")
    rules_path = tmp_path / RULES_NAME
    rules_path.write_text(RULES, encoding="utf-8")

    old_texts, new_texts, rules_texts = _texts(plan_path), _texts(changed_path), _texts(rules_path)
    old_only = [t for t in old_texts if t not in new_texts]
    new_only = [t for t in new_texts if t not in old_texts]
    assert len(old_only) == len(new_only) == 1, "exactly one clause differs between the versions"
    old_clause, new_clause = old_only[0], new_only[0]
    assert NEW_TERM in new_clause and NEW_TERM not in old_clause
    # The changed sentence as the parser writes it, e.g. "加大人工智能驱动的科学研究" in the old one.
    old_marker, new_marker = "加大人工智能驱动的科学研究", NEW_TERM
    assert old_marker in old_clause and old_marker not in new_clause

    def version_of(quote: str) -> str:
        """'old' / 'new' when only one plan version holds the quote, 'both', 'rules', or 'none'."""
        in_old, in_new = any(quote in t for t in old_texts), any(quote in t for t in new_texts)
        if in_old and in_new:
            return "both"
        if in_old or in_new:
            return "old" if in_old else "new"
        return "rules" if any(quote in t for t in rules_texts) else "none"

    served = serve(concurrent_bot, admin_token=TOKEN, rate_limit_per_minute=0)
    with served.client() as client:  # warm: the first answer loads the model and the snapshot
        warm = client.post("/api/ask", json={"question": SCIENCE})
        assert warm.status_code == 200, warm.text
        assert any(old_marker in c["quote"] for c in warm.json()["citations"])

    results: list[dict] = []
    results_lock = threading.Lock()
    enough_started = threading.Event()  # ingest once the clients are under way

    def client_thread(number: int) -> None:
        with served.client() as client:
            for turn in range(PER_CLIENT):
                question = QUESTIONS[(number + turn) % len(QUESTIONS)]
                sent = time.perf_counter()
                try:
                    response = client.post("/api/ask", json={"question": question})
                    status, body = response.status_code, (response.json() if response.status_code == 200 else response.text)
                except Exception as exc:  # noqa: BLE001 - a transport error is a failed request too
                    status, body = None, f"{type(exc).__name__}: {exc}"
                done = time.perf_counter()
                with results_lock:
                    results.append(
                        {"question": question, "status": status, "body": body, "sent": sent, "seconds": done - sent, "done": done}
                    )
                    if len(results) >= CLIENTS:
                        enough_started.set()
                time.sleep(0.05 * (1 + number % 3))  # spread the load over the ingests

    ingests: list[tuple[str, float, float, int, object]] = []
    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        futures = [pool.submit(client_thread, n) for n in range(CLIENTS)]
        if not enough_started.wait(30):
            for future in futures:
                if future.done():
                    future.result()  # a client that crashed says why
            pytest.fail("the clients did not get going")
        with served.client() as admin:
            for path in (rules_path, changed_path):
                begin = time.perf_counter()
                response = admin.post("/api/admin/ingest", files={"file": (path.name, path.read_bytes())}, headers=AUTH)
                ingests.append((path.name, begin, time.perf_counter(), response.status_code, response.json()))
                time.sleep(0.3)
        for future in futures:
            future.result()

    for name, _, _, status, body in ingests:
        assert status == 201, (name, body)
    assert [row["status"] for row in ingests[1][4]["ingested"]] == ["updated"], ingests[1][4]

    assert len(results) == CLIENTS * PER_CLIENT
    failures = [r for r in results if r["status"] != 200]
    assert not failures, failures[:3]

    latencies = sorted(r["seconds"] for r in results)
    p95 = latencies[int(0.95 * (len(latencies) - 1))]
    first_ingest, last_ingest_done = ingests[0][1], ingests[-1][2]
    during = sum(1 for r in results if r["sent"] < last_ingest_done and r["done"] > first_ingest)
    print(
        f"\n{len(results)} requests from {CLIENTS} clients: max {latencies[-1]:.3f} s, p95 {p95:.3f} s; "
        f"{during} overlapped the ingests ({', '.join(f'{n} {e - b:.2f} s' for n, b, e, _, _ in ingests)})"
    )
    assert during > 0, "no question was in flight while documents were ingested"

    seen = {"old": 0, "new": 0}
    for r in results:
        body = r["body"]
        versions = set()
        for citation in body["citations"]:
            assert citation["source"] in (PLAN, RULES_NAME), citation
            version = version_of(citation["quote"])
            assert version != "none", ("a quote from neither version", r["question"], citation)
            versions.add(version)
        text_versions = {v for v, marker in (("old", old_marker), ("new", new_marker)) if marker in body["answer"]}
        versions |= text_versions
        assert not {"old", "new"} <= versions, ("an answer mixes the old and the new plan", r["question"], body)
        for v in ("old", "new"):
            seen[v] += v in versions
    assert seen["old"] > 0, seen  # the clients began on the old plan
    print(f"answers quoting the changed clause: {seen['old']} old, {seen['new']} new")

    # After the ingests both additions are live and citable.
    with served.client() as client:
        science = client.post("/api/ask", json={"question": SCIENCE}).json()
        assert any(NEW_TERM in c["quote"] and c["source"] == PLAN for c in science["citations"]), science
        assert not any(old_marker in c["quote"] for c in science["citations"]), science
        rules = client.post("/api/ask", json={"question": f"{RULES_TERM}每家企业最高多少？"}).json()
        assert not rules["refused"], rules
        assert any(RULES_TERM in c["quote"] and c["source"] == RULES_NAME for c in rules["citations"]), rules
        search = client.post("/api/search", json={"query": NEW_TERM, "k": 3}).json()
        assert any(NEW_TERM in hit["text"] for hit in search["results"]), search
