"""FixtureWeb: the public face of the fixture web (build, start, stop, describe)."""

from __future__ import annotations

import dataclasses
import re
import threading
from dataclasses import dataclass
from pathlib import Path

from . import aggregator
from .corpus import KAZAKHSTAN, generate_corpus, load_corpus
from .events import event_corpus, event_spec
from .model import Entry
from .outlets import (
    GENERATED_SECTIONS,
    HANDWRITTEN,
    OUT_OF_SCOPE,
    TOPIC_OUTLETS,
    generated_outlets,
    outlet_for_stem,
)
from .server import FixtureServer, RequestLog
from .site import Site

DEFAULT_ARTICLES_PER_OUTLET = 100
DEFAULT_OUTLETS = 3
TOPIC_DIR = Path(__file__).resolve().parent / "topic"
TOPIC_FILLER = 155  # generated off-topic articles per outlet of the topic web


@dataclass(frozen=True)
class ArticleInfo:
    url: str  # canonical page-1 URL
    outlet: str
    site_name: str
    host: str
    id: int
    title: str
    published: str  # ISO 8601 with the article's own offset
    author: str
    source: str
    language: str
    topic: str
    tags: tuple[str, ...]
    paragraphs: tuple[str, ...]
    pages: int
    section: str = ""
    summary: str = ""
    updated: str | None = None
    editor: str = ""


class FixtureWeb:
    """Fictional Indonesian news outlets served on 127.0.0.1 as an HTTP proxy.

    ``FixtureWeb()`` serves the hand-written corpus (``corpus/*.toml``). Passing ``outlets`` or
    ``articles_per_outlet`` generates a larger web instead, deterministically from ``seed``, with
    bodies recombined from the corpus paragraphs. Use it as a context manager or call
    ``start()``/``stop()``.
    """

    def __init__(self, outlets: int | None = None, articles_per_outlet: int | None = None,
                 latency: float = 0.0, seed: int = 0, corpus_dir: Path | str | None = None,
                 log_requests: bool = True, host: str = "127.0.0.1", port: int = 0,
                 topic_web: bool = False, event: str = KAZAKHSTAN) -> None:
        self.event = event_spec(event)
        corpus = load_corpus(corpus_dir, *([TOPIC_DIR] if topic_web and event == KAZAKHSTAN
                                           else []))
        if topic_web and event != KAZAKHSTAN:  # a blind event web, padded from our corpus
            pairs = _topic_web(event_corpus(event), seed, corpus, self.event.terms())
        elif topic_web:
            pairs = _topic_web(corpus, seed, corpus, _KAZAKHSTAN_WORDS)
        elif outlets is None and articles_per_outlet is None:
            known = [k for k in HANDWRITTEN if k in corpus]
            stems = known + sorted(k for k in corpus if k not in HANDWRITTEN)
            pairs = [(outlet_for_stem(stem, i), corpus[stem]) for i, stem in enumerate(stems)]
        else:
            defs = generated_outlets(outlets or DEFAULT_OUTLETS)
            arts = generate_corpus(
                {o.key: GENERATED_SECTIONS[o.style] for o in defs},
                articles_per_outlet or DEFAULT_ARTICLES_PER_OUTLET, seed, corpus)
            pairs = [(o, arts[o.key]) for o in defs]
        self.site = Site(pairs, aggregator=topic_web)
        self.latency = latency
        self.log_requests = log_requests
        self._address = (host, port)
        self._server: FixtureServer | None = None
        self._thread: threading.Thread | None = None
        self._articles: list[ArticleInfo] | None = None

    # --- lifecycle -----------------------------------------------------------------------------

    def start(self) -> FixtureWeb:
        if self._server is None:
            self._server = FixtureServer(self._address, self.site, self.latency,
                                         self.log_requests)
            self._thread = threading.Thread(target=self._server.serve_forever,
                                            kwargs={"poll_interval": 0.1},
                                            name="fixtureweb", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server.close_connections()
            self._server = None

    def __enter__(self) -> FixtureWeb:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- description ---------------------------------------------------------------------------

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the fixture web is not running: call start() first")
        return self._server.server_address[1]

    @property
    def proxy_url(self) -> str:
        return f"http://{self._address[0]}:{self.port}"

    @property
    def hosts(self) -> list[str]:
        return self.site.hosts

    @property
    def outlets(self) -> list[str]:
        return [s.outlet.key for s in self.site.sites]

    @property
    def start_urls(self) -> list[str]:
        return [s.outlet.home_url for s in self.site.sites]

    @property
    def feeds(self) -> list[str]:
        return [f"http://{s.outlet.host}{s.outlet.feed_path}" for s in self.site.sites]

    @property
    def sitemaps(self) -> list[str]:
        return [f"http://{s.outlet.host}/sitemap.xml" for s in self.site.sites]

    @property
    def specials(self) -> dict[str, str]:
        return dict(self.site.specials)

    @property
    def articles(self) -> list[ArticleInfo]:
        if self._articles is None:
            edited = self.site.edited
            self._articles = [_info(edited.get((e.host, e.path), e))
                              for s in self.site.sites for e in s.entries]
        return list(self._articles)

    def edit(self, url: str, paragraph: str) -> ArticleInfo:
        """Update the article at `url` (its page-1 URL) between two crawls: `paragraph` is
        added at its end, and its pages answer with a new ETag and Last-Modified (a
        conditional request for the old ones gets the new page, not a 304)."""
        entry = self.site.edit(url, paragraph)
        self._articles = None
        return _info(entry)

    @property
    def requests(self) -> list[RequestLog]:
        return self._server.requests if self._server is not None else []

    def clear_requests(self) -> None:
        if self._server is not None:
            self._server.clear_requests()

    def url_for(self, path: str, outlet: str | None = None) -> str:
        """Absolute URL of ``path`` on an outlet's main host (the first outlet by default)."""
        sites = self.site.sites
        site = next((s for s in sites if s.outlet.key == outlet), None) if outlet else sites[0]
        if site is None:
            raise KeyError(f"no outlet {outlet!r}; outlets: {', '.join(self.outlets)}")
        return f"http://{site.outlet.host}/{path.lstrip('/')}"

    def labels(self) -> list[dict]:
        """The topic web's ground truth, one row per article (tests and benchmarks only)."""
        rows = []
        for site in self.site.sites:
            for e in site.entries:
                a = e.art
                rows.append({
                    "url": e.url, "outlet": e.outlet.key, "id": a.id, "title": a.title,
                    "topic": a.topic, "language": a.language,
                    "published": a.published.isoformat(), "reach": a.reach,
                    "in_scope": e.outlet.key not in OUT_OF_SCOPE,
                    "on_topic": a.topic == self.event.name,
                })
        return rows

    def profiles(self) -> dict[str, str]:
        """Outlet profiles (crawler/sites format) of the served outlets and of the topic
        web's aggregator, as TOML text."""
        found = {s.outlet.key: _profile(s.outlet) for s in self.site.sites}
        if self.site.aggregator is not None:
            found["beritaindeks"] = aggregator.profile()
        return found

    def describe(self) -> dict:
        """What the CLI prints: enough for a subprocess client to crawl the web."""
        return {"proxy_url": self.proxy_url, "start_urls": self.start_urls, "feeds": self.feeds,
                "sitemaps": self.sitemaps, "hosts": self.hosts, "specials": self.specials}


# Words of the reference event (wider than its spec's: places and bodies of the region).
_KAZAKHSTAN_WORDS = re.compile(r"kazak|almaty|tokay|tokaev|nazarbay|csto|odkb|asia tengah", re.I)


def _topic_web(corpus: dict, seed: int, base: dict, topical: re.Pattern[str]) -> list:
    """The labeled topic web: hand-written articles of nine outlets (search is allowed on
    all of them), padded with generated off-topic news from `base` so the topic is a
    needle."""
    outlets = {**HANDWRITTEN, **TOPIC_OUTLETS}
    outlets = {k: dataclasses.replace(o, search_disallowed=False, chunked_home=False)
               for k, o in outlets.items()}
    # Filler bodies are drawn from off-topic paragraphs that name nothing of the topic, so
    # the labels stay true (a filler is off topic) and search pages stay meaningful.
    plain = {"plain": [
        dataclasses.replace(a, paragraphs=kept)
        for arts in base.values() for a in arts if a.topic == "" and a.language == "id"
        if (kept := tuple(p for p in a.paragraphs if not topical.search(p)))]}
    filler = generate_corpus({k: GENERATED_SECTIONS[o.style] for k, o in outlets.items()},
                             TOPIC_FILLER, seed, plain)
    # ... and carry no tag of the topic: an outlet's "Kazakhstan" tag lists its stories.
    filler = {k: [dataclasses.replace(a, tags=tuple(t for t in a.tags if not topical.search(t)))
                  for a in arts] for k, arts in filler.items()}
    pairs = [(o, corpus.get(k, []) + filler[k]) for k, o in outlets.items()]
    return pairs


def _profile(o) -> str:
    domain = o.host.split(".", 1)[1]
    patterns = {"detik": r"/[a-z-]+/d-\d+/", "kompas": r"/read/\d{4}/\d\d/\d\d/\d+/",
                "tribun": r"/[a-z-]+/\d{4}/\d\d/\d\d/"}
    host = f"http://{o.host}"
    return "\n".join([
        f"# {o.name}: fictional outlet of the Liputan fixture web.",
        f'key = "{o.key}"', f'name = "{o.name}"', f'domains = ["{domain}"]',
        f'regional = [{", ".join(repr(h).replace(chr(39), chr(34)) for h in o.hosts[1:])}]',
        f'home = "{host}/"',
        f"article_pattern = 'https?://[a-z.]*{domain.replace('.', chr(92) + '.')}"
        f"{patterns[o.style]}'",
        f'feeds = ["{host}{o.feed_path}"]',
        f'sitemaps = ["{host}/sitemap.xml"]',
        f'news_sitemaps = ["{host}/sitemap-news.xml"]',
        f'search = "{host}/cari?q={{query}}"',
        f'tag = "{host}/tag/{{tag}}"',
        'single_page = "?page=all"' if o.style == "kompas" else 'single_page = ""',
        'page_param = "page"', "",
    ])


def _info(e: Entry) -> ArticleInfo:
    a = e.art
    return ArticleInfo(
        url=e.url, outlet=e.outlet.key, site_name=e.outlet.name, host=e.host, id=a.id,
        title=a.title, published=a.published.isoformat(), author=a.author, source=a.source,
        language=a.language, topic=a.topic, tags=a.tags, paragraphs=a.paragraphs, pages=a.pages,
        section=a.section, summary=a.summary,
        updated=a.updated.isoformat() if a.updated else None, editor=a.editor,
    )
