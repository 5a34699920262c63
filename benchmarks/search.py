"""`liputan search` from a cold CLI start: wall time of the whole process, and what its
imports cost.

    liputan demo --archive /tmp/demo-archive          # or any archive
    python benchmarks/search.py /tmp/demo-archive [--runs 15] [--rare Zhanaozen] [--common Almaty]

Prints the median and the spread of N runs per term (the process from exec to exit, its
output discarded), whether index.db was left as it was, and the ten slowest imports.
"""

from __future__ import annotations

import argparse
import hashlib
import statistics
import subprocess
import sys
import time
from pathlib import Path

LIPUTAN = Path(sys.executable).with_name("liputan")


def timed(args: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("archive", type=Path)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--rare", default="Zhanaozen")
    parser.add_argument("--common", default="Almaty")
    options = parser.parse_args()
    index = options.archive / "index.db"
    before = hashlib.sha256(index.read_bytes()).hexdigest(), index.stat().st_mtime_ns
    for label, term in (("rare", options.rare), ("common", options.common)):
        command = [str(LIPUTAN), "search", term, "--archive", str(options.archive)]
        timed(command)  # the page cache warm: "cold" is the process, not the disk
        runs = sorted(timed(command) for _ in range(options.runs))
        print(f"{label:>6} {term!r}: median {statistics.median(runs) * 1000:.0f} ms"
              f" (min {runs[0] * 1000:.0f}, max {runs[-1] * 1000:.0f}; {options.runs} runs)")
    after = hashlib.sha256(index.read_bytes()).hexdigest(), index.stat().st_mtime_ns
    print(f"index.db unchanged: {before == after}")
    trace = subprocess.run([sys.executable, "-X", "importtime", "-m", "crawler.cli", "search",
                            options.rare, "--archive", str(options.archive)],
                           capture_output=True, text=True).stderr
    rows = []
    for line in trace.splitlines():  # "import time: self [us] | cumulative | name"
        fields = [part.strip() for part in line.removeprefix("import time:").split("|")]
        if line.startswith("import time:") and len(fields) == 3 and fields[1].isdigit():
            rows.append((int(fields[1]), fields[2]))
    print("slowest imports (cumulative ms):")
    for total, name in sorted(rows, reverse=True)[:10]:
        print(f"  {total / 1000:7.1f}  {name}")


if __name__ == "__main__":
    main()
