# The README's two commands: `make run` (set up, index seeds/, answer a sample question) and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
QA := $(VENV)/bin/qa
PYTHON ?= python3
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: setup browser run test lint eval-seeds baseline-seeds chroma-server train-answerability clean

setup: $(VENV)/.installed

# torch is installed first and pinned: the local CPU build, never the CUDA one.
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e ".[ui,dev]"
	touch $@

# Syncs seeds/ (fast when nothing changed), then serves the chat on 127.0.0.1:7860.
# The UI tests drive Debian's Chromium through Playwright (Playwright's own browser download is not used).
browser:
	@command -v chromium >/dev/null 2>&1 || { apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

run: setup
	$(QA) ingest seeds/
	$(QA) ui

# Starts its own Chroma server on loopback for the server-mode tests, unless QA_TEST_CHROMA_URL names one.
test: setup browser
	$(PY) -m pytest

# The seeds regression set against the committed baseline: exits 1 when a metric drops.
eval-seeds: setup
	QA_DATA_DIR="$$(mktemp -d)" $(QA) eval seeds --baseline bench/baselines/seeds.json

baseline-seeds: setup
	QA_DATA_DIR="$$(mktemp -d)" $(QA) eval seeds --save-baseline bench/baselines/seeds.json

# Trains the answerability model from the shipped MiniLM weights on ../shared/train and calibrates it (seeded;
# about 25 minutes on 2 cores), into qa/models/answerability/ (see docs/answerability-model.md). CI does not train.
train-answerability: setup
	$(PY) -u -m training.answerability

# A Chroma server for QA_CHROMA_URL=http://127.0.0.1:$(CHROMA_PORT), in the foreground (Ctrl-C stops it).
CHROMA_PORT ?= 8000
CHROMA_PATH ?= .qa/chroma-server
chroma-server: setup
	$(VENV)/bin/chroma run --path $(CHROMA_PATH) --host 127.0.0.1 --port $(CHROMA_PORT)

lint: setup
	$(VENV)/bin/ruff check qa index access evaluation cli api ui training tests bench
	$(VENV)/bin/mypy

clean:
	rm -rf $(VENV) .qa .pytest_cache
