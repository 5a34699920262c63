"""A crawl's run history: what each run fetched, found and skipped, and how it ended.

Counts come from the tables (captures, articles or run_articles, skipped), never from a
run's stats JSON: a resumed run spans several processes, and each wrote only its own stats.
The rule for a failed fetch and for a failed run lives here, once: the crawl records its
run's status with it, `liputan runs` and `liputan report` show the same counts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pipelines.index import Index, row_id
from pipelines.lock import live_status

# SQL over `captures`. robots.txt fetches are politeness, not pages: they count neither as
# fetched nor as failed. A fetch failed when it brought no response (refused, timed out,
# too large: no WARC record) or the server would not serve the page (5xx, 429); the answer
# is archived all the same.
IS_PAGE = "url NOT LIKE '%/robots.txt'"
IS_FAILED = ("(warc_file IS NULL OR coalesce(status, 0) >= 500"
             " OR coalesce(status, 0) = 429)")
NEW = "new"  # run_articles.change of a story the run found first
FINISHED, FAILED, RUNNING, INTERRUPTED = "finished", "failed", "running", "interrupted"
# skipped.reason of a URL the crawl's scope refused: "scope off-site", "scope metadata"...
SCOPE_REASON = "scope"


# A focused crawl's run stats hold the relevance feedback step's report under this key
# (crawler/feedback.py), "pending" from the crawl's end until the step has run.
FEEDBACK_KEY = "feedback"
FEEDBACK_PENDING = "pending"


@dataclass(frozen=True)
class RunCounts:
    fetched: int = 0  # pages served (robots.txt left out)
    failures: int = 0  # fetches with no response, or a 5xx or 429 answer
    archived: int = 0  # response and revisit records written (robots.txt too)
    revisits: int = 0
    new_articles: int = 0
    changed_articles: int = 0  # stories an earlier run had, found edited (a new version)
    robots_blocked: int = 0
    budget_dropped: int = 0
    refused: int = 0  # requests the crawl's scope refused (off site, metadata, scheme...)

    def outcome(self, max_failure_share: float) -> str:
        """`failed` when no page was served, or failures pass the share of attempts."""
        attempts = self.fetched + self.failures
        if self.fetched <= 0 or (attempts and self.failures / attempts > max_failure_share):
            return FAILED
        return FINISHED


def run_counts(index: Index, run_ids: Iterable[int]) -> dict[int, RunCounts]:
    """The counts of each run, a few grouped queries for all of them."""
    ids = sorted(set(run_ids))
    if not ids:
        return {}
    marks = ",".join("?" * len(ids))
    values: dict[int, dict[str, int]] = {run_id: {} for run_id in ids}
    for run_id, fetched, failures, archived, revisits in index.conn.execute(
            f"SELECT run_id, sum(CASE WHEN {IS_PAGE} AND NOT {IS_FAILED} THEN 1 ELSE 0 END),"
            f" sum(CASE WHEN {IS_PAGE} AND {IS_FAILED} THEN 1 ELSE 0 END),"
            " sum(warc_file IS NOT NULL), sum(coalesce(record_type, '') = 'revisit')"
            f" FROM captures WHERE run_id IN ({marks}) GROUP BY run_id", ids):
        values[run_id].update(fetched=fetched, failures=failures, archived=archived,
                              revisits=revisits)
    for run_id, reason, count in index.conn.execute(
            f"SELECT run_id, reason, count(*) FROM skipped WHERE run_id IN ({marks})"
            " GROUP BY run_id, reason", ids):
        if reason in ("robots", "budget"):
            values[run_id]["robots_blocked" if reason == "robots" else "budget_dropped"] = count
        elif reason.startswith(SCOPE_REASON):
            values[run_id]["refused"] = values[run_id].get("refused", 0) + count
    for run_id, count in new_articles(index, ids).items():
        values[run_id]["new_articles"] = count
    for run_id, count in index.conn.execute(
            f"SELECT run_id, count(*) FROM run_articles WHERE change='changed'"
            f" AND run_id IN ({marks}) GROUP BY run_id", ids):
        values[run_id]["changed_articles"] = count
    return {run_id: RunCounts(**found) for run_id, found in values.items()}


def commonest_failure(index: Index, run_id: int) -> tuple[str, int] | None:
    """What most of a run's failed page fetches went wrong with (the error as recorded,
    or `HTTP <status>`), and how many share it; None when none failed."""
    row = index.conn.execute(
        f"SELECT coalesce(error, 'HTTP ' || status), count(*) FROM captures WHERE run_id=?"
        f" AND {IS_PAGE} AND {IS_FAILED} GROUP BY 1 ORDER BY 2 DESC, min(id) LIMIT 1",
        [run_id]).fetchone()
    return (str(row[0]), int(row[1])) if row else None


def new_articles(index: Index, run_ids: list[int]) -> dict[int, int]:
    """Stories each run found first: its run_articles rows once the crawl fills them;
    before that, articles whose URL the run was the first to fetch."""
    marks = ",".join("?" * len(run_ids))
    filled = {row[0] for row in index.conn.execute(
        f"SELECT DISTINCT run_id FROM run_articles WHERE run_id IN ({marks})", run_ids)}
    out = dict(index.conn.execute(
        f"SELECT run_id, count(*) FROM run_articles WHERE change=? AND run_id IN ({marks})"
        " GROUP BY run_id", [NEW, *run_ids]).fetchall())
    rest = [run_id for run_id in run_ids if run_id not in filled]
    if rest:
        out.update(index.conn.execute(
            "SELECT first_run, count(*) FROM (SELECT (SELECT min(e.run_id) FROM captures e"
            " WHERE e.url = c.url AND e.warc_file IS NOT NULL) AS first_run FROM articles a"
            " JOIN captures c ON c.id = a.capture_id)"
            f" WHERE first_run IN ({','.join('?' * len(rest))}) GROUP BY first_run", rest,
        ).fetchall())
    return out


def shown_status(row: Mapping[str, Any], root: Path) -> str:
    """The status to show: a `running` run whose process is gone was interrupted (it is
    resumed by the next crawl of its config). The rule is the archive lock's."""
    return str(live_status(row.get("status") or "", root, row.get("pid"),
                           row.get("hostname")) or "")


def duration_seconds(started: str | None, ended: str | None) -> float | None:
    """From start to end (to now while it runs); None without a start."""
    if not started:
        return None
    try:
        start = datetime.fromisoformat(started)
        end = datetime.fromisoformat(ended) if ended else datetime.now(UTC)
    except ValueError:
        return None
    return max(0.0, (end - start).total_seconds())


def run_rows(index: Index, *, crawl: str | None = None, limit: int | None = None,
             run_id: int | None = None) -> list[dict[str, Any]]:
    """The history, newest first: one dict per run with its shown status and counts."""
    where, params = [], []
    if crawl:
        where.append("r.crawl = ?")
        params.append(crawl)
    if run_id is not None:
        where.append("r.id = ?")
        params.append(run_id)
    sql = ("SELECT r.*, s.name AS schedule FROM runs r LEFT JOIN schedules s"
           " ON s.id = r.schedule_id" + (f" WHERE {' AND '.join(where)}" if where else "")
           + " ORDER BY r.id DESC" + (" LIMIT ?" if limit else ""))
    runs = list(index.db.query(sql, [*params, *([limit] if limit else [])]))
    counts = run_counts(index, [row["id"] for row in runs])
    out = []
    for row in runs:
        status = shown_status(row, index.path.parent)
        ended = row["finished_at"] if row["status"] != RUNNING else None
        # A run still going lasts until now; one whose process died, nobody knows.
        duration = (None if status == INTERRUPTED and not ended
                    else duration_seconds(row["started_at"], ended))
        out.append({
            "run": row["id"], "crawl": row["crawl"], "kind": row["kind"],
            "schedule": row["schedule"], "started": row["started_at"], "ended": ended,
            "duration_s": round(duration, 1) if duration is not None else None,
            "status": status, **asdict(counts[row["id"]]),
            "resumed": row["resumed"] or 0, "config_digest": row["config_digest"] or "",
            "pid": row["pid"], "hostname": row["hostname"],
        })
    return out


def find_run(index: Index, ref: str) -> int | None:
    """A run by id, `latest` (of the archive), or a crawl's name (its latest run)."""
    ref = ref.strip()
    number = row_id(ref)
    if number is not None:
        row = index.conn.execute("SELECT id FROM runs WHERE id=?", [number]).fetchone()
    elif ref.isdigit():  # a number no run can have ('²', past SQLite's range)
        row = None
    elif ref == "latest":
        row = index.conn.execute("SELECT max(id) FROM runs").fetchone()
    else:
        row = index.conn.execute("SELECT max(id) FROM runs WHERE crawl=?", [ref]).fetchone()
    return int(row[0]) if row and row[0] is not None else None
