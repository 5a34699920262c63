"""Syndication clustering speed, memory and recall on a synthetic archive.

    python benchmarks/clusters.py [--articles 20000] [--copies 0.1] [--workers 2] [--json]

Writes an index of N synthetic Indonesian-like articles (400-800 words drawn by document
frequency from crawler/data/background-id.tsv), a share of them syndicated copies of an
earlier one, edited the way outlets edit wire copy: another lead (its first 25 words), a
60-word passage cut, three words changed. Then, each in a fresh process (its peak RSS
is the clustering's, pool workers measured apart): the first clustering of the whole index,
an incremental run after 1,000 more articles (a tenth of them copies of older ones), and a
run with nothing new. Prints articles/s, the CPU seconds spent (the clustering process and
its workers: a figure that holds on a busy machine), peak RSS, and how many copies landed
in their original's cluster and how many clusters mix two originals.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from pipelines.index import INDEX_NAME, Index  # noqa: E402
from pipelines.versions import text_digest  # noqa: E402


def vocabulary() -> tuple[list[str], np.ndarray]:
    words, weights = [], []
    for line in (REPO / "crawler" / "data" / "background-id.tsv").read_text().splitlines():
        if line.startswith("#") or "\t" not in line:
            continue
        word, df = line.split("\t")
        words.append(word)
        weights.append(float(df))
    p = np.array(weights)
    return words, p / p.sum()


def make_articles(count: int, copies: float, seed: int, start: int = 1,
                  originals: list[tuple[int, list[str]]] | None = None
                  ) -> tuple[list[tuple[int, list[str], int]], list[tuple[int, list[str]]]]:
    """(id, words, origin id) rows; origin = the article a copy was made from, else itself."""
    rng = np.random.default_rng(seed)
    words, p = vocabulary()
    pool = list(originals or [])
    rows = []
    for n in range(count):
        article_id = start + n
        if pool and rng.random() < copies:
            origin, text = pool[int(rng.integers(len(pool)))]
            text = list(text)
            lead = [words[i] for i in rng.choice(len(words), 25, p=p)]
            text[:25] = lead  # another lead sentence
            cut = int(rng.integers(30, max(31, len(text) - 60)))
            del text[cut:cut + 60]  # a passage cut
            for at in rng.integers(0, len(text), 3):
                text[at] = words[int(rng.integers(len(words)))]
            rows.append((article_id, text, origin))
        else:
            text = [words[i] for i in rng.choice(len(words), int(rng.integers(400, 801)), p=p)]
            rows.append((article_id, text, article_id))
            pool.append((article_id, text))
    return rows, pool


def write(archive: Path, rows: list[tuple[int, list[str], int]]) -> None:
    index = Index(archive / INDEX_NAME)
    values = []
    for article_id, words, _ in rows:
        text = " ".join(words)
        values.append((article_id, f"http://outlet{article_id % 7}.test/{article_id}",
                       f"Outlet {article_id % 7}", f"2022-01-{1 + article_id % 28:02d}T08:00:00"
                       "+07:00", text, text_digest(text), len(words)))
    index.conn.executemany(
        "INSERT INTO articles (id, url, outlet, published_at, text, text_digest, word_count)"
        " VALUES (?,?,?,?,?,?,?)", values)
    index.close()


def timed_run(archive: Path, workers: int) -> dict:
    """One clustering in a fresh process: its seconds and peak RSS (workers apart)."""
    code = (
        "import json, resource, sys, time; from pathlib import Path;"
        "from pipelines.cluster import cluster_archive;"
        "t = time.perf_counter();"
        f"r = cluster_archive(Path({str(archive)!r}), workers={workers});"
        "s = time.perf_counter() - t;"
        "u = resource.getrusage(resource.RUSAGE_SELF);"
        "w = resource.getrusage(resource.RUSAGE_CHILDREN);"
        "cpu = u.ru_utime + u.ru_stime + w.ru_utime + w.ru_stime;"
        "print(json.dumps({'seconds': s, 'cpu_seconds': cpu, 'hashed': r.hashed,"
        " 'redone': r.redone,"
        # VmHWM, not ru_maxrss: that one keeps the size of the (big) parent it forked from.
        " 'rss_mb': int(open('/proc/self/status').read().split('VmHWM:')[1].split()[0])"
        " / 1024,"
        " 'workers_rss_mb': resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                         text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def quality(archive: Path, origin: dict[int, int]) -> tuple[float, int]:
    """(share of copies in their original's cluster, clusters holding two originals)."""
    db = sqlite3.connect(archive / INDEX_NAME)
    cluster = dict(db.execute("SELECT id, cluster_id FROM articles"))
    copies = [a for a, o in origin.items() if o != a]
    together = sum(cluster[a] == cluster[origin[a]] for a in copies)
    mixed: dict[int, set[int]] = {}
    for article_id, cluster_id in cluster.items():
        mixed.setdefault(cluster_id, set()).add(origin[article_id])
    return together / max(1, len(copies)), sum(len(o) > 1 for o in mixed.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=20000)
    parser.add_argument("--copies", type=float, default=0.1)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        archive = Path(tmp)
        rows, pool = make_articles(args.articles, args.copies, args.seed)
        write(archive, rows)
        origin = {a: o for a, _, o in rows}
        words = sum(len(w) for _, w, _ in rows) / len(rows)
        first = timed_run(archive, args.workers)
        more, _ = make_articles(1000, args.copies, args.seed + 1, args.articles + 1, pool)
        del rows, pool
        write(archive, more)
        origin.update({a: o for a, _, o in more})
        incremental = timed_run(archive, args.workers)
        idle = timed_run(archive, args.workers)
        recall, mixed = quality(archive, origin)
    result = {
        "articles": args.articles, "mean_words": round(words), "workers": args.workers,
        "first_run": first, "incremental_1000": incremental, "nothing_new": idle,
        "articles_per_s": round(args.articles / first["seconds"]),
        "incremental_articles_per_s": round(1000 / incremental["seconds"]),
        "copies_with_their_original": round(recall, 4), "clusters_mixing_originals": mixed,
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"{args.articles:,} articles ({result['mean_words']} words on average, "
          f"{args.copies:.0%} syndicated copies), {args.workers} workers")
    for label, run, n in (("first clustering", first, args.articles),
                          ("incremental, 1,000 new", incremental, 1000),
                          ("nothing new", idle, 0)):
        rate = f"{n / run['seconds']:,.0f} articles/s" if n else ""
        print(f"  {label:<24} {run['seconds']:7.2f} s  {rate:>18}  CPU {run['cpu_seconds']:.1f} s"
              f"  peak RSS {run['rss_mb']:.0f} MB (workers {run['workers_rss_mb']:.0f} MB"
              " each at most)")
    print(f"  copies clustered with their original: {recall:.2%};"
          f" clusters mixing two originals: {mixed}")


if __name__ == "__main__":
    main()
