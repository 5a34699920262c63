"""What the crawl's extraction workers run: extraction, then (focused) relevance, gates and
link scores; feeds and sitemaps read and scored. CPU work, never on the event loop."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from datetime import date
from typing import TYPE_CHECKING, TypeVar

from crawler.discovery import Proposals, propose, read_source
from crawler.outlets import OutletIndex, known_outlets
from pipelines.extract import PageAnalysis, analyse_page
from pipelines.pool import extraction_pool

if TYPE_CHECKING:
    from crawler.focus import Focus

T = TypeVar("T")
_FOCUS: Focus | None = None  # the crawl's focus, in each worker process
_OUTLETS: OutletIndex | None = None  # the outlets whose boilerplate it drops


def set_focus(focus: Focus | None, outlets: OutletIndex | None = None) -> None:
    """A worker's setup (pipelines.pool): the focus its analyses apply, and the outlet
    profiles whose boilerplate phrases extraction drops (None: the bundled ones)."""
    global _FOCUS, _OUTLETS
    _FOCUS, _OUTLETS = focus, outlets


def analyse_in_worker(body: bytes, url: str, content_type: str | None,
                      vouch: str = "") -> PageAnalysis:
    """Extraction, then (when the crawl has a focus) relevance, gates and link scores."""
    boilerplate = (_OUTLETS or known_outlets()).boilerplate_for(url)
    if _FOCUS is None:  # links come from the spider's regex: no need to read them here
        return analyse_page(body, url, content_type, boilerplate=boilerplate)
    return _FOCUS.assess(analyse_page(body, url, content_type, with_outlinks=True,
                                      boilerplate=boilerplate), vouch)


def propose_in_worker(body: bytes, url: str, unwrap: str, after: date | None,
                      before: date | None, vouch: str = "") -> Proposals:
    """A feed or sitemap read, filtered by the window and (focused) scored: a news
    sitemap holds thousands of entries, too many to parse and score on the event loop.
    `vouch`: the query an aggregator's answer is for (see Focus.candidate_score)."""
    focus = _FOCUS
    score = (lambda c: focus.candidate_score(c, vouch)) if focus is not None else None
    return propose(read_source(body, url, unwrap=unwrap), after, before, score)


class PageAnalyser:
    """The crawl's extraction workers, shared by the spider (which needs link scores before
    it can schedule) and the extraction pipeline."""

    def __init__(self, workers: int, niceness: int = 0, focus: Focus | None = None,
                 outlets: OutletIndex | None = None):
        self.workers, self.niceness, self.focus = workers, niceness, focus
        self.outlets = outlets  # the crawl's outlets (known_outlets), for their boilerplate
        self.pool: ProcessPoolExecutor | None = None

    async def analyse(self, body: bytes, url: str, content_type: str | None,
                      vouch: str = "") -> PageAnalysis:
        """`vouch`: what the page answers (a search query, a tag), see Focus.assess."""
        return await self._in_worker(analyse_in_worker, body, url, content_type, vouch)

    async def propose(self, body: bytes, url: str, unwrap: str, after: date | None,
                      before: date | None, vouch: str = "") -> Proposals:
        return await self._in_worker(propose_in_worker, body, url, unwrap, after, before,
                                     vouch)

    async def _in_worker(self, work: Callable[..., T], *args: object) -> T:
        if self.pool is None:  # started on first use: a crawl that extracts nothing has none
            self.pool = extraction_pool(self.workers, self.niceness, set_focus,
                                        (self.focus, self.outlets))
        return await asyncio.get_running_loop().run_in_executor(self.pool, work, *args)

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None
