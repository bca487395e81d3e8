"""The clause index used from LangChain: a BaseRetriever returning clauses with their citation metadata."""

from __future__ import annotations

import pytest
from langchain_core.documents import Document as LCDocument
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import RunnableLambda, RunnablePassthrough

from ingest.pipeline import chunk_document, parse_file
from vectorstore.langchain_retriever import ClauseRetriever
from vectorstore.retriever import HybridRetriever
from vectorstore.store import ClauseStore


@pytest.fixture(scope="module")
def retriever(tmp_path_factory, store_settings_factory, embedder, plan_path, request):
    settings = store_settings_factory(request, "embedded", tmp_path_factory.mktemp("langchain"))
    store = ClauseStore(settings, embedder=embedder)
    plan = parse_file(plan_path)
    store.upsert_document(plan, chunk_document(plan, settings.max_chunk_chars))
    return ClauseRetriever(retriever=HybridRetriever(store, settings, refresh_seconds=0), k=3)


def test_invoke_returns_clauses_with_what_a_citation_needs(retriever):
    docs = retriever.invoke("人工智能+医疗由哪些部门负责")
    assert len(docs) == 3 and all(isinstance(d, LCDocument) for d in docs)
    top = docs[0]
    assert top.metadata["clause_path"].endswith("（三）人工智能+医疗")
    assert top.metadata["responsible_agencies"][0] == "省卫生健康委"
    assert "征求意见稿" in top.metadata["doc_title"] and top.metadata["status"]
    assert top.metadata["source"].endswith(".txt") and "省卫生健康委" in top.page_content
    assert [d.metadata["score"] for d in docs] == sorted((d.metadata["score"] for d in docs), reverse=True)


def test_k_is_validated_with_the_value_in_the_message(retriever):
    with pytest.raises(ValueError, match="k must be greater than 0, got 0"):
        ClauseRetriever(retriever=retriever.retriever, k=0)


def test_a_small_chain_puts_the_retrieved_clauses_into_the_prompt(retriever):
    prompts = []

    def model(prompt_value):  # stands in for a chat model: records the prompt, answers with its first source
        text = prompt_value.to_string()
        prompts.append(text)
        return text.split("[1] ", 1)[1].split("\n", 1)[0]

    def numbered(docs):
        return "\n".join(f"[{n}] {d.metadata['clause_path']}" for n, d in enumerate(docs, start=1))

    prompt = ChatPromptTemplate.from_messages([("system", "只根据资料回答。\n资料：\n{context}"), ("human", "{question}")])
    chain = {"context": retriever | RunnableLambda(numbered), "question": RunnablePassthrough()} | prompt | RunnableLambda(model)
    reply = chain.invoke("AI+教育谁负责")
    assert reply.endswith("（四）人工智能+教育")
    assert "AI+教育谁负责" in prompts[0] and "[3] " in prompts[0]
