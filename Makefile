# The two commands of the README: `make run` and `make test`. Everything else supports them.
SHELL := /bin/bash
PY := .venv/bin/python
UV_VERSION := 0.13.8
export UV_PYTHON_DOWNLOADS := never
export UV_LINK_MODE := copy

# The modules `mypy --strict` checks (also strict in pyproject's mypy overrides).
TYPED_SEAMS := assistant/langchain.py assistant/answering/chain.py assistant/answering/steps.py \
	assistant/answering/retrieval.py assistant/knowledge.py

.PHONY: install run serve ingest test test-fast lint eval bench reliability browser clean wheel-check

# A virtual environment in .venv with exactly what uv.lock pins.
install: .venv/.installed
.venv/.installed: uv.lock pyproject.toml
	@command -v uv >/dev/null 2>&1 || python3 -m pip install --quiet "uv==$(UV_VERSION)"
	uv sync --frozen
	@touch $@

# Ingest the seeds when the index is empty or stale (unchanged files cost nothing), then serve.
run: install
	.venv/bin/assistant ingest seeds/
	.venv/bin/assistant serve

ingest: install
	.venv/bin/assistant ingest seeds/

# Debian's Chromium and CJK fonts for the browser tests (apt needs root; skipped when present).
browser:
	@if [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -qi "noto sans cjk\|wenquanyi"; then \
		if [ "$$(id -u)" = "0" ]; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; \
		else echo "browser tests need: sudo apt-get install chromium fonts-noto-cjk"; fi; \
	fi

test: install browser
	.venv/bin/pytest
	scripts/wheel_check.sh

# The built wheel, in a fresh virtual environment outside the repository, answers from
# another folder (the locked dependencies come from uv's cache: no network needed).
wheel-check: install
	scripts/wheel_check.sh

test-fast: install
	.venv/bin/pytest -m "not browser and not slow"

lint: install
	.venv/bin/ruff check assistant tests evals benchmarks
	.venv/bin/ruff format --check assistant tests evals benchmarks
	.venv/bin/mypy assistant
	.venv/bin/mypy --strict --follow-imports=silent $(TYPED_SEAMS)

eval: install
	.venv/bin/assistant eval --dataset evals/datasets/seeds_qa.jsonl --baseline --out evals/runs/latest

bench: install
	$(PY) -m benchmarks.run

# A bounded fault-and-load run (a few minutes): figures for docs/RELIABILITY.md.
reliability: install
	$(PY) -m benchmarks.reliability

clean:
	rm -rf .venv data .pytest_cache .ruff_cache .mypy_cache
