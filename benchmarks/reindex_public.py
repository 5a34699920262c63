"""Does `liputan reindex` index other tools' sample archives as warcio does?

    python benchmarks/reindex_public.py --data DIR [--json]

DIR holds warcio's test archives (WARC and ARC files, damaged ones too) and
`expected_index_from_warcio_tests.json`, the `warcio index` output warcio's own tests
assert. Each file is reindexed alone (`liputan reindex --no-gates`) into a fresh archive.
Per file it prints the captures (response, revisit and resource records) the expected index
lists, the captures indexed, whether every listed one is indexed at its offset with its URL,
the exit code and the problem line, if any.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CAPTURES = ("response", "revisit", "resource")
SUFFIXES = (".warc", ".warc.gz", ".arc", ".arc.gz", ".bad")


def expected_captures(data: Path) -> dict[str, list[tuple[int, str]]]:
    """File name -> (offset, URL) of each capture `warcio index` lists for it. The index of
    several files is one list: a file's records start again at offset 0."""
    document = json.loads((data / "expected_index_from_warcio_tests.json").read_text())
    out: dict[str, list[tuple[int, str]]] = {}
    for case in document["cases"]:
        files, n = case["files"], -1
        for row in case["expected_jsonl"]:
            if row["offset"] == "0":
                n += 1
                out.setdefault(files[n], [])
            if row["warc-type"] in CAPTURES and "warc-target-uri" in row:
                entry = (int(row["offset"]), row["warc-target-uri"])
                if entry not in out[files[n]]:
                    out[files[n]].append(entry)
    return out


def reindexed(path: Path) -> tuple[list[tuple[int, str]], int, list[str]]:
    """(offset, URL) of each capture indexed, the exit code, the problem lines."""
    with tempfile.TemporaryDirectory() as tmp:
        done = subprocess.run(
            [sys.executable, "-m", "crawler.cli", "reindex", "--no-gates", "--workers", "1",
             "--archive", tmp, str(path)], cwd=REPO, capture_output=True, text=True)
        rows = []
        if (Path(tmp) / "index.db").exists():
            with sqlite3.connect(Path(tmp) / "index.db") as db:
                rows = list(db.execute("SELECT warc_offset, url FROM captures ORDER BY id"))
    problems = [line.removeprefix("problem: ").replace(f"{path}: ", "")
                for line in done.stderr.splitlines() if line.startswith("problem:")]
    return rows, done.returncode, problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    expected = expected_captures(args.data)
    results = []
    for path in sorted(p for p in args.data.iterdir() if p.name.endswith(SUFFIXES)):
        rows, code, problems = reindexed(path)
        listed = expected.get(path.name)
        results.append({
            "file": path.name, "listed": None if listed is None else len(listed),
            "indexed": len(rows),
            "all_listed_indexed": None if listed is None else set(listed) <= set(rows),
            "urls": sorted({url for _, url in rows}), "exit": code, "problems": problems})
    if args.json:
        print(json.dumps(results, indent=1))
        return
    print("| file | captures warcio's index lists | indexed | listed ones at their offset"
          " with their URL | exit | problem |")
    print("|---|---|---|---|---|---|")
    for r in results:
        same = "-" if r["all_listed_indexed"] is None else (
            "yes" if r["all_listed_indexed"] else "**no**")
        listed = "-" if r["listed"] is None else r["listed"]
        print(f"| {r['file']} | {listed} | {r['indexed']} | {same} | {r['exit']} |"
              f" {'; '.join(r['problems']) or ''} |")


if __name__ == "__main__":
    main()
