"""Relevance feedback: what a crawl's own confident coverage teaches its topic, applied
once the crawl has fetched its pages.

During a crawl every page is judged by the seeds' profile alone (it must be: the workers
judge pages as they arrive). Seeds tell one or a few angles of a story; the coverage the
crawl then finds tells the others. So after a run: the crawl's confident coverage (the
topic named up front, a high score: TopicProfile.learned) extends the profile; every
indexed article is rescored with it (scores only go up); and every archived page the topic
gate kept out with some relevance is read back from its WARC record, analysed again, and
indexed when it now passes. Nothing is fetched.

The result is a function of the seeds and of what the crawl archived, not of the order
pages came in, so `liputan reindex` (which applies the same step) rebuilds the same index,
and rerunning it changes nothing. One limit: an article that an earlier run's feedback
kept stays kept when a later run's coverage would teach a slightly different profile.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from itertools import islice
from pathlib import Path

from crawler.components.workers import analyse_in_worker, set_focus
from crawler.focus import OFF_TOPIC, Focus
from crawler.relevance import Zones
from pipelines.index import INDEX_NAME, Index
from pipelines.pool import default_workers, extraction_pool
from pipelines.reindex import capture_payload
from pipelines.runs import FEEDBACK_KEY, FEEDBACK_PENDING

BATCH = 64  # pages handed to the workers at a time (bounds memory)


@dataclass
class FeedbackReport:
    learned_terms: list[str] = field(default_factory=list)  # context the coverage added
    confident: int = 0  # confident articles it learned from
    rescored: int = 0  # indexed articles whose relevance went up
    reread: int = 0  # kept-out pages analysed again
    added: int = 0  # of which now coverage
    unreadable: int = 0  # kept-out pages whose record could not be read back

    def as_stats(self) -> dict[str, object]:
        out = asdict(self)
        out["learned_terms"] = len(self.learned_terms)
        return out


def apply_feedback(root: Path, crawl: str, focus: Focus, *, workers: int = 0,
                   run_id: int | None = None,
                   on_batch: Callable[[int, int], None] | None = None) -> FeedbackReport:
    """Learn from crawl `crawl`'s coverage in `root/index.db`, rescore its articles and
    re-judge the pages its topic gate kept out; `run_id`'s stats record the report.
    `on_batch(done, total)` reports progress over the re-read pages."""
    report = FeedbackReport()
    index = Index(root / INDEX_NAME)
    try:
        coverage = [(row["id"], row["relevance"] or 0.0,
                     Zones.of(row["text"] or "", row["title"] or ""))
                    for row in index.crawl_coverage(crawl)]
        confident = [zones for _, _, zones in coverage if focus.topic.is_confident(zones)]
        report.confident = len(confident)
        learned = replace(focus, topic=focus.topic.learned(confident))
        report.learned_terms = learned.topic.learned_terms(focus.topic)
        if learned.topic is not focus.topic:
            _rescore(index, learned, coverage, report)
            _reread(index, root, crawl, learned, workers, report, on_batch)
        # The step covers every run of the crawl: runs a kill left pending are done too.
        for pending in {*(r for r, _ in index.runs_with_stat(FEEDBACK_KEY, FEEDBACK_PENDING,
                                                              crawl)),
                        *([run_id] if run_id is not None else [])}:
            index.note_run(pending, FEEDBACK_KEY, report.as_stats())
        index.commit()
    finally:
        index.close()
    return report


def regate(root: Path, crawl: str, focus: Focus, threshold: float, *, workers: int = 0,
           on_batch: Callable[[int, int], None] | None = None) -> tuple[FeedbackReport, int]:
    """Judge crawl `crawl`'s archived pages again at another relevance threshold, nothing
    fetched: (the feedback report, articles taken out). A lower threshold brings in the
    kept-out pages that reach it; a higher one takes out the articles below it, their
    captures staying archived with the verdict."""
    strict = replace(focus, topic=replace(focus.topic, threshold=threshold))
    report = apply_feedback(root, crawl, strict, workers=workers, on_batch=on_batch)
    index = Index(root / INDEX_NAME)
    removed = 0
    try:
        for row in list(index.crawl_coverage(crawl, text=False)):
            if (row["relevance"] or 0.0) < threshold:
                index.unindex_article(row["id"], f"{OFF_TOPIC} ({row['relevance'] or 0:.2f})")
                removed += 1
        index.commit()
    finally:
        index.close()
    return report, removed


def _rescore(index: Index, learned: Focus, coverage: list[tuple[int, float, Zones]],
             report: FeedbackReport) -> None:
    for article_id, before, zones in coverage:
        relevance = learned.topic.score_zones(zones)
        if relevance > before:
            index.set_relevance(article_id, relevance)
            report.rescored += 1


def _reread(index: Index, root: Path, crawl: str, learned: Focus, workers: int,
            report: FeedbackReport, on_batch: Callable[[int, int], None] | None) -> None:
    rejected = index.crawl_rejected(crawl, OFF_TOPIC)
    if not rejected:
        return
    rows = iter(rejected)
    with extraction_pool(workers or default_workers(), 0, set_focus, (learned,)) as pool:
        while batch := list(islice(rows, BATCH)):
            pages = [(row, capture_payload(root, index, row["id"])) for row in batch]
            report.unreadable += sum(1 for _, body in pages if body is None)
            pages = [(row, body) for row, body in pages if body is not None]
            analyses = pool.map(analyse_in_worker, [body for _, body in pages],
                                [row["url"] for row, _ in pages],
                                [row["content_type"] for row, _ in pages])
            for (row, _), analysis in zip(pages, analyses, strict=True):
                report.reread += 1
                if analysis.article is not None and analysis.verdict is None:
                    report.added += 1
                # Coverage now, or the same verdict with the learned profile's relevance.
                index.add_analysis(row["id"], analysis)
            if on_batch:
                on_batch(report.reread + report.unreadable, len(rejected))
