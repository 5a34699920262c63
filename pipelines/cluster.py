"""Syndication clusters: one story run by several outlets (a news agency's wire copy, lightly
edited) and other near-duplicate texts, found with MinHash LSH over word shingles.

Each article's text becomes a set of 3-word shingles, summarised by a 128-value MinHash
(datasketch's `affine32` scheme, bit for bit) stored in `article_signatures`; two articles whose
estimated Jaccard similarity reaches `THRESHOLD` are linked, and a cluster is a connected
group of linked articles. Measured on our own Indonesian pairs (tests/data/syndication.toml
and the fixture web's syndicated story) and every pair of same-event stories of the labeled
webs (18,617 pairs by independent authors): a wire story and its lightly edited copy have a
Jaccard of 0.69-0.70 at 3 words (0.84 at 1, 0.62 at 5), the closest two different stories
on one event 0.12 (0.40 at 1 word, 0.06 at 5; 99 % of them under 0.04). Three words keep the
widest gap while each edited word breaks only three shingles; 0.4 sits well clear of both
sides (heavier edits than ours still cluster).

Incremental: a run hashes only articles without a signature of their current text, then
redoes the clusters those articles were or will be in; every other cluster stands. The
candidate search is LSH banding over the stored signatures (the band and row counts
datasketch's MinHashLSH picks for this threshold), kept in numpy arrays: datasketch's own
index holds ~9 KB of Python objects per article, this one ~0.8 KB. datasketch itself is not
imported here: its package pulls in scipy (355 modules, ~33 MB in every process: the crawl's
and each extraction worker's), so its permutations and band choice are reproduced below and
tests/test_clusters.py checks them, and the signatures, against datasketch. A cluster's id is its
lowest article id, so a full rebuild and any sequence of incremental runs give the same ids.
"""

from __future__ import annotations

import string
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path

import numpy as np

from pipelines import dates

SHINGLE_WORDS = 3
NUM_PERM = 128
THRESHOLD = 0.4
SEED = 1
# Stored with each signature: a signature made with other parameters is made again.
SCHEME = f"minhash-affine32-p{NUM_PERM}-s{SEED}-w{SHINGLE_WORDS}"
# Below this many articles to hash, a process pool costs more to start than it saves.
POOL_FROM = 4000
# Everything between words becomes a space: punctuation, quotes, dashes, every whitespace.
_SEPARATORS = {ord(c): " " for c in string.punctuation + string.whitespace
               + "\xa0\u2018\u2019\u201c\u201d\u2013\u2014\u2026\u00ab\u00bb\u2022\u00b7"}
_BASE = np.uint64(0x100000001B3)  # odd: invertible modulo 2**64
_BASE_INVERSE = np.uint64(pow(int(_BASE), -1, 1 << 64))
_POWERS = (np.empty(0, dtype=np.uint64), np.empty(0, dtype=np.uint64))
# Odd multipliers that mix the word hashes of one shingle into one value (order matters).
_MIX = np.array([0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9][:SHINGLE_WORDS],
                dtype=np.uint64)


# (bands, rows per band) of the LSH index: what datasketch's MinHashLSH picks for THRESHOLD
# and NUM_PERM (the pair minimising its false positive and negative areas).
BANDS = (32, 4)


@lru_cache(maxsize=1)
def _permutations() -> tuple[np.ndarray, np.ndarray]:
    """The (a, b) of each permutation h -> a*h + b mod 2**32, drawn as datasketch's affine32
    MinHash draws them for SEED (a odd: a bijection)."""
    gen = np.random.RandomState(SEED)
    a = gen.randint(0, 1 << 31, NUM_PERM, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, NUM_PERM, dtype=np.uint32)
    return a, b


def bands() -> tuple[int, int]:
    """(bands, rows per band) of the LSH index."""
    return BANDS


def _word_hashes(text: str) -> np.ndarray:
    """One uint64 per word of the text (case folded, split at whitespace and punctuation):
    a polynomial hash of its UTF-8 bytes, all words at once in numpy (a Python call per word
    cost five times more)."""
    raw = np.frombuffer(text.casefold().translate(_SEPARATORS).encode(), dtype=np.uint8)
    if not len(raw):
        return np.empty(0, dtype=np.uint64)
    edges = np.flatnonzero(np.diff(np.concatenate(([1], raw == 32, [1])).astype(np.int8)))
    starts, ends = edges[0::2], edges[1::2]
    powers, inverses = _powers(len(raw))
    # prefix[k] = sum of byte[i] * B**(i+1) for i < k, modulo 2**64 (numpy wraps)
    prefix = np.concatenate(([np.uint64(0)], np.cumsum(raw.astype(np.uint64) * powers)))
    return (prefix[ends] - prefix[starts]) * inverses[starts]


def _powers(n: int) -> tuple[np.ndarray, np.ndarray]:
    """B**(i+1) and B**-(i+1) modulo 2**64 for i < n, cached for the longest text so far."""
    global _POWERS
    if len(_POWERS[0]) < n:
        size = max(n, 2 * len(_POWERS[0]), 1 << 15)
        _POWERS = (np.cumprod(np.full(size, _BASE, dtype=np.uint64)),
                   np.cumprod(np.full(size, _BASE_INVERSE, dtype=np.uint64)))
    return _POWERS[0][:n], _POWERS[1][:n]


def shingles(text: str) -> np.ndarray:
    """The text's word shingles (SHINGLE_WORDS words in a row, in text order, repeats
    included), hashed to uint32."""
    tokens = _word_hashes(text)
    if not len(tokens):
        return np.empty(0, dtype=np.uint32)
    if len(tokens) < SHINGLE_WORDS:  # a very short text is one shingle
        tokens = np.concatenate([tokens, np.zeros(SHINGLE_WORDS - len(tokens), np.uint64)])
    n = len(tokens) - SHINGLE_WORDS + 1
    mixed = tokens[:n] * _MIX[0]
    for j in range(1, SHINGLE_WORDS):
        mixed ^= tokens[j:j + n] * _MIX[j]
    # Repeats stay: a minimum does not care, and np.unique cost a quarter of the hashing.
    return (mixed ^ (mixed >> np.uint64(32))).astype(np.uint32)


def signature(text: str) -> np.ndarray | None:
    """The MinHash of the text's shingles (NUM_PERM uint32 values), None for no words."""
    (stored,) = signatures_of([text])
    return None if stored is None else np.frombuffer(stored, dtype=np.uint32)


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Estimated Jaccard similarity of two signatures' texts."""
    return float(np.count_nonzero(a == b)) / len(a)


def _fmix32(values: np.ndarray) -> np.ndarray:
    # MurmurHash3's 32-bit finalizer: the pre-mix of datasketch's affine32 scheme.
    values = values ^ (values >> np.uint32(16))
    values = values * np.uint32(0x85EBCA6B)
    values = values ^ (values >> np.uint32(13))
    values = values * np.uint32(0xC2B2AE35)
    return values ^ (values >> np.uint32(16))


def signatures_of(texts: list[str]) -> list[bytes | None]:
    """Signatures as stored (uint32 bytes): datasketch's affine32 MinHash (its permutations,
    its MurmurHash3 pre-mix) applied in place, in arrays that stay in the CPU cache.
    datasketch's own update costs twice as much (a Python call per shingle)."""
    a, b = _permutations()
    work = np.empty((0, NUM_PERM), dtype=np.uint32)
    out: list[bytes | None] = []
    for text in texts:
        hashed = shingles(text or "")
        if not len(hashed):
            out.append(None)
            continue
        if len(work) < len(hashed):
            work = np.empty((len(hashed), NUM_PERM), dtype=np.uint32)
        rows = work[:len(hashed)]
        np.multiply(_fmix32(hashed).reshape(-1, 1), a, out=rows)
        rows += b
        out.append(rows.min(axis=0).tobytes())
    return out


def band_keys(sigs: np.ndarray) -> np.ndarray:
    """One uint64 per LSH band of each signature (rows: signatures)."""
    b, r = bands()
    keys = np.zeros((len(sigs), b), dtype=np.uint64)
    for j in range(r):
        # FNV-style fold of the band's r values; wraps modulo 2**64 on purpose.
        keys = (keys * np.uint64(0x100000001B3)) ^ sigs[:, j:b * r:r].astype(np.uint64)
    return keys


class BandIndex:
    """LSH over a set of signatures: articles sharing any band are candidates."""

    def __init__(self, ids: np.ndarray, sigs: np.ndarray) -> None:
        self.ids = ids
        self.sigs = sigs
        self._row = {int(i): n for n, i in enumerate(ids)}
        keys = band_keys(sigs)
        self._order = np.argsort(keys, axis=0, kind="stable").astype(np.int32)
        self._sorted = np.take_along_axis(keys, self._order, axis=0)

    def signature(self, article_id: int) -> np.ndarray:
        return self.sigs[self._row[article_id]]

    def similar(self, article_ids: list[int]) -> Iterator[tuple[int, int]]:
        """(a, b) for each of `article_ids` and every other article of the index whose
        signature shares a band with it and reaches THRESHOLD."""
        rows = np.array([self._row[a] for a in article_ids], dtype=np.int64)
        if not len(rows):
            return
        keys = band_keys(self.sigs[rows])
        for band in range(keys.shape[1]):
            column = self._sorted[:, band]
            lo = np.searchsorted(column, keys[:, band], "left")
            hi = np.searchsorted(column, keys[:, band], "right")
            for q in np.nonzero(hi - lo > 1)[0]:  # more than the article itself
                mine = self.sigs[rows[q]]
                for other in self._order[lo[q]:hi[q], band]:
                    if other != rows[q] and similarity(mine, self.sigs[other]) >= THRESHOLD:
                        yield int(self.ids[rows[q]]), int(self.ids[other])


@dataclass
class ClusterReport:
    hashed: int = 0  # articles whose signature was computed this time
    redone: int = 0  # articles whose cluster was worked out again
    articles: int = 0
    clusters: int = 0  # of two articles or more
    clustered: int = 0  # articles in those
    seconds: float = 0.0
    rebuilt: bool = False


def update_clusters(conn, *, rebuild: bool = False, pool: Executor | None = None,
                    on_progress: Callable[[int, int], None] | None = None) -> ClusterReport:
    """Bring signatures, `articles.cluster_id` and `clusters` in step with the articles
    (`conn`: an index's sqlite3 connection; committed here). `rebuild`: every signature and
    cluster again. `pool`: hash a large batch in these processes."""
    started = time.monotonic()
    report = ClusterReport(rebuilt=rebuild)
    if rebuild:
        conn.execute("DELETE FROM article_signatures")
        conn.execute("DELETE FROM clusters")
        conn.execute("UPDATE articles SET cluster_id = NULL")
    stale = [r[0] for r in conn.execute(
        "SELECT a.id FROM articles a LEFT JOIN article_signatures s ON s.article_id = a.id"
        " WHERE s.article_id IS NULL OR s.text_digest IS NOT a.text_digest OR s.scheme != ?"
        " ORDER BY a.id", [SCHEME])]
    conn.execute("DELETE FROM article_signatures WHERE article_id NOT IN"
                 " (SELECT id FROM articles)")
    report.hashed = _hash(conn, stale, pool, on_progress)
    # Clusters to redo: those the changed articles were in, those that lost a member
    # (their stored size says so), and the articles no cluster holds yet.
    broken = [r[0] for r in conn.execute(
        "SELECT c.id FROM clusters c LEFT JOIN (SELECT cluster_id, count(*) AS n FROM"
        " articles WHERE cluster_id IS NOT NULL GROUP BY cluster_id) m ON m.cluster_id = c.id"
        " WHERE m.n IS NOT c.size")]
    redo = set(stale)
    redo.update(_members(conn, broken))
    redo.update(_members(conn, _clusters_of(conn, stale)))
    redo.update(r[0] for r in conn.execute("SELECT id FROM articles WHERE cluster_id IS NULL"))
    index = _load_index(conn)
    report.redone = len(redo)
    _recluster(conn, sorted(redo), index, set(broken))
    conn.commit()
    report.articles, report.clusters, report.clustered = conn.execute(
        "SELECT (SELECT count(*) FROM articles), count(*), coalesce(sum(size), 0)"
        " FROM clusters WHERE size >= 2").fetchone()
    report.seconds = time.monotonic() - started
    return report


def _chunks(items: list[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _hash(conn, stale: list[int], pool: Executor | None,
          on_progress: Callable[[int, int], None] | None) -> int:
    batches = _chunks(stale, 500)

    def texts(batch: list[int]) -> tuple[list[int], list[str], list[str]]:
        rows = conn.execute(
            f"SELECT id, text, text_digest FROM articles WHERE id IN ({','.join('?' * len(batch))})"
            " ORDER BY id", batch).fetchall()
        return [r[0] for r in rows], [r[1] or "" for r in rows], [r[2] for r in rows]

    loaded = map(texts, batches)
    if pool is not None and len(stale) >= POOL_FROM:
        results: Iterable = _in_pool(pool, loaded)
    else:
        results = ((ids, digests, signatures_of(t)) for ids, t, digests in loaded)
    done = 0
    for ids, digests, sigs in results:
        conn.executemany(
            "INSERT OR REPLACE INTO article_signatures (article_id, text_digest, scheme,"
            " signature) VALUES (?,?,?,?)",
            [(i, d, SCHEME, s) for i, d, s in zip(ids, digests, sigs, strict=True)])
        done += len(ids)
        if on_progress is not None:
            on_progress(done, len(stale))
    return done


def _in_pool(pool: Executor, loaded: Iterable) -> Iterator:
    """Hash batches in the pool, a few in flight ahead, results in order."""
    window: deque = deque()
    for ids, texts, digests in loaded:
        window.append((ids, digests, pool.submit(signatures_of, texts)))
        if len(window) >= 8:
            ids, digests, future = window.popleft()
            yield ids, digests, future.result()
    while window:
        ids, digests, future = window.popleft()
        yield ids, digests, future.result()


def _members(conn, cluster_ids: Iterable[int]) -> set[int]:
    found: set[int] = set()
    for batch in _chunks(sorted(set(cluster_ids)), 500):
        found.update(r[0] for r in conn.execute(
            f"SELECT id FROM articles WHERE cluster_id IN ({','.join('?' * len(batch))})",
            batch))
    return found


def _clusters_of(conn, article_ids: list[int]) -> set[int]:
    found: set[int] = set()
    for batch in _chunks(article_ids, 500):
        found.update(r[0] for r in conn.execute(
            f"SELECT cluster_id FROM articles WHERE cluster_id IS NOT NULL AND id IN"
            f" ({','.join('?' * len(batch))})", batch))
    return found


def _load_index(conn) -> BandIndex:
    """Every stored signature (articles with words) in one LSH index."""
    ids: list[int] = []
    blobs: list[bytes] = []
    for article_id, blob in conn.execute(
            "SELECT article_id, signature FROM article_signatures WHERE signature IS NOT NULL"
            " AND scheme = ? ORDER BY article_id", [SCHEME]):
        ids.append(article_id)
        blobs.append(blob)
    sigs = (np.frombuffer(b"".join(blobs), dtype=np.uint32).reshape(len(blobs), NUM_PERM)
            if blobs else np.empty((0, NUM_PERM), dtype=np.uint32))
    return BandIndex(np.array(ids, dtype=np.int64), sigs)


def _recluster(conn, redo: list[int], index: BandIndex, broken: set[int]) -> None:
    """Work out the clusters of the `redo` articles: linked to each other, or to articles of
    clusters that stand (joined whole)."""
    parent: dict[int, int] = {}

    def find(x: int) -> int:
        root = x
        while parent.get(root, root) != root:
            root = parent[root]
        while x != root:
            parent[x], x = root, parent.get(x, x)
        return root

    def union(a: int, b: int) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    redoing = set(redo)
    # An article outside `redo` stands for its whole cluster: node -cluster_id.
    standing: dict[int, int] = {}
    hashed = [a for a in redo if a in index._row]
    for batch in _chunks(hashed, 2000):
        outside = []
        pairs = list(index.similar(batch))
        for _, b in pairs:
            if b not in redoing and b not in standing:
                outside.append(b)
        for chunk in _chunks(sorted(set(outside)), 500):
            for article_id, cluster_id in conn.execute(
                    f"SELECT id, cluster_id FROM articles WHERE id IN"
                    f" ({','.join('?' * len(chunk))})", chunk):
                standing[article_id] = -(cluster_id or article_id)
        for a, b in pairs:
            union(a, b if b in redoing else standing.get(b, b))
    groups: dict[int, list[int]] = {}
    for node in [*redo, *set(standing.values())]:
        groups.setdefault(find(node), []).append(node)
    old = _clusters_of(conn, redo) | broken
    clusters = []
    for nodes in groups.values():
        joined = {-n for n in nodes if n < 0}  # standing clusters this group takes in whole
        old |= joined
        members = {n for n in nodes if n > 0}
        clusters.append(sorted(members | _members(conn, joined) if joined else members))
    _write_clusters(conn, clusters)
    for batch in _chunks(sorted(old), 500):
        # What no article is in any more: merged into another cluster, or emptied.
        conn.execute(f"DELETE FROM clusters WHERE id IN ({','.join('?' * len(batch))}) AND id"
                     " NOT IN (SELECT cluster_id FROM articles WHERE cluster_id IS NOT NULL)",
                     batch)


def _write_clusters(conn, clusters: list[list[int]]) -> None:
    """The clusters' rows and their members' cluster_id: a cluster's id is its lowest
    member id, its original the earliest published member (ties and undated: the earliest
    captured)."""
    info: dict[int, tuple] = {}
    for batch in _chunks(sorted(a for members in clusters for a in members), 500):
        for row in conn.execute(
                "SELECT a.id, a.outlet, a.published_at, coalesce((SELECT min(v.fetched_at) FROM"
                " article_versions v WHERE v.article_id = a.id), c.fetched_at), a.cluster_id"
                " FROM articles a LEFT JOIN captures c ON c.id = a.capture_id"
                f" WHERE a.id IN ({','.join('?' * len(batch))})", batch):
            # (id, outlet, published_at, first captured, published instant, cluster_id)
            info[row[0]] = (*row[:4], _instant(row[2]), row[4])
    moved, rows = [], []
    now = datetime.now(UTC).isoformat(timespec="seconds")
    for members in clusters:
        cluster_id = members[0]
        moved += [(cluster_id, a) for a in members if info[a][5] != cluster_id]
        found = [info[a] for a in members]
        original = min(found, key=lambda r: (r[4] or "~", r[3] or "~", r[0]))
        dated = [r for r in found if r[4]]
        latest = max(dated, key=lambda r: r[4]) if dated else None
        rows.append((cluster_id, len(members), original[0], original[2],
                     latest[2] if latest else None, len({r[1] for r in found if r[1]}), now))
    # Only changed rows are written: an UPDATE of articles costs a full-text reindex of
    # the row on indexes made before m007 narrowed the trigger.
    conn.executemany("UPDATE articles SET cluster_id=? WHERE id=?", moved)
    conn.executemany(
        "INSERT OR REPLACE INTO clusters (id, size, original_article_id, first_published_at,"
        " last_published_at, outlets, updated_at) VALUES (?,?,?,?,?,?,?)", rows)


def _instant(published: str | None) -> str | None:
    """A publication time as a comparable UTC instant (a bare day: its start in WIB)."""
    if not published:
        return None
    try:
        moment = datetime.fromisoformat(published)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dates.WIB)
    return moment.astimezone(UTC).isoformat()


def cluster_archive(archive: Path, *, rebuild: bool = False, workers: int = 1,
                    on_progress: Callable[[int, int], None] | None = None) -> ClusterReport:
    """`update_clusters` on an archive's index, hashing in `workers` processes (from
    POOL_FROM articles to hash). One is the default: on the loaded 2-core machine of the
    benchmark a pool of two was slower (README, "Syndication clustering")."""
    from pipelines.index import INDEX_NAME, Index
    from pipelines.pool import extraction_pool

    index = Index(archive / INDEX_NAME)
    try:
        if workers > 1:
            pending = index.conn.execute(
                "SELECT count(*) FROM articles a LEFT JOIN article_signatures s ON"
                " s.article_id = a.id WHERE s.article_id IS NULL OR s.text_digest IS NOT"
                " a.text_digest OR s.scheme != ?", [SCHEME]).fetchone()[0]
            if rebuild or pending >= POOL_FROM:
                with extraction_pool(workers) as pool:
                    return update_clusters(index.conn, rebuild=rebuild, pool=pool,
                                           on_progress=on_progress)
        return update_clusters(index.conn, rebuild=rebuild, on_progress=on_progress)
    finally:
        index.close()
