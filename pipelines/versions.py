"""Article versions: each distinct text a story had, and which runs saw it.

The index writes them (`Index.add_article`): a story captured again with another text gets
a new `article_versions` row, and every run lists the articles it found with the version
it saw (`run_articles`), so later runs never rewrite an earlier run's history. This module
reads them back for `liputan history` and `liputan diff`. Plain Python, no framework.
"""

from __future__ import annotations

import difflib
import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pipelines.index import Index


class VersionError(LookupError):
    """No such article or version, or nothing to compare; the message is one line."""


def text_digest(text: str) -> str:
    """sha1 (hex) of the text with its whitespace folded: re-wrapped or re-indented markup
    is the same text, a changed word is not."""
    return hashlib.sha1(" ".join(text.split()).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Version:
    version: int
    fetched_at: str | None
    run_id: int | None  # the run whose capture first had this text
    word_count: int | None
    title: str | None
    seen_by: tuple[int, ...]  # every run that found the story with this text
    capture_id: int | None
    text_digest: str | None

    def row(self) -> dict[str, Any]:
        return {"version": self.version, "fetched_at": self.fetched_at, "run_id": self.run_id,
                "word_count": self.word_count, "title": self.title,
                "seen_by": list(self.seen_by), "capture_id": self.capture_id,
                "text_digest": self.text_digest}


@dataclass(frozen=True)
class History:
    article_id: int
    url: str
    versions: tuple[Version, ...]


def history(index: Index, key: str | int) -> History:
    """The versions of the article with this id or URL, oldest first."""
    article = index.article(key)
    if article is None:
        raise VersionError(f"no article with id or URL {key!r}; find one with `liputan search`")
    seen: dict[int, list[int]] = {}
    for row in index.db.query("SELECT version_id, run_id FROM run_articles WHERE article_id=?"
                              " ORDER BY run_id", [article["id"]]):
        seen.setdefault(row["version_id"], []).append(row["run_id"])
    versions = tuple(
        Version(row["version"], row["fetched_at"], row["run_id"], row["word_count"],
                row["title"], tuple(seen.get(row["id"], ())), row["capture_id"],
                row["text_digest"])
        for row in index.db.query(
            "SELECT id, version, fetched_at, run_id, word_count, title, capture_id,"
            " text_digest FROM article_versions WHERE article_id=? ORDER BY version",
            [article["id"]]))
    return History(int(article["id"]), article["url"], versions)


def version_text(index: Index, article_id: int, version: int) -> str:
    row = index.conn.execute("SELECT text FROM article_versions WHERE article_id=? AND"
                             " version=?", [article_id, version]).fetchone()
    if row is None:
        raise VersionError(f"article {article_id} has no version {version}; list them with"
                           f" `liputan history {article_id}`")
    return row[0] or ""


def diff(index: Index, key: str | int, start: int | None = None, end: int | None = None
         ) -> str:
    """A unified diff of two versions' texts, one paragraph a line (default: the last
    two versions)."""
    found = history(index, key)
    numbers = [v.version for v in found.versions]
    if len(numbers) < 2:
        raise VersionError(f"article {found.article_id} has only {len(numbers)} version"
                           f"{'' if len(numbers) == 1 else 's'}: nothing to compare yet")
    if end is None:
        end = numbers[-1] if start is None or start < numbers[-1] else start
    if start is None:
        start = max((n for n in numbers if n < end), default=end)
    if start == end:
        raise VersionError(f"--from and --to are both version {start}; pick two of"
                           f" {', '.join(map(str, numbers))}")
    before = version_text(index, found.article_id, start)
    after = version_text(index, found.article_id, end)
    when = {v.version: f"run {v.run_id}, {(v.fetched_at or '')[:19]}" for v in found.versions}
    lines = difflib.unified_diff(
        _paragraphs(before), _paragraphs(after),
        fromfile=f"{found.url} version {start} ({when.get(start, '')})",
        tofile=f"{found.url} version {end} ({when.get(end, '')})", lineterm="")
    return "\n".join(lines)


def _paragraphs(text: str) -> list[str]:
    return [line for line in (" ".join(p.split()) for p in text.splitlines()) if line]
