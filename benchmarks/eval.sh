#!/usr/bin/env bash
# Answer quality, clause hit@1/@3, latency and ingest time, measured on a fresh index.
#   bash benchmarks/eval.sh            (or: make eval)
# 1) the bundled plan alone, as `policybot ingest && policybot eval tests/eval/questions.jsonl`;
# 2) plus the implementing-rules test sample (a PDF fixture), scored on its own question set.
set -euo pipefail
cd "$(dirname "$0")/.."
home=$(mktemp -d)
trap 'rm -rf "$home"' EXIT
export POLICYBOT_HOME="$home"
mkdir -p benchmarks/results
policybot ingest
policybot eval tests/eval/questions.jsonl --out benchmarks/results/plan-answers.jsonl
policybot ingest tests/fixtures/policies/shiliShi-suanliquan-rules-test-sample.pdf
policybot eval tests/eval/sample_rules.jsonl --out benchmarks/results/sample-answers.jsonl
policybot eval tests/eval/questions.jsonl | grep -E "^(ALL|clause|latency)" | sed 's/^/with sample ingested: /'
