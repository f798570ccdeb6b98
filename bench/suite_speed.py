"""Wall time of the full property suite under the ci profile, serial and on 2 xdist workers.

``python -m bench.suite_speed [--out bench/results] [--omp1]`` runs
``python -m pytest properties --hypothesis-profile ci -q -p no:cacheprovider -n W
--durations=15`` for W = 1 and 2, and writes suite_speed.md and suite_speed.json.
``--omp1`` sets OMP_NUM_THREADS=1 for the pytest processes (one torch thread per worker).
Targets (issue 6): ≤ 5 minutes on 2 cores, and a -n 2 speedup ≥ 1.6×.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

CMD = [sys.executable, "-m", "pytest", "properties", "--hypothesis-profile", "ci", "-q",
       "-p", "no:cacheprovider", "--durations=15"]


def _run(workers: int, omp1: bool) -> dict[str, Any]:
    env = dict(os.environ, **({"OMP_NUM_THREADS": "1"} if omp1 else {}))
    cmd = [*CMD, "-n", str(workers)]
    t = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - t
    out = p.stdout + p.stderr
    summary = [ln for ln in out.splitlines() if re.search(r"\d+ (passed|failed)", ln)]
    slow = re.findall(r"^\s*(\d+\.\d+)s (call|setup|teardown)\s+(\S+)", out, flags=re.M)
    return {"workers": workers, "wall_s": round(wall, 1), "returncode": p.returncode,
            "summary": summary[-1].strip("= ") if summary else out[-300:],
            "slowest": [{"s": float(s), "phase": ph, "test": n} for s, ph, n in slow[:15]],
            "failed": [ln for ln in out.splitlines() if ln.startswith(("FAILED", "ERROR"))],
            "command": " ".join(cmd[1:])}


def _md(res: dict[str, Any]) -> str:
    one, two = res["runs"]
    sp = one["wall_s"] / two["wall_s"]
    lines = ["# Property suite speed (ci profile)", "",
             f"- {res['date']}; {res['cores']} usable cores; load average at start "
             f"{res['load_start']}, at end {res['load_end']}; OMP_NUM_THREADS="
             f"{res['omp']}", "",
             "| workers | wall time | result |", "|---|---|---|"]
    for r in res["runs"]:
        lines.append(f"| -n {r['workers']} | {r['wall_s']:.0f} s | {r['summary']} "
                     f"(exit {r['returncode']}) |")
    for r in res["runs"]:
        lines += [f"- -n {r['workers']} failure: `{f}`" for f in r.get("failed", [])[:10]]
    lines += ["", f"- speedup -n 2 vs -n 1: **{sp:.2f}×** (target ≥ 1.6×: "
              f"{'met' if sp >= 1.6 else 'missed'})",
              f"- -n 2 wall time {two['wall_s']:.0f} s (target ≤ 300 s: "
              f"{'met' if two['wall_s'] <= 300 else 'missed'})", "",
              "## Slowest 15 (from the -n 1 run)", "", "| s | phase | test |", "|---|---|---|"]
    lines += [f"| {s['s']:.1f} | {s['phase']} | `{s['test']}` |" for s in one["slowest"]]
    return "\n".join(lines) + "\n"


def main() -> None:
    a = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    a.add_argument("--out", default="bench/results")
    a.add_argument("--omp1", action="store_true", help="OMP_NUM_THREADS=1 in the workers")
    args = a.parse_args()
    res: dict[str, Any] = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                           "cores": len(os.sched_getaffinity(0)),
                           "omp": "1" if args.omp1 else os.environ.get("OMP_NUM_THREADS", "unset"),
                           "load_start": [round(v, 2) for v in os.getloadavg()]}
    res["runs"] = [_run(w, args.omp1) for w in (1, 2)]
    res["load_end"] = [round(v, 2) for v in os.getloadavg()]
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "suite_speed.json").write_text(json.dumps(res, indent=1) + "\n")
    md = _md(res)
    (out / "suite_speed.md").write_text(md)
    print(md)


if __name__ == "__main__":
    main()
