"""The discovery plan: every URL a crawl starts from, with the source and outlet behind it.

`liputan crawl CONFIG --dry-run` prints it without touching the network; the spider
schedules exactly these requests.
"""

from __future__ import annotations

from dataclasses import dataclass

from crawler.config import CrawlConfig
from crawler.outlets import OutletProfile, find_profiles

# The kinds of start URL, in the order the crawl wants them answered: feeds and news
# sitemaps name fresh articles, search and tag pages answer the topic, homepages last.
SOURCES = ("seed", "feed", "news-sitemap", "aggregator", "search", "tag", "sitemap", "start",
           "home")


@dataclass(frozen=True)
class PlannedRequest:
    url: str
    source: str  # one of SOURCES
    outlet: str = ""  # profile key, "" for URLs given in the config itself
    term: str = ""  # the query or tag a search or tag page answers
    unwrap: str = ""  # query parameter of the answer's click-through links (aggregators)


def crawl_profiles(config: CrawlConfig) -> list[OutletProfile]:
    """The profiles of the config's outlets, then of its aggregators."""
    return (find_profiles(config.sources.outlets, config.profile_dirs())
            + find_profiles(config.sources.aggregators, config.profile_dirs(), "aggregator"))


def discovery_plan(config: CrawlConfig, profiles: list[OutletProfile]) -> list[PlannedRequest]:
    """Every start URL of the crawl, without repeats, best sources first."""
    src = config.sources
    plan = [PlannedRequest(u, "seed") for u in config.topic.seed_urls]
    plan += [PlannedRequest(u, "feed") for u in src.feeds]
    plan += [PlannedRequest(u, "sitemap") for u in src.sitemaps]
    plan += [PlannedRequest(u, "start") for u in src.start_urls]
    queries, tags = config.search_queries(), config.tag_names()
    after, before = config.topic.published_after, config.topic.published_before
    for profile in profiles:
        key = profile.key
        if profile.kind == "aggregator":  # asked the queries, nothing else
            plan += [PlannedRequest(url, "aggregator", key, q, profile.link_param)
                     for q in queries if (url := profile.search_url(q, 1, after, before))]
            continue
        plan += [PlannedRequest(u, "feed", key) for u in profile.feeds]
        plan += [PlannedRequest(u, "news-sitemap", key) for u in profile.news_sitemaps]
        plan += [PlannedRequest(url, "search", key, q) for q in queries
                 if (url := profile.search_url(q))]
        plan += [PlannedRequest(url, "tag", key, t) for t in tags if (url := profile.tag_url(t))]
        plan += [PlannedRequest(u, "sitemap", key) for u in profile.sitemaps]
        if src.homepages:
            plan.append(PlannedRequest(profile.homepage, "home", key))
    order = {name: i for i, name in enumerate(SOURCES)}
    seen: set[str] = set()
    unique = []
    for request in sorted(plan, key=lambda r: order[r.source]):  # stable: config order kept
        if request.url not in seen:
            seen.add(request.url)
            unique.append(request)
    return unique
