#!/usr/bin/env bash
# The built wheel answers from outside the repository: `make test` runs this.
#
# Builds the wheel, creates a fresh virtual environment in a temp dir, installs into it
# exactly the locked dependencies (`uv sync` of this lock into that environment, from
# uv's cache: offline, as they were downloaded by `make install`) and then the wheel
# alone, and from another folder ingests the seeds and asks; the answer must cite 400张.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$repo"
uv build --wheel --out-dir "$tmp/dist" -q
UV_PROJECT_ENVIRONMENT="$tmp/venv" uv sync --frozen --offline --no-dev --no-install-project -q
uv pip install -q --offline --no-deps --python "$tmp/venv/bin/python" "$tmp"/dist/*.whl
cp -r seeds "$tmp/seeds"
mkdir "$tmp/work"
cd "$tmp/work"
unset ASSISTANT_DATA_DIR
export ANSWER_MODE=extractive ANONYMIZED_TELEMETRY=False
"$tmp/venv/bin/assistant" ingest "$tmp/seeds" >/dev/null
"$tmp/venv/bin/assistant" ask --json "瑞金医院金山院区一期规划多少张床位？" >answer.json
"$tmp/venv/bin/python" - <<'PY'
import json, pathlib, assistant

here = pathlib.Path.cwd()
assert "site-packages" in assistant.__file__, f"imported from {assistant.__file__}"
assert (here / "data").is_dir(), "the index is not in ./data of the working directory"
a = json.loads((here / "answer.json").read_text(encoding="utf-8"))
cited = [c for c in a["citations"] if "400张" in c["quote"] and c["supported"]]
assert not a["refused"] and "400张" in a["answer"] and cited, a
print(f"wheel check: {assistant.__file__} answered {a['answer'][:40]}... citing {cited[0]['source']}")
PY
