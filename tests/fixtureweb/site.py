"""Routing: (host, path, query) -> Response, with lazy rendering and a cache of responses.

Every route is an exact (host, path) entry built at start-up, so a request costs two dict
look-ups once its page has been rendered. Pages render on first request and are kept.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
import zlib
from datetime import UTC, datetime
from email.utils import format_datetime
from urllib.parse import parse_qs

from . import feeds, media
from .aggregator import HOST as AGGREGATOR_HOST
from .aggregator import Aggregator
from .corpus import KAZAKHSTAN, CorpusArticle, CorpusError
from .model import Entry, OutletSite
from .outlets import Outlet
from .render import INFO_PAGES, Renderer, esc
from .response import HTML, Response

XML = "application/xml; charset=utf-8"
OLD_STYLE = re.compile(r"^/berita/(\d+)/?$")  # pre-relaunch article URLs, answered with 301


class Site:
    """All outlets of one fixture web, their routes, specials and rendered responses."""

    def __init__(self, outlets: list[tuple[Outlet, list[CorpusArticle]]],
                 aggregator: bool = False) -> None:
        self.sites = [OutletSite.build(o, arts) for o, arts in outlets if arts]
        if not self.sites:
            raise CorpusError("the fixture web has no articles")
        self.aggregator = Aggregator(self.sites) if aggregator else None
        self.renderers = {s.outlet.key: Renderer(s) for s in self.sites}
        everything = {e.art.id: e for s in self.sites for e in s.entries}
        for renderer in self.renderers.values():
            renderer.web = everything
        self.routes: dict[str, dict[str, tuple]] = {}
        self.specials: dict[str, str] = {}
        self.charset_trap_ids: set[tuple[str, int]] = set()
        self._cache: dict[tuple[str, str, object], Response] = {}
        self._not_found: dict[str, Response] = {}
        self.edited: dict[tuple[str, str], Entry] = {}  # (host, path) -> the edited article
        for site in self.sites:
            self._add_routes(site)
        self._add_specials()

    # --- set-up --------------------------------------------------------------------------------

    def _route(self, host: str, path: str, kind: str, site: OutletSite, payload=None) -> None:
        self.routes.setdefault(host, {})[path] = (kind, site, payload)

    def _add_routes(self, site: OutletSite) -> None:
        o = site.outlet
        for host in o.hosts:
            for path, kind in (("/", "home"), ("/robots.txt", "robots"), ("/cari", "search"),
                               ("/admin/login", "admin"), ("/admin/", "admin")):
                self._route(host, path, kind, site)
        for path, kind in ((o.feed_path, "feed"), ("/sitemap.xml", "sitemap"),
                           ("/sitemap-articles.xml", "sitemap-articles"),
                           ("/sitemap-news.xml", "sitemap-news"), ("/assets/logo.jpg", "logo")):
            self._route(o.host, path, kind, site)
        for slug in INFO_PAGES:
            self._route(o.host, f"/{slug}", "info", site, slug)
        for sec in site.sections:
            self._route(*site.section_host_path(sec), "section", site, sec)
        for slug in site.tags:
            self._route(o.host, f"/tag/{slug}", "tag", site, slug)
        for e in site.entries:
            self._route(e.host, e.path, "article", site, e)
            self._route(o.host, e.image_path, "image", site, e)

    def _add_specials(self) -> None:
        """Pick the articles that carry the special behaviours (table in README.md)."""
        first = self.sites[0]
        everything = [e for s in self.sites for e in s.entries]

        def pick(pred, pool=everything) -> Entry | None:
            return next((e for e in pool if pred(e)), None)

        kz = pick(lambda e: e.art.topic == KAZAKHSTAN, first.entries) or pick(
            lambda e: e.art.topic == KAZAKHSTAN) or first.entries[0]
        # Two multi-page articles: one paged only (?page=N), one with a ?page=all view.
        multi = pick(lambda e: e.art.pages > 1 and e.outlet.style == "detik") or pick(
            lambda e: e.art.pages > 1)
        multi_all = pick(lambda e: e.art.pages > 1 and e.outlet.style != "detik")
        english = pick(lambda e: e.art.language == "en" and e.outlet.style == "tribun") or pick(
            lambda e: e.art.language == "en")
        taken = {id(x) for x in (kz, multi, english) if x}
        trap = pick(lambda e: e.art.charset_trap) or pick(
            lambda e: id(e) not in taken and not "".join(e.art.paragraphs).isascii(),
            first.entries) or pick(lambda e: id(e) not in taken, first.entries) or kz
        taken.add(id(trap))
        moved = pick(lambda e: id(e) not in taken, first.entries) or first.entries[0]
        self.charset_trap_ids.add((trap.outlet.key, trap.art.id))

        # Attachments of the Kazakhstan article: a PDF report and one photo at two URLs.
        ko, kz_site = kz.outlet, self._site_of(kz)
        base = f"http://{ko.host}"
        pdf_path = f"/dokumen/{kz.art.published:%Y/%m}/laporan-{kz.art.id}.pdf"
        jpeg_path = f"/foto/galeri/{kz.art.id}-utama.jpg"
        copy_path = f"/foto/arsip/{kz.art.id}-utama-salinan.jpg"
        photo = media.build_jpeg(f"{ko.name} galeri {kz.art.id}", tint=-20)
        lines = [p[i:i + 90] for p in kz.art.paragraphs[:3] for i in range(0, min(len(p), 270), 90)]
        pdf = media.build_pdf(f"Laporan: {kz.art.title}", lines)
        self._route(ko.host, pdf_path, "bytes", kz_site, ("application/pdf", pdf))
        self._route(ko.host, jpeg_path, "bytes", kz_site, ("image/jpeg", photo))
        self._route(ko.host, copy_path, "bytes", kz_site, ("image/jpeg", photo))
        kz_site.attachments.setdefault(kz.art.id, []).append(
            f'<div class="attachment"><h3>Dokumen dan Galeri</h3><p><a href="{base}{pdf_path}">'
            f"Unduh laporan lengkap (PDF)</a></p><div class=\"gallery\">"
            f'<a href="{base}{jpeg_path}"><img src="{base}{jpeg_path}" alt="Foto utama"></a>'
            f'<a href="{base}{copy_path}"><img src="{base}{copy_path}" alt="Foto arsip"></a>'
            f"</div></div>")

        fo = first.outlet
        not_found = f"http://{fo.host}/arsip/2021/artikel-yang-sudah-dihapus"
        redirect = f"http://{fo.host}/berita/{moved.art.id}"
        first.home_extras.append(
            f'<section class="archive-links"><h2>Arsip</h2><ul>'
            f'<li><a href="{redirect}">{esc(moved.art.title)}</a></li>'
            f'<li><a href="{not_found}">Artikel lama: kilas balik 2021</a></li></ul></section>')
        chunked = next((s for s in self.sites if s.outlet.chunked_home), first).outlet
        self.chunked_hosts = {chunked.host}
        self.specials = {
            "redirect": redirect, "redirect_target": moved.url, "not_found": not_found,
            "pdf": base + pdf_path, "jpeg": base + jpeg_path, "jpeg_copy": base + copy_path,
            "wrong_charset": trap.url, "disallowed": f"http://{fo.host}/admin/login",
            "chunked": chunked.home_url, "set_cookie": fo.home_url,
        }
        if english:
            self.specials["english"] = english.url
        if multi:
            self.specials["multi_page"] = multi.url
        if multi_all:
            self.specials["multi_page_all"] = multi_all.url

    def edit(self, url: str, paragraph: str, when: datetime | None = None) -> Entry:
        """Add a paragraph to the article at `url` (page-1 URL), as an outlet updating a
        story: its pages get a new body, ETag and Last-Modified (`when`, default now)."""
        entry = next((e for s in self.sites for e in s.entries if e.url == url), None)
        if entry is None:
            raise KeyError(f"no article at {url}")
        entry = self.edited.get((entry.host, entry.path), entry)
        art = dataclasses.replace(entry.art, paragraphs=(*entry.art.paragraphs, paragraph),
                                  updated=when or datetime.now(UTC))
        edited = self.edited[(entry.host, entry.path)] = dataclasses.replace(entry, art=art)
        for key in [k for k in self._cache if k[:2] == (entry.host, entry.path)]:
            del self._cache[key]
        return edited

    def _site_of(self, entry: Entry) -> OutletSite:
        return next(s for s in self.sites if s.outlet.key == entry.outlet.key)

    # --- serving -------------------------------------------------------------------------------

    @property
    def hosts(self) -> list[str]:
        return list(self.routes) + ([AGGREGATOR_HOST] if self.aggregator else [])

    def respond(self, host: str, path: str, query: str) -> Response:
        if self.aggregator is not None and host == AGGREGATOR_HOST:
            return self.aggregator.respond(path, query) or Response(
                404, "text/plain; charset=utf-8", b"404 Not Found\n")
        table = self.routes.get(host)
        if table is None:
            return Response(502, "text/plain; charset=utf-8",
                            f"502 Bad Gateway: fixtureweb does not serve {host!r}; "
                            f"nothing is forwarded.\n".encode(), compressible=False)
        route = table.get(path)
        if route is None:
            return self._dynamic(host, path)
        kind, site, payload = route
        if kind == "search":  # depends on the query string: rendered every time
            q = parse_qs(query).get("q", [""])[0]
            return Response(200, HTML, self.renderers[site.outlet.key].search(host, q))
        page = _page_param(query) if kind in ("article", "section", "tag") else 1
        key = (host, path, page)
        response = self._cache.get(key)
        if response is None:
            response = self._render(host, kind, site, payload, page)
            if response is None:
                response = self.not_found(host)
            self._cache[key] = response
        return response

    def _dynamic(self, host: str, path: str) -> Response:
        match = OLD_STYLE.match(path)
        if match:
            for site in self.sites:
                entry = site.by_id.get(int(match.group(1)))
                if entry and host in site.outlet.hosts:
                    return Response(301, HTML, _moved_body(entry.url),
                                    headers=(("Location", entry.url),))
        return self.not_found(host)

    def not_found(self, host: str) -> Response:
        response = self._not_found.get(host)
        if response is None:
            site = next(s for s in self.sites if host in s.outlet.hosts)
            body = self.renderers[site.outlet.key].not_found(host)
            response = self._not_found[host] = Response(404, HTML, body)
        return response

    def _render(self, host: str, kind: str, site: OutletSite, payload,
                page: int | None | bool) -> Response | None:
        o, r = site.outlet, self.renderers[site.outlet.key]
        if page is False:
            return None  # malformed ?page=
        if kind == "article":
            entry: Entry = self.edited.get((payload.host, payload.path), payload)
            if page is not None and not 1 <= page <= entry.art.pages:
                return None
            trap = (o.key, entry.art.id) in self.charset_trap_ids
            # The wrong-charset article's header lies: the body is UTF-8 and says so itself.
            ctype = "text/html; charset=iso-8859-1" if trap else HTML
            body = r.article(entry, page)
            # Validators for conditional requests (weak: the same ETag gzip or not).
            modified = (entry.art.updated or entry.art.published).astimezone(UTC)
            validators = (("ETag", f'W/"{hashlib.sha1(body).hexdigest()[:16]}"'),
                          ("Last-Modified", format_datetime(modified, usegmt=True)))
            return Response(200, ctype, body, headers=validators)
        if page is None:
            return None  # ?page=all only exists for articles
        if kind == "section":
            body = r.listing(host, payload, page)
            return Response(200, HTML, body) if body else None
        if kind == "tag":
            body = r.tag(payload, page)
            return Response(200, HTML, body) if body else None
        if kind == "home":
            sid = f"{zlib.crc32(host.encode()):08x}{len(site.entries):06x}"
            cookies = (("Set-Cookie", f"{o.brand}_sid={sid}; Path=/; HttpOnly; SameSite=Lax"),
                       ("Set-Cookie", f"{o.brand}_consent=pending; Path=/; Max-Age=31536000; "
                                      "SameSite=Lax"))
            return Response(200, HTML, r.home(host), headers=cookies,
                            chunked=host in self.chunked_hosts)
        simple = {
            "robots": lambda: ("text/plain; charset=utf-8", feeds.robots(site, host)),
            "feed": lambda: ("application/rss+xml; charset=utf-8", feeds.rss(site)),
            "sitemap": lambda: (XML, feeds.sitemap_index(site)),
            "sitemap-articles": lambda: (XML, feeds.sitemap_articles(site)),
            "sitemap-news": lambda: (XML, feeds.sitemap_news(site)),
            "info": lambda: (HTML, r.info(host, payload)),
            "admin": lambda: (HTML, r.admin(host)),
        }
        if kind in simple:
            ctype, body = simple[kind]()
            return Response(200, ctype, body)
        if kind == "logo":
            return Response(200, "image/jpeg", media.build_jpeg(f"logo {o.name}", 6, 2, 40),
                            compressible=False)
        if kind == "image":
            photo = media.build_jpeg(f"{o.name} {payload.image_path}", tint=payload.art.id % 40)
            return Response(200, "image/jpeg", photo, compressible=False)
        if kind == "bytes":
            ctype, data = payload
            return Response(200, ctype, data, compressible=False)
        raise AssertionError(f"unknown route kind {kind}")


def _page_param(query: str) -> int | None | bool:
    """1 when absent, an int, None for "all", False when malformed."""
    if "page=" not in query:
        return 1
    value = parse_qs(query).get("page", ["1"])[-1]
    if value == "all":
        return None
    return int(value) if value.isdigit() and int(value) >= 1 else False


def _moved_body(url: str) -> bytes:
    return (f'<!DOCTYPE html>\n<html lang="id"><head><meta charset="utf-8"><title>301 Moved '
            f'Permanently</title></head><body><p>Dipindahkan ke <a href="{esc(url)}">{esc(url)}'
            f"</a>.</p></body></html>\n").encode()
