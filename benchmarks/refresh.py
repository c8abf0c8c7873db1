"""Engine vs hand-written DuckDB SQL on the demo company (see docs/benchmarks.md).

python benchmarks/refresh.py --scale 10
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from kaname.demo.bench import run_refresh_benchmark

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, default=10)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--workdir", type=Path, default=Path("benchmarks/.work"))
    args = parser.parse_args()
    print(json.dumps(run_refresh_benchmark(args.scale, args.seed, args.workdir), indent=2))
