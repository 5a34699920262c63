"""The `coverage` spider: from a crawl config's seeds, feeds and sitemaps to archived pages.

Run it as `liputan crawl CONFIG.toml` or `scrapy crawl coverage -a config=CONFIG.toml`.
Every response is archived by WarcCapture before it gets here; this spider hands HTML pages
to the extraction workers, indexes what they found, and offers the page's links to the
frontier (crawler/frontier/policy.py). Only then is the page's frontier row `done`: a crash
at any point before leaves it to be analysed again from its WARC record on resume
(crawler/components/replay.py), so nothing found on a page is lost.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import scrapy
from scrapy import signals
from scrapy.exceptions import DontCloseSpider, IgnoreRequest
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError

from crawler.components.capture import CAPTURE_KEY
from crawler.components.conditional import NOT_MODIFIED, VALIDATORS_KEY
from crawler.components.politeness import HeldAtShutdown
from crawler.components.replay import resume_requests
from crawler.components.scope import PLAN_KEY, refuse
from crawler.components.services import services
from crawler.components.workers import propose_in_worker
from crawler.config import CrawlConfig, load_config
from crawler.focus import Focus
from crawler.frontier.policy import Frontier, Planned
from crawler.links import html_links
from crawler.outlets import OutletIndex, known_outlets
from crawler.plan import crawl_profiles, discovery_plan
from crawler.recrawl import RecrawlPlan, plan_recrawl
from crawler.scope import OFF_SITE, Scope
from pipelines.articlemark import looks_like_article
from pipelines.extract import BINARY, PageAnalysis, decode_html, is_html, not_text
from pipelines.links import MAX_PAGE_LINKS
from pipelines.pagination import page_links, rel_links
from pipelines.urls import url_key

if TYPE_CHECKING:
    from pipelines.archive import CrawlArchive

logger = logging.getLogger(__name__)

# Priorities (Scrapy runs higher first). Discovery documents first: they name articles. A
# link's own priority is its relevance score times LINK_SCALE, so best-first ordering
# holds across every source.
DISCOVERY_PRIORITY = 3000
LISTING_PRIORITY = 2500  # search and tag pages of the outlets
STORY_PAGE_PRIORITY = 2000  # the rest of a multi-page story: the article row completes early
RECHECK_PRIORITY = STORY_PAGE_PRIORITY  # a recent archived story, asked whether it changed
LINK_SCALE = 1000
HOME_PRIORITY = 100
# Links scored below this wait in a reserve until the scheduler runs dry: otherwise, early in
# a crawl, free download slots go to whatever is queued, however unpromising.
RESERVE_BELOW = 150
RESERVE_BATCH = 64
# Requests the hold keeps outstanding, per global download slot: enough that every free
# slot has a request to take, few enough that each one sent is the best known when sent.
IN_FLIGHT_PER_SLOT = 2
LISTING_SOURCES = ("search", "tag")  # the outlet's own answer to our query: parents on topic
SOURCE_DOCUMENTS = ("feed", "sitemap", "news-sitemap", "aggregator")  # read by parse_source
SOURCE_PRIORITY = {"seed": DISCOVERY_PRIORITY, "feed": DISCOVERY_PRIORITY,
                   "aggregator": DISCOVERY_PRIORITY,
                   "news-sitemap": DISCOVERY_PRIORITY, "sitemap": DISCOVERY_PRIORITY,
                   "search": LISTING_PRIORITY, "tag": LISTING_PRIORITY,
                   "start": HOME_PRIORITY, "home": HOME_PRIORITY}
ARTICLE_HINT_PRIORITY = 5  # breadth-first crawls: feed and sitemap entries before links
FRONTIER_KEY = "liputan_key"  # request.meta key: the frontier row this request serves


def settings_for(config: CrawlConfig) -> dict[str, Any]:
    """The Scrapy settings a crawl config decides."""
    politeness, limits = config.politeness, config.limits
    settings: dict[str, Any] = {
        "ROBOTSTXT_OBEY": politeness.obey_robots,
        "DOWNLOAD_DELAY": politeness.delay_per_host,
        "CONCURRENT_REQUESTS_PER_DOMAIN": politeness.concurrent_per_host,
        "LIPUTAN_MAX_PAGES": limits.max_pages,
    }
    if politeness.user_agent:
        settings["USER_AGENT"] = politeness.user_agent
    return settings


class CoverageSpider(scrapy.Spider):
    name = "coverage"
    crawl_config: CrawlConfig

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, config: str | None = None,
                     **kwargs: Any) -> CoverageSpider:
        if not config:
            raise ValueError("the coverage spider needs a crawl config: -a config=FILE.toml")
        crawl_config = load_config(config)
        # Settings are still mutable here (frozen after the spider is built).
        crawler.settings.setdict(settings_for(crawl_config), priority="spider")
        options = services(crawler).options
        focus = None
        if options.focus and options.extract:
            try:
                focus = Focus.from_config(crawl_config)
            except ValueError:
                logger.info("no keywords or seed texts: every article is coverage")
        if focus is not None and options.best_first:
            # The best request of a free host, not of the least busy one (crawler/frontier).
            crawler.settings.set("SCHEDULER_PRIORITY_QUEUE",
                                 "crawler.frontier.queue.BestFirstQueue", priority="spider")
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.crawl_config = crawl_config
        profiles = crawl_profiles(crawl_config)
        spider.profiles = [p for p in profiles if p.kind == "outlet"]
        spider.aggregators = [p for p in profiles if p.kind == "aggregator"]
        # An aggregator's host is in scope for the queries the plan sends it; its links
        # are followed only into the outlets' domains. ScopeGuard applies the same rules
        # to every request the downloader sees.
        spider.scope_rules = Scope(frozenset(crawl_config.scope_domains(spider.profiles)),
                                   frozenset(crawl_config.scope_domains(profiles)),
                                   options.allow_link_local)
        spider.outlets = OutletIndex(spider.profiles)
        spider.best_first = options.best_first
        # Focused best-first: stories are held and the best sent as requests finish
        # (Frontier.pump), those below RESERVE_BELOW only when the crawl idles.
        spider.frontier = Frontier(
            best_first=options.best_first and focus is not None, reserve_below=RESERVE_BELOW,
            send_from=STORY_PAGE_PRIORITY,
            in_flight=IN_FLIGHT_PER_SLOT * crawler.settings.getint("CONCURRENT_REQUESTS"),
            tunnel_depth=(crawl_config.limits.tunnel_depth
                          if focus is not None and options.best_first else None),
            max_pages=options.max_pages, max_depth=crawl_config.limits.max_depth)
        crawler.signals.connect(spider.release_reserve, signal=signals.spider_idle)
        # A redirect to a URL already fetched is dropped by the dupefilter: done, too.
        crawler.signals.connect(spider.on_dropped, signal=signals.request_dropped)
        spider.analyser = services(crawler).analyser
        spider.focus = focus
        if spider.analyser is not None:
            spider.analyser.focus = focus
            spider.analyser.outlets = known_outlets(spider.profiles)  # their boilerplate
        crawler.signals.connect(spider._close_workers, signal=signals.spider_closed)
        return spider

    # -- scheduling -------------------------------------------------------------------------
    def follow(self, url: str, callback: Any = None, priority: int = 0, *,
               defer: bool = False, planned: bool = False, listed: bool = False,
               **meta: Any) -> scrapy.Request | None:
        """A request for `url` unless it is out of scope or the frontier has it already (as
        any variant of its URL). The page budget is spent when a request is sent
        (PageBudget), so the best-scored requests get it. Best-first, stories wait in the
        frontier's hold and go out best first as requests finish (`done`); unpromising and
        `defer`red ones wait in its reserve until the crawl idles (`release_reserve`).
        A refused URL is recorded (`refuse`) when it was planned or `listed` by a feed,
        sitemap or aggregator, or is refused for more than being off site; a page's
        links to other sites are only counted (most pages have dozens)."""
        why = self.scope_rules.refusal(url, plan=planned)
        if why is not None:
            if planned or listed or why != OFF_SITE:
                refuse(self.crawler, url, why)
            else:
                self.crawler.stats.inc_value("liputan/links/off_site")
            return None
        if not self.best_first:
            priority = 0 if priority < STORY_PAGE_PRIORITY else priority
        if planned:
            meta[PLAN_KEY] = True  # an aggregator's host: in scope for the plan only
        name = callback.__name__ if callback is not None else "parse"
        # One story, one fetch: AMP, mobile, www and tracking-tagged variants share a key.
        known = self.frontier.known_skipped
        # The depth travels in the request's meta (Scrapy's DepthMiddleware reads it back;
        # the limit is the frontier's).
        chosen, reserved = self.frontier.offer(url_key(url), url, priority, name, meta,
                                               defer=defer, depth=int(meta.get("depth", 0)))
        if reserved:
            self.crawler.stats.inc_value("liputan/links/reserved")
        if self.frontier.known_skipped > known:  # archived by an earlier run of the crawl
            self.crawler.stats.inc_value("liputan/recrawl/known")
        return self.request_for(chosen) if chosen is not None else None

    def request_for(self, planned: Planned) -> scrapy.Request | None:
        try:
            return scrapy.Request(planned.url, callback=getattr(self, planned.callback),
                                  errback=self.on_error, priority=planned.priority,
                                  meta={**planned.meta, FRONTIER_KEY: planned.key})
        except ValueError:
            self.crawler.stats.inc_value("liputan/invalid_urls")
            self.frontier.done(planned.key)
            return None  # one malformed link must not cost the page its other links

    def done(self, key: str) -> None:
        """A request is finished with: the frontier records it, and the best held
        requests go out in its place."""
        self.frontier.done(key)
        self.send(self.frontier.pump())

    def landed(self, response: Response) -> None:
        """A redirect's target is seen under its own key: a link straight to it, or to a
        variant of its URL, is not fetched again (Scrapy's dupefilter knows only the
        exact URL)."""
        if response.meta.get("redirect_urls"):
            self.frontier.fetched([url_key(response.url)])

    def send(self, planned: list[Planned]) -> None:
        for one in planned:
            request = self.request_for(one)
            if request is not None:
                self.crawler.engine.crawl(request)

    def release_reserve(self) -> None:
        """The scheduler is empty: the best of the waiting links go next. Once the budget
        is spent they all go, to be recorded as skipped by it (PageBudget) and done."""
        if not self.frontier.reserved:
            return
        spent = self.crawler.stats.get_value("liputan/budget_exhausted")
        self.send(self.frontier.release(self.frontier.reserved if spent else RESERVE_BATCH))
        raise DontCloseSpider("reserved links released")

    def on_error(self, failure: Any) -> None:
        """A request that ends without reaching its callback (robots.txt, an HTTP error
        status, a fetch that failed after its retries, the page budget): WarcCapture has
        recorded what there was; the frontier is done with it. A response archived and
        then dropped (a gzip bomb past DOWNLOAD_MAXSIZE, the last of too many redirects, a
        redirect the scope or budget refused) gets the reason on its capture."""
        if failure.check(HeldAtShutdown):
            return  # never sent: its frontier row stays unfinished, for the resumed run
        request = getattr(failure, "request", None) or getattr(
            getattr(failure.value, "response", None), "request", None)
        if request is None:
            return
        capture = request.meta.get(CAPTURE_KEY)
        response = getattr(failure.value, "response", None)
        if response is not None:
            self.landed(response)
        if capture and failure.check(HttpError) and 300 <= response.status < 400:
            self.redirect_not_followed(capture, response)
        elif capture and failure.check(IgnoreRequest) and not failure.check(HttpError):
            services(self.crawler).archive.note(capture, f"ignored: {failure.value}"[:500])
        self.done(request.meta.get(FRONTIER_KEY, ""))

    def redirect_not_followed(self, capture: str, response: Response) -> None:
        """A redirect Scrapy did not follow (a file: or ftp: target, no Location): the
        target is refused like any other, and the reason noted on the capture."""
        location = response.headers.get("Location")
        if not location:
            return
        target = response.urljoin(location.decode("latin-1"))
        why = self.scope_rules.refusal(target)
        if why is not None:
            refuse(self.crawler, target, why)
        services(self.crawler).archive.note(
            capture, f"ignored: redirect to {target} not followed ({why or 'not wanted'})"[:500])

    def on_dropped(self, request: scrapy.Request) -> None:
        capture = request.meta.get(CAPTURE_KEY)
        if capture:  # a redirect to a URL this run has fetched (a loop, or a second way in)
            services(self.crawler).archive.note(
                capture, f"ignored: redirect to {request.url}, fetched already")
        self.done(request.meta.get(FRONTIER_KEY, ""))

    async def start(self) -> AsyncIterator[Any]:
        archive = services(self.crawler).archive
        self.frontier.run_id, self.frontier.store = archive.run_id, archive.index
        plan = discovery_plan(self.crawl_config, self.profiles + self.aggregators)
        recrawl = self.recrawl_plan(archive)
        # The discovery plan is always fetched, even a seed URL an earlier run archived.
        self.frontier.seed_known(recrawl.known - {url_key(p.url) for p in plan})
        if archive.resumed:
            # Carry on the run: its frontier from the index, and every page it fetched but
            # had not finished with read back from the WARC and handled as if just fetched.
            # The discovery plan is offered again below: what the frontier holds already
            # is refused, what the dead process had not committed comes back.
            self.crawler.stats.set_value("liputan/resumed_run", archive.run_id)
            async for output in resume_requests(self, archive):
                yield output
        for recheck in recrawl.rechecks:  # a resumed run has them in its frontier already
            request = self.follow(recheck.url, priority=RECHECK_PRIORITY, tunnel=0,
                                  source="recheck", **{VALIDATORS_KEY: dict(recheck.validators)})
            if request is not None:
                self.crawler.stats.inc_value("liputan/recrawl/rechecked")
                yield request
        for planned in plan:
            self.crawler.stats.inc_value(f"liputan/discovery/{planned.source}")
            callback = self.parse_source if planned.source in SOURCE_DOCUMENTS else None
            request = self.follow(planned.url, callback, SOURCE_PRIORITY[planned.source],
                                  planned=True, tunnel=0, source=planned.source,
                                  vouch=planned.term, unwrap=planned.unwrap)
            if request is not None:
                yield request

    def recrawl_plan(self, archive: CrawlArchive) -> RecrawlPlan:
        """What earlier runs of this crawl archived: not fetched again, except the recent
        stories, rechecked (crawler/recrawl.py). Planned from the run's start, so a
        resumed run leaves out the same."""
        run = archive.index.run(archive.run_id) or {}
        try:
            now = datetime.fromisoformat(run.get("started_at") or "")
        except ValueError:
            now = datetime.now(UTC)
        return plan_recrawl(archive.index, archive.root, self.crawl_config.name,
                            archive.run_id, self.crawl_config.recrawl, now)

    # -- callbacks --------------------------------------------------------------------------
    async def parse(self, response: Response) -> AsyncIterator[Any]:
        for request in await self.handle_page(response):
            yield request
        self.done(response.meta.get(FRONTIER_KEY, ""))

    async def handle_page(self, response: Response) -> list[scrapy.Request]:
        """Analyse, index, then offer the links of one page: the requests to send."""
        self.landed(response)
        if response.status == NOT_MODIFIED:
            # A recheck's story has not changed: archived as a revisit of its earlier
            # response, and recorded as seen unchanged by this run (Index.add_capture).
            self.crawler.stats.inc_value("liputan/recrawl/not_modified")
            return []
        content_type = response.headers.get("Content-Type", b"").decode("latin-1") or None
        if not is_html(content_type, response.body[:512]):
            return []
        capture = response.meta.get(CAPTURE_KEY, "")
        vouch = response.meta.get("vouch", "")
        analysis = (await self.analyser.analyse(response.body, response.url, content_type,
                                                vouch) if self.analyser is not None else None)
        if analysis is not None and capture:
            self.index_page(capture, response.url, analysis)
        binary = (analysis.kind == BINARY if analysis is not None
                  else not_text(response.body, content_type) is not None)
        if binary:
            return []  # its "links" are noise
        text = decode_html(response.body, content_type)
        depth = response.meta.get("depth", 0) + 1
        if self.focus is None or analysis is None:
            links = html_links(text, response.url)
            out = list(self.follow_story_pages(response.url, text, links, depth))
            out += [r for r in (self.follow(url, depth=depth)
                                for url in self.capped(links, len(links) - MAX_PAGE_LINKS))
                    if r is not None]
            return out
        # Focused: the workers extracted the page, scored it and its links; the event
        # loop only schedules.
        links = [url for url, _ in analysis.scored_links]
        out = list(self.follow_story_pages(response.url, text, links, depth))
        return out + list(self.follow_links(response, analysis, depth))

    def capped(self, links: list[Any], over: int) -> list[Any]:
        """A page's first MAX_PAGE_LINKS links; `over` more were left out (the workers'
        extraction caps a focused page's links by the same rule, pipelines/links.py)."""
        if over > 0:
            self.crawler.stats.inc_value("liputan/links/over_page_cap", over)
        return links[:MAX_PAGE_LINKS]

    def index_page(self, capture: str, url: str, analysis: PageAnalysis) -> None:
        services(self.crawler).archive.add_analysis(capture, analysis)
        stats = self.crawler.stats
        if analysis.kind == BINARY:  # archived, its reason on the capture; not a page
            logger.info("not text: %s (%s)", url, analysis.error)
        elif analysis.error:
            stats.inc_value("liputan/extraction_errors")
            logger.warning("extraction failed for %s: %s", url, analysis.error)
        if analysis.article is not None and analysis.verdict:
            stats.inc_value(f"liputan/rejected/{analysis.gate}")
        elif analysis.article is not None:
            stats.inc_value("liputan/articles")
        else:
            stats.inc_value(f"liputan/pages/{analysis.kind}")

    def follow_links(self, response: Response, analysis: PageAnalysis,
                     depth: int) -> Iterator[Any]:
        """Best-first: each link's priority is its score. Off the topic, links are followed
        only `limits.tunnel_depth` pages deep, unless the link itself looks on topic."""
        threshold = self.focus.threshold
        # The outlet's answer to a crawl term is on topic (Focus.assess scores its links so
        # when some result shows the term); otherwise only coverage: a Malay or
        # out-of-window story's links lead mostly to more of those.
        relevant = response.meta.get("source") in LISTING_SOURCES or (
            (analysis.relevance or 0.0) >= threshold and analysis.gate is None)
        tunnel = 0 if relevant else response.meta.get("tunnel", 0) + 1
        stats = self.crawler.stats
        if analysis.links_out_of_window:
            stats.inc_value("liputan/links/out_of_window", analysis.links_out_of_window)
        for url, score in self.capped(list(analysis.scored_links), analysis.links_over_cap):
            if not self.frontier.follows(tunnel, score, threshold):
                stats.inc_value("liputan/links/tunnel_limit")
                continue
            # Listings found on the way wait: stories first (see OutletIndex).
            request = self.follow(url, priority=int(score * LINK_SCALE),
                                  defer=not self.outlets.is_story(url),
                                  tunnel=0 if score >= threshold else tunnel, depth=depth)
            if request is not None:
                yield request

    def follow_story_pages(self, url: str, text: str, links: list[str],
                           depth: int) -> Iterator[Any]:
        """The rest of a multi-page story, first: its one-page view when the outlet has one
        (its numbered pages are then never fetched), else every numbered page."""
        if not looks_like_article(text):
            return
        story = page_links(url, links, rel_links(text).get("next"))
        if not story:
            return
        wanted = self.frontier.story_pages([(url_key(u), u) for _, u in story.pages],
                                           story.single)
        self.crawler.stats.inc_value("liputan/story_pages", len(wanted))
        for page_url in wanted:
            request = self.follow(page_url, priority=STORY_PAGE_PRIORITY, depth=depth)
            if request is not None:
                yield request

    async def parse_source(self, response: Response) -> AsyncIterator[scrapy.Request]:
        """A feed, sitemap or aggregator answer: its entries in the window, each scored
        (focused) like a link, read in the workers when there are any."""
        for request in await self.handle_source(response):
            yield request
        self.done(response.meta.get(FRONTIER_KEY, ""))

    async def handle_source(self, response: Response) -> list[scrapy.Request]:
        self.landed(response)
        topic, stats = self.crawl_config.topic, self.crawler.stats
        source = response.meta.get("source")
        args = (response.body, response.url, response.meta.get("unwrap", ""),
                topic.published_after, topic.published_before,
                response.meta.get("vouch", "") if source == "aggregator" else "")
        if self.analyser is not None:
            proposals = await self.analyser.propose(*args)
        else:
            proposals = propose_in_worker(*args)
        if not proposals.kind:
            self.logger.warning("neither a feed nor a sitemap: %s", response.url)
            stats.inc_value("liputan/discovery/unreadable")
            return []
        stats.inc_value(f"liputan/discovery/{proposals.kind}_entries", proposals.listed)
        if proposals.out_of_window:
            stats.inc_value("liputan/links/out_of_window", proposals.out_of_window)
        out, depth = [], response.meta.get("depth", 0) + 1
        for url, score, late in proposals.entries:
            if proposals.kind == "index":
                request = self.follow(url, self.parse_source, DISCOVERY_PRIORITY,
                                      listed=True, source="sitemap", depth=depth)
            elif score is None:
                request = self.follow(url, priority=ARTICLE_HINT_PRIORITY, listed=True,
                                      tunnel=0, depth=depth)
            else:  # edited after the window: most such stories were published after it too
                request = self.follow(url, priority=int(score * LINK_SCALE), defer=late,
                                      listed=True, tunnel=0, depth=depth)
            if request is not None:
                out.append(request)
        return out

    def _close_workers(self) -> None:
        if self.analyser is not None:
            self.analyser.close()
