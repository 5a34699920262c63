"""What one run did, for the archivist: `run_report()` builds it as plain data, the
renderers write it as a terminal table, JSON, or one self-contained HTML page.

Per outlet (the host of each URL): URLs discovered (frontier rows), pages fetched, WARC
records archived, articles indexed, articles the gates rejected, robots-blocked and
budget-dropped URLs, errors by kind, new records against revisits. Then the robots-blocked
URLs in full, the URLs the crawl's scope refused (off site, link-local, cloud metadata, not
http) with the reason, the failed fetches, the articles per published day (the outlet's own day:
`published_at` keeps its offset) and the run's WARC files, each checked record by record.
"""

from __future__ import annotations

import html
import json
from collections import Counter, defaultdict
from datetime import date
from typing import Any
from urllib.parse import urlsplit

from pipelines import chart
from pipelines.check import CheckReport, check_digests
from pipelines.index import Index
from pipelines.index.research import periods_between
from pipelines.runs import IS_FAILED, IS_PAGE, SCOPE_REASON, run_rows
from pipelines.warc import resolve_warc_path

# The gate words of crawler/focus.py Focus.verdict(), as stored in captures.verdict.
GATE_WORDS = (("language", "language"), ("window", "window"), ("off topic", "topic"),
              ("not an article", "article"))
GATES = ("language", "window", "topic")  # the report's columns; others count as "other"
OUTLET_COLUMNS = ("discovered", "fetched", "failures", "archived", "indexed", "rejected",
                  "robots_blocked", "budget_dropped", "new_records", "revisits")
LISTED = 500  # failed fetches shown in the table and the HTML (JSON has every one)
POLITENESS = "liputan/politeness/"  # the crawl's politeness counts in the run's stats


class ReportError(LookupError):
    """No such run in the index."""


def gate_of(verdict: str) -> str:
    """The gate that wrote a verdict ("language en" -> "language")."""
    for words, gate in GATE_WORDS:
        if words in verdict:
            return gate
    return "other"


def error_kind(status: int | None, error: str | None, archived: bool) -> str | None:
    """What went wrong with one capture, as a kind to count: the exception's name for a
    fetch with no response, `HTTP <status>` for an error answer, else the error's head."""
    if not archived:
        return (error or "no response").split(":", 1)[0].strip() or "no response"
    if status is not None and status >= 400:
        return f"HTTP {status}"
    if error:
        return error.split(":", 1)[0].strip() or "error"
    return None


def outlet_of(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower() or "?"
    except ValueError:
        return "?"


def run_report(index: Index, run_id: int, *, verify: bool = True) -> dict[str, Any]:
    """Everything the report shows about `run_id`; `verify` rechecks its WARC files'
    digests (pipelines/check.py)."""
    rows = run_rows(index, run_id=run_id)
    if not rows:
        raise ReportError(f"no run {run_id} in {index.path}")
    outlets: dict[str, dict[str, Any]] = defaultdict(_outlet)
    conn = index.conn
    for (url,) in conn.execute("SELECT url FROM frontier WHERE run_id=?", [run_id]):
        outlets[outlet_of(url)]["discovered"] += 1
    failures, errors = [], Counter()
    for url, status, error, warc_file, record_type, verdict, fetched_at, page, failed in (
            conn.execute(f"SELECT url, status, error, warc_file, record_type, verdict,"
                         f" fetched_at, {IS_PAGE}, {IS_FAILED} FROM captures"
                         " WHERE run_id=? ORDER BY id", [run_id])):
        row = outlets[outlet_of(url)]
        if warc_file:
            row["archived"] += 1
            row["new_records" if record_type == "response" else "revisits"] += 1
        if verdict:
            row["rejected"][gate_of(verdict)] += 1
        if not page:
            continue  # robots.txt: archived, never a page or an error of the crawl
        row["failures" if failed else "fetched"] += 1
        kind = error_kind(status, error, bool(warc_file))
        if kind:
            row["errors"][kind] += 1
            errors[kind] += 1
        if failed:
            failures.append({"url": url, "status": status, "error": error or kind,
                             "at": fetched_at})
    robots, refused = [], []
    for url, reason, at in conn.execute(
            "SELECT url, reason, at FROM skipped WHERE run_id=? ORDER BY rowid", [run_id]):
        row = outlets[outlet_of(url)]
        if reason == "robots":
            row["robots_blocked"] += 1
            robots.append({"url": url, "outlet": outlet_of(url), "at": at})
        elif reason == "budget":
            row["budget_dropped"] += 1
        elif reason.startswith(SCOPE_REASON):
            refused.append({"url": url, "reason": reason.removeprefix(SCOPE_REASON).strip(),
                            "at": at})
    days: Counter[str] = Counter()
    undated = 0
    for url, published in _indexed(index, run_id):
        outlets[outlet_of(url or "")]["indexed"] += 1
        if published and len(published) >= 10:
            days[published[:10]] += 1
        else:
            undated += 1
    files = _warc_files(index, run_id, verify)
    return {
        "run": rows[0],
        "outlets": [{"outlet": name, **{k: _plain(v) for k, v in found.items()}}
                    for name, found in sorted(outlets.items())],
        "errors": dict(errors.most_common()),
        "robots_blocked": robots,
        "refused": refused,
        "failures": failures,
        "published_days": [{"day": day, "articles": n} for day, n in sorted(days.items())],
        "undated_articles": undated,
        "warc_files": files,
        "valid": all(not f["problems"] for f in files) if verify else None,
        "politeness": _politeness(index, run_id),
    }


def _politeness(index: Index, run_id: int) -> dict[str, Any]:
    """The politeness counts of the run's stats (crawler/components/politeness.py): the
    delay floor and jitter, backoffs after 429/503, each host's honoured Crawl-delay. A
    resumed run keeps the stats of its last process."""
    row = index.conn.execute("SELECT stats FROM runs WHERE id=?", [run_id]).fetchone()
    try:
        stats = json.loads(row[0] or "{}") if row else {}
    except ValueError:
        return {}
    found: dict[str, Any] = {}
    for key, value in sorted(stats.items() if isinstance(stats, dict) else []):
        if key.startswith(POLITENESS + "crawl_delay/"):
            found.setdefault("crawl_delay", {})[key[len(POLITENESS) + 12:]] = value
        elif key.startswith(POLITENESS):
            found[key[len(POLITENESS):]] = value
    return found


def politeness_lines(politeness: dict[str, Any]) -> list[str]:
    """The politeness counts in words, one line each (empty for a crawl before them)."""
    if not politeness:
        return []
    floor, jitter = politeness.get("delay_floor", 0), politeness.get("delay_jitter", 0)
    lines = [f"delay per host {floor:g} s at least, drawn up to {jitter:.0%} above it"
             if floor else "no delay between requests to one host"]
    if politeness.get("backoffs"):
        lines.append(f"backed off {politeness['backoffs']:,} times after a 429 or 503"
                     f" ({politeness.get('retry_after', 0):,} as Retry-After said,"
                     f" {politeness.get('backoff_capped', 0):,} capped),"
                     f" {politeness.get('backoff_seconds', 0):,.1f} s in all, longest"
                     f" {politeness.get('longest_backoff', 0):,.1f} s")
    for host, seconds in politeness.get("crawl_delay", {}).items():
        lines.append(f"robots.txt Crawl-delay of {host} honoured: {seconds:g} s")
    if politeness.get("held_at_shutdown"):
        lines.append(f"{politeness['held_at_shutdown']:,} requests still waiting for their"
                     " host when the crawl stopped, left for the resumed run")
    return lines


def _outlet() -> dict[str, Any]:
    return {"discovered": 0, "fetched": 0, "failures": 0, "archived": 0, "indexed": 0,
            "rejected": Counter(), "robots_blocked": 0, "budget_dropped": 0,
            "new_records": 0, "revisits": 0, "errors": Counter()}


def _plain(value: Any) -> Any:
    return dict(value.most_common()) if isinstance(value, Counter) else value


def _indexed(index: Index, run_id: int) -> list[tuple[str | None, str | None]]:
    """(capture URL, published_at) of each article the run indexed: its run_articles rows
    once the crawl fills them, else the articles whose capture is the run's."""
    conn = index.conn
    if conn.execute("SELECT 1 FROM run_articles WHERE run_id=? LIMIT 1", [run_id]).fetchone():
        return conn.execute(
            "SELECT c.url, a.published_at FROM run_articles ra JOIN articles a"
            " ON a.id = ra.article_id LEFT JOIN captures c"
            " ON c.id = coalesce(ra.capture_id, a.capture_id) WHERE ra.run_id=?",
            [run_id]).fetchall()
    return conn.execute(
        "SELECT c.url, a.published_at FROM articles a JOIN captures c ON c.id = a.capture_id"
        " WHERE c.run_id=?", [run_id]).fetchall()


def _warc_files(index: Index, run_id: int, verify: bool) -> list[dict[str, Any]]:
    root = index.path.parent
    out = []
    for (label,) in index.conn.execute(
            "SELECT warc_file FROM captures WHERE run_id=? AND warc_file IS NOT NULL"
            " GROUP BY warc_file ORDER BY min(id)", [run_id]):
        path = resolve_warc_path(root, label)
        entry: dict[str, Any] = {"file": label, "records": None, "problems": []}
        if not path.exists():
            entry["problems"].append(f"{label}: missing")
        elif verify:
            checked = CheckReport()
            check_digests(path, checked)
            entry.update(records=checked.records, problems=checked.problems)
        out.append(entry)
    return out


# -- renderers --------------------------------------------------------------------------
def render_json(report: dict[str, Any]) -> str:
    return json.dumps(report, ensure_ascii=False, indent=2)


def _header(report: dict[str, Any]) -> list[tuple[str, str]]:
    run = report["run"]
    duration = run["duration_s"]
    return [
        ("crawl", str(run["crawl"])), ("kind", str(run["kind"] or "")),
        ("status", str(run["status"])), ("started", str(run["started"] or "")),
        ("ended", str(run["ended"] or "")),
        ("duration", f"{duration:.1f} s" if duration is not None else ""),
        ("schedule", str(run["schedule"] or "")), ("resumed", f"{run['resumed']} times"),
        ("config digest", str(run["config_digest"] or "")),
        ("pages fetched", f"{run['fetched']:,}"), ("failures", f"{run['failures']:,}"),
        ("new articles", f"{run['new_articles']:,}"),
        ("changed articles", f"{run['changed_articles']:,}"), ("revisits", f"{run['revisits']:,}"),
        ("robots-blocked", f"{run['robots_blocked']:,}"),
        ("budget-dropped", f"{run['budget_dropped']:,}"),
        ("refused (scope)", f"{run['refused']:,}"),
    ]


def _cells(outlet: dict[str, Any]) -> list[str]:
    rejected = outlet["rejected"]
    other = sum(n for gate, n in rejected.items() if gate not in GATES)
    words = [f"{gate} {rejected[gate]}" for gate in GATES if rejected.get(gate)]
    words += [f"other {other}"] if other else []
    return [outlet["outlet"], *(f"{outlet[c]:,}" for c in OUTLET_COLUMNS[:5]),
            ", ".join(words) or "0",
            *(f"{outlet[c]:,}" for c in OUTLET_COLUMNS[6:]),
            ", ".join(f"{kind} {n}" for kind, n in outlet["errors"].items())]


OUTLET_HEADINGS = ("outlet", "discovered", "fetched", "failed", "archived", "indexed",
                   "rejected by gate", "robots", "budget", "new records", "revisits", "errors")


def _validation(report: dict[str, Any]) -> str:
    if report["valid"] is None:
        return "not checked"
    problems = sum(len(f["problems"]) for f in report["warc_files"])
    return "all digests valid" if report["valid"] else f"{problems} problems"


def render_text(report: dict[str, Any]) -> str:
    run = report["run"]
    lines = [f"Run {run['run']} of {run['crawl']}: {run['status']}"]
    lines += [f"  {name:<14} {value}" for name, value in _header(report)[1:]]
    lines += ["", "Per outlet", *_table(OUTLET_HEADINGS, [_cells(o) for o in report["outlets"]])]
    if report["errors"]:
        lines += ["", "Errors by kind"]
        lines += [f"  {n:>7,}  {kind}" for kind, n in report["errors"].items()]
    polite = politeness_lines(report.get("politeness", {}))
    if polite:
        lines += ["", "Politeness", *(f"  {line}" for line in polite)]
    lines += ["", f"Robots-blocked URLs ({len(report['robots_blocked'])})"]
    lines += [f"  {row['url']}" for row in report["robots_blocked"]]
    lines += ["", f"Refused by the crawl's scope ({len(report['refused'])})"]
    lines += [f"  {row['url']}  {row['reason']}" for row in report["refused"][:LISTED]]
    failures = report["failures"]
    lines += ["", f"Failed fetches ({len(failures)})"]
    lines += [f"  {row['url']}  {row['error']}" for row in failures[:LISTED]]
    if len(failures) > LISTED:
        lines.append(f"  … and {len(failures) - LISTED:,} more (--json lists every one)")
    lines += ["", "Articles per published day"]
    lines += [f"  {row['day']}  {row['articles']:>5,}" for row in report["published_days"]]
    if report["undated_articles"]:
        lines.append(f"  undated     {report['undated_articles']:>5,}")
    lines += ["", f"WARC files ({len(report['warc_files'])}): {_validation(report)}"]
    for entry in report["warc_files"]:
        records = f"{entry['records']:,} records" if entry["records"] is not None else ""
        lines.append(f"  {entry['file']}  {records}")
        lines += [f"    problem: {problem}" for problem in entry["problems"]]
    return "\n".join(lines)


def _table(headings: tuple[str, ...], rows: list[list[str]]) -> list[str]:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h)
              for i, h in enumerate(headings)]

    def line(cells: list[str] | tuple[str, ...]) -> str:
        # Text columns (the first and the last) left, counts right.
        return "  " + "  ".join(
            c.ljust(w) if i in (0, len(cells) - 1) else c.rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))).rstrip()

    return [line(headings), *(line(r) for r in rows)]


_CSS = """
body { font: 14px/1.4 system-ui, sans-serif; margin: 2em; color: #222; }
h1 { font-size: 1.4em; } h2 { font-size: 1.1em; margin-top: 2em; }
table { border-collapse: collapse; } td, th { padding: 3px 8px; border-bottom: 1px solid #ddd; }
th { text-align: left; background: #f3f3f3; } td.n { text-align: right; }
dl { display: grid; grid-template-columns: max-content auto; gap: 2px 16px; }
dt { color: #666; } dd { margin: 0; } code { font-size: 12px; }
.failed, .bad { color: #b00; } .finished, .good { color: #070; }
svg rect { fill: #3b6ea5; } svg text { font-size: 10px; fill: #444; }
"""


def render_html(report: dict[str, Any]) -> str:
    """One self-contained page: inline CSS and SVG, no scripts, nothing fetched."""
    e = html.escape
    run = report["run"]
    parts = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        f"<title>Run {run['run']} of {e(str(run['crawl']))}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>Run {run['run']} of {e(str(run['crawl']))}: "
        f"<span class=\"{e(str(run['status']))}\">{e(str(run['status']))}</span></h1>",
        "<dl>", *(f"<dt>{e(k)}</dt><dd>{e(v)}</dd>" for k, v in _header(report)), "</dl>",
        "<h2>Per outlet</h2>", '<table class="outlets"><tr>',
        *(f"<th>{e(h)}</th>" for h in OUTLET_HEADINGS), "</tr>",
    ]
    for outlet in report["outlets"]:
        cells = _cells(outlet)
        parts.append("<tr>" + "".join(
            f"<td>{e(c)}</td>" if i in (0, 6, len(cells) - 1) else f'<td class="n">{e(c)}</td>'
            for i, c in enumerate(cells)) + "</tr>")
    parts += ["</table>", "<h2>Articles per published day</h2>", _day_chart(report)]
    if report["errors"]:
        parts += ["<h2>Errors by kind</h2>", "<table><tr><th>kind</th><th>count</th></tr>",
                  *(f'<tr><td>{e(k)}</td><td class="n">{n:,}</td></tr>'
                    for k, n in report["errors"].items()), "</table>"]
    polite = politeness_lines(report.get("politeness", {}))
    if polite:
        parts += ["<h2>Politeness</h2>", "<ul>", *(f"<li>{e(line)}</li>" for line in polite),
                  "</ul>"]
    robots = report["robots_blocked"]
    parts += [f"<h2>Robots-blocked URLs ({len(robots)})</h2>", "<ul>",
              *(f"<li><code>{e(r['url'])}</code></li>" for r in robots), "</ul>"]
    refused = report["refused"]
    parts += [f"<h2>Refused by the crawl's scope ({len(refused)})</h2>",
              "<table><tr><th>URL</th><th>reason</th></tr>",
              *(f"<tr><td><code>{e(r['url'])}</code></td><td>{e(r['reason'])}</td></tr>"
                for r in refused[:LISTED]), "</table>"]
    failures = report["failures"]
    parts += [f"<h2>Failed fetches ({len(failures)})</h2>",
              "<table><tr><th>URL</th><th>error</th></tr>",
              *(f"<tr><td><code>{e(f['url'])}</code></td><td>{e(str(f['error']))}</td></tr>"
                for f in failures[:LISTED]), "</table>"]
    if len(failures) > LISTED:
        parts.append(f"<p>… and {len(failures) - LISTED:,} more (the JSON report lists"
                     " every one).</p>")
    verdict = _validation(report)
    css = "good" if report["valid"] else "bad" if report["valid"] is False else ""
    parts += [f'<h2>WARC files ({len(report["warc_files"])}): '
              f'<span class="{css}">{e(verdict)}</span></h2>',
              "<table><tr><th>file</th><th>records</th><th>problems</th></tr>"]
    for entry in report["warc_files"]:
        records = f"{entry['records']:,}" if entry["records"] is not None else ""
        parts.append(f"<tr><td><code>{e(entry['file'])}</code></td><td class=\"n\">"
                     f"{records}</td><td>{e('; '.join(entry['problems']))}</td></tr>")
    parts += ["</table>", "</body></html>"]
    return "\n".join(parts) + "\n"


def _day_chart(report: dict[str, Any]) -> str:
    """Articles per published day as the web UI draws them (pipelines/chart.py): every day
    from the first to the last."""
    undated = report["undated_articles"]
    note = f"<p>{undated:,} articles without a date.</p>" if undated else ""
    found = {}
    for row in report["published_days"]:
        try:
            found[date.fromisoformat(row["day"]).isoformat()] = row["articles"]
        except ValueError:  # not a date: counted with the undated
            note += f"<p>{row['articles']:,} articles dated {row['day']!r}.</p>"
    if not found:
        return "<p>No dated articles.</p>" + note
    periods = periods_between(min(found), max(found), "day")
    return chart.bar_chart(found, periods, "day", peak=max(found.values()),
                           title="Articles per published day") + note
