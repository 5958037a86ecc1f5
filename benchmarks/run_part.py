"""One benchmark part in its own process (fresh imports, its own peak memory); prints JSON.

python -m benchmarks.run_part ingest DOCS DATA_DIR
python -m benchmarks.run_part naive-ingest DOCS DATA_DIR
python -m benchmarks.run_part first-cold QUESTION DATA_DIR     (or first-warmed)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from .common import peak_rss_mb

if __name__ == "__main__":
    part, arg, data = sys.argv[1], sys.argv[2], Path(sys.argv[3])
    if part == "ingest":
        from .ingest_rate import run

        out = run(Path(arg), data)
    elif part == "naive-ingest":
        from .naive import ingest

        out = ingest(Path(arg), data)
    elif part in ("first-cold", "first-warmed"):
        from .first import ask_first

        out = ask_first(data, arg, warmed=part == "first-warmed")
    else:
        raise SystemExit(f"unknown part {part!r}")
    out["peak_rss_mb"] = peak_rss_mb()
    print(json.dumps(out))
