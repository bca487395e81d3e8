"""/v1/chat/completions and /v1/models through the real ``openai`` client."""

from __future__ import annotations

import json

import httpx
import openai
import pytest

MEDICAL = "人工智能+医疗由哪些部门负责？"


@pytest.fixture
def llm(served):
    http_client = httpx.Client(trust_env=False, timeout=30.0, headers={"Accept-Language": "en"})
    yield openai.OpenAI(base_url=f"{served.url}/v1", api_key="not-needed", max_retries=0, http_client=http_client)
    http_client.close()


def test_models_lists_policybot(llm):
    assert [m.id for m in llm.models.list()] == ["policybot"]
    assert llm.models.retrieve("policybot").owned_by == "policybot"


def test_completion_carries_answer_sources_and_structured_citations(llm):
    completion = llm.chat.completions.create(model="policybot", messages=[{"role": "user", "content": MEDICAL}])

    content = completion.choices[0].message.content
    assert completion.choices[0].finish_reason == "stop"
    assert "省卫生健康委" in content
    assert "来源：\n[1] 《浙江省“人工智能+”行动计划" in content
    citations = completion.model_extra["citations"]
    assert citations[0]["clause"].endswith("（三）人工智能+医疗")
    assert citations[0]["quote"] in content  # the sources in the text are the structured ones
    assert completion.model_extra["refused"] is False
    usage = completion.usage  # counted with cl100k_base
    assert usage.prompt_tokens > 0 and usage.completion_tokens > usage.prompt_tokens
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens


def test_history_and_content_parts_are_understood(llm):
    first = llm.chat.completions.create(model="any-name", messages=[{"role": "user", "content": MEDICAL}])
    completion = llm.chat.completions.create(
        model="any-name",
        messages=[
            {"role": "system", "content": "你是政策助手"},
            {"role": "user", "content": MEDICAL},
            {"role": "assistant", "content": first.choices[0].message.content},
            {"role": "user", "content": [{"type": "text", "text": "那它有哪些具体举措？"}]},
        ],
    )
    assert completion.model == "policybot"
    assert any("医疗" in c["clause"] for c in completion.model_extra["citations"])


def test_streamed_completion_ends_with_citations(llm):
    chunks = list(
        llm.chat.completions.create(model="policybot", messages=[{"role": "user", "content": MEDICAL}], stream=True)
    )

    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert chunks[0].choices[0].delta.role == "assistant"
    assert len([c for c in chunks if c.choices and c.choices[0].delta.content]) >= 2  # streamed in pieces
    assert "省卫生健康委" in text and "来源：\n[1]" in text
    final = chunks[-1]
    assert final.choices[0].finish_reason == "stop"
    assert final.model_extra["citations"][0]["clause"].endswith("（三）人工智能+医疗")
    assert final.model_extra["revised"] is False
    assert text == final.model_extra["content"]  # the pieces add up to the complete reply, sources included
    assert text.startswith(final.model_extra["answer"])
    assert final.usage.completion_tokens > 0


def test_stream_is_server_sent_events_ending_in_done(served):
    with httpx.Client(base_url=served.url, trust_env=False, timeout=30.0) as client:
        with client.stream(
            "POST", "/v1/chat/completions", json={"stream": True, "messages": [{"role": "user", "content": MEDICAL}]}
        ) as response:
            assert response.headers["content-type"].startswith("text/event-stream")
            events = [line for line in response.iter_lines() if line]
    assert all(line.startswith("data: ") for line in events)
    assert events[-1] == "data: [DONE]"
    assert "citations" in json.loads(events[-2].removeprefix("data: "))


@pytest.mark.parametrize(
    ("messages", "fragment"),
    [
        ([{"role": "user", "content": "  "}], "empty"),
        ([{"role": "user", "content": "问" * 2001}], "2000"),
        ([{"role": "user", "content": MEDICAL}, {"role": "assistant", "content": "…"}], "role 'user'"),
        ([], "messages"),
    ],
    ids=["empty", "too-long", "last-not-user", "no-messages"],
)
@pytest.mark.parametrize("stream", [False, True])
def test_bad_requests_raise_the_clients_error_with_the_message(llm, messages, fragment, stream):
    with pytest.raises(openai.BadRequestError if messages else openai.UnprocessableEntityError) as caught:
        llm.chat.completions.create(model="policybot", messages=messages, stream=stream)
    assert fragment in caught.value.message
    assert "Traceback" not in caught.value.message
