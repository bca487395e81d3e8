# The two commands of the README: `make run` and `make test`. Everything else is a helper.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
export POLICYBOT_PORT ?= 7860

.PHONY: install run test browser-deps eval bench lock clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Pinned by constraints.txt so a fresh clone installs what was tested.
$(VENV)/.installed: $(BIN)/python pyproject.toml constraints.txt
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test]'
	touch $@

install: $(VENV)/.installed

## Create the environment, ingest the bundled corpus if the index is empty, serve the chat.
run: install
	$(BIN)/policybot serve

## The whole test suite (starts its own Chroma server on loopback; drives Debian's chromium).
test: install browser-deps
	$(BIN)/python -m pytest -q

# The browser tests run /usr/bin/chromium; a CJK font makes their screenshots legible. CI runs as root.
browser-deps:
	@if [ ! -x /usr/bin/chromium ] || ! fc-list :lang=zh 2>/dev/null | grep -q .; then \
		apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium fonts-wqy-microhei; \
	fi

## Answer quality and latency on every evaluation set, dev and frozen test side by side (benchmarks/eval_sets.py).
eval: install
	$(BIN)/python benchmarks/eval_sets.py

lock: install
	$(BIN)/python -m pip freeze --exclude-editable | grep -v '^-e' > constraints.txt

clean:
	rm -rf $(VENV) .pytest_cache test-output
