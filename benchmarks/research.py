"""What a researcher waits for on a large index: search, counts over time, exports.

    python benchmarks/research.py [--articles 300000] [--db PATH] [--rebuild] [--json]

Builds (once; kept at --db for later runs) a synthetic index of real-size articles:
400-800 words each, drawn with their real frequencies from the Indonesian article text
of the fixture webs (tests/fixtureweb), over 20 outlets, three UTC offsets and two years, with a
few terms planted at known rates (a rare name in 0.05 % of the articles, a phrase in 1 %,
an inflected word in 5 %). Then times, on a read-only connection as the CLI uses it:
full-text search (`liputan search`, limit 20, its total count included) for a rare term,
a common term, a phrase, a stem match and a common term with filters (median and p95 of
30 runs each); the timeline per local day per outlet (whole index and one query); export
of every article as JSONL, CSV and Parquet (rows/s); peak RSS of this process.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import sys
import tempfile
import time
import tomllib
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from pipelines.export import write_export  # noqa: E402
from pipelines.index import Index, open_readonly, research  # noqa: E402
from pipelines.index.research import Selection  # noqa: E402
from pipelines.stemming import stem, words  # noqa: E402

OUTLETS = [f"Outlet{i:02d}" for i in range(20)]
OFFSETS = ["+07:00", "+08:00", "+09:00"]
RARE, PHRASE, INFLECTED = "Karangmukti", "harga gas", "kerusuhan"
PLANTED = {RARE: 0.0005, PHRASE: 0.01, INFLECTED: 0.05}
RUNS = 30


def vocabulary() -> tuple[list[str], list[int]]:
    """Words of the fixture webs' article paragraphs with their counts (a real Zipf
    curve), as written (capitals and punctuation kept)."""
    counts: Counter[str] = Counter()
    for path in (REPO / "tests" / "fixtureweb").rglob("*.toml"):
        document = tomllib.loads(path.read_text(encoding="utf-8"))
        for article in document.get("article", ()):
            for paragraph in article.get("paragraphs", ()):
                counts.update(paragraph.split())
    common = counts.most_common(30_000)
    present = {w for token in counts for w in words(token)}
    assert not set(words(RARE)) & present, f"{RARE!r} is in the fixture text: pick another"
    return [w for w, _ in common], [c for _, c in common]


def build(path: Path, articles: int, seed: int = 7) -> float:
    """Write the synthetic index; seconds taken."""
    rng = random.Random(seed)
    vocab, weights = vocabulary()
    stems = {w: " ".join(stem(t) for t in words(w)) for w in vocab}
    index = Index(path)
    conn = index.conn
    run_ids = [index.start_run(f"crawl{i}") for i in range(3)]
    start = time.perf_counter()
    base = 1_609_459_200  # 2021-01-01T00:00:00Z
    batch_captures, batch_articles = [], []
    for n in range(1, articles + 1):
        size = rng.randint(400, 800)
        tokens = rng.choices(vocab, weights, k=size)
        for term, share in PLANTED.items():
            if rng.random() < share:
                tokens[rng.randrange(size)] = term
        text = " ".join(tokens)
        title = " ".join(tokens[:8]).capitalize()
        token_stems = [stems[t] if t in stems else " ".join(stem(w) for w in words(t))
                       for t in tokens]
        text_stems = " ".join(token_stems)
        moment = base + rng.randrange(2 * 365 * 86400)
        offset = rng.choice(OFFSETS)
        hours = int(offset[1:3])
        local = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(moment + hours * 3600))
        published = local + offset
        outlet = rng.choice(OUTLETS)
        url = f"http://{outlet.lower()}.test/read/{n}"
        batch_captures.append((n, rng.choice(run_ids), url, 200, "text/html",
                               local + "Z", f"crawl-{n // 10_000:05d}.warc.gz",
                               (n % 10_000) * 9000, 9000, f"<urn:uuid:{n:032x}>", "response"))
        batch_articles.append((n, n, url, outlet, title, published, published[:10], "id",
                               text, size, " ".join(token_stems[:8]), text_stems,
                               "synthetic"))
        if len(batch_articles) == 5_000 or n == articles:
            conn.executemany(
                "INSERT INTO captures (id, run_id, url, status, content_type, fetched_at,"
                " warc_file, warc_offset, warc_length, record_id, record_type)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?)", batch_captures)
            conn.executemany(
                "INSERT INTO articles (id, capture_id, url, outlet, title, published_at,"
                " published_day, language, text, word_count, title_stems, text_stems,"
                " extracted_with) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", batch_articles)
            conn.executemany("INSERT INTO run_articles (run_id, article_id, capture_id,"
                             " change) VALUES (?,?,?,'new')",
                             [(c[1], c[0], c[0]) for c in batch_captures])
            conn.commit()
            batch_captures, batch_articles = [], []
            print(f"\rbuilding: {n:,} articles", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    conn.execute("PRAGMA optimize")
    index.close()
    return time.perf_counter() - start


def timed(func, runs: int = RUNS) -> dict[str, float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        func()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return {"median_ms": round(statistics.median(times), 1),
            "p95_ms": round(times[max(0, int(0.95 * len(times)) - 1)], 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=300_000)
    parser.add_argument("--db", type=Path,
                        default=Path(tempfile.gettempdir()) / "liputan-research-bench.db")
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    figures: dict[str, object] = {"articles": args.articles}
    if args.rebuild or not args.db.exists():
        for suffix in ("", "-wal", "-shm"):
            Path(f"{args.db}{suffix}").unlink(missing_ok=True)
        seconds = build(args.db, args.articles)
        figures["build_s"] = round(seconds, 1)
        figures["build_articles_per_s"] = round(args.articles / seconds)
    conn = open_readonly(args.db)
    held = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
    if held != args.articles:
        sys.exit(f"{args.db} holds {held} articles, not {args.articles}: pass --rebuild")
    figures["db_mb"] = round(args.db.stat().st_size / 2**20)
    cases = {
        "rare term": Selection(RARE),
        "common term": Selection("pemerintah"),
        "phrase": Selection(f'"{PHRASE}"'),
        "stem (rusuh -> kerusuhan)": Selection("rusuh"),
        "common term, 2 outlets, 3 months": Selection(
            "pemerintah", outlets=(OUTLETS[0], OUTLETS[1]), since="2021-03-01",
            until="2021-05-31"),
    }
    search = {}
    for name, selection in cases.items():
        result = research.search(conn, selection, 20)
        search[name] = {"matches": result.total,
                        **timed(lambda s=selection: research.search(conn, s, 20))}
    figures["search_limit_20"] = search
    figures["timeline"] = {
        "per day per outlet, all articles": timed(
            lambda: research.timeline(conn, Selection(), "day"), 5),
        "per week, one query": timed(
            lambda: research.timeline(conn, Selection("kerusuhan"), "week"), 5),
    }
    exports = {}
    # Every export reads the whole table: read it once first, so the first format timed
    # does not pay alone for a cold page cache (measured: JSONL 17.7k rows/s cold, 24k warm).
    conn.execute("SELECT sum(length(text)) FROM articles").fetchone()
    with tempfile.TemporaryDirectory() as tmp:
        for fmt in ("jsonl", "csv", "parquet"):
            target = Path(tmp) / f"all.{fmt}"
            start = time.perf_counter()
            written = write_export(conn, Selection(), fmt, target)
            seconds = time.perf_counter() - start
            exports[fmt] = {"rows": written, "rows_per_s": round(written / seconds),
                            "mb": round(target.stat().st_size / 2**20)}
            target.unlink()
    figures["export"] = exports
    conn.close()
    figures["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    if args.json:
        print(json.dumps(figures, indent=2))
        return
    for key, value in figures.items():
        if isinstance(value, dict):
            print(f"{key}:")
            for name, entry in value.items():
                print(f"  {name:<36} {entry}")
        else:
            print(f"{key:<38} {value}")


if __name__ == "__main__":
    main()
