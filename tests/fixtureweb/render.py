"""HTML pages of one outlet, in that outlet's markup style.

Pages are assembled from fragments; fragments that do not depend on the page (navigation, footer,
most-read box) are cached per page host, because links to the page's own host are written
root-relative ("/path") and links to other hosts absolute, as real portals do.
"""

from __future__ import annotations

import json
from datetime import datetime
from html import escape
from urllib.parse import quote

from . import assets
from .corpus import slugify
from .model import PAGE_SIZE, Entry, OutletSite
from .outlets import section_label, timezone_label

DAYS_ID = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")
DAYS_EN = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTHS_ID = ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus",
             "September", "Oktober", "November", "Desember")
MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August",
             "September", "October", "November", "December")
MONTHS_ID_SHORT = ("Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov",
                   "Des")
PHOTOGRAPHERS = ("Rifkianto Nugroho", "Ari Saputra", "Grandyos Zafna", "Pradita Utama",
                 "Andhika Prasetia", "Wahyu Putro", "Lamhot Aritonang", "Dewi Irmasari")
INFO_PAGES = {
    "redaksi": "Redaksi",
    "pedoman-media-siber": "Pedoman Media Siber",
    "kontak": "Kontak",
    "tentang-kami": "Tentang Kami",
    "info-iklan": "Info Iklan",
    "kebijakan-privasi": "Kebijakan Privasi",
}
TRENDING = (("kazakhstan", "#Kazakhstan"), ("harga cabai", "#HargaCabai"),
            ("banjir", "#Banjir"), ("timnas", "#Timnas"))


def esc(text: str) -> str:
    return escape(text, quote=True)


def json_script(obj: object) -> str:
    # "</" inside a script element would end it early; JSON allows escaping the slash.
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")
    return f'<script type="application/ld+json">{text}</script>'


def format_date(style: str, dt: datetime, language: str = "id") -> str:
    tz = timezone_label(dt)
    if style == "detik":
        return (f"{DAYS_ID[dt.weekday()]}, {dt.day:02d} {MONTHS_ID_SHORT[dt.month - 1]} "
                f"{dt.year} {dt:%H:%M} {tz}")
    if style == "kompas":
        return f"{dt:%d/%m/%Y}, {dt:%H:%M} {tz}"
    if language == "en":
        return (f"{DAYS_EN[dt.weekday()]}, {MONTHS_EN[dt.month - 1]} {dt.day}, {dt.year} "
                f"{dt:%H:%M} {tz}")
    return f"{DAYS_ID[dt.weekday()]}, {dt.day} {MONTHS_ID[dt.month - 1]} {dt.year} {dt:%H:%M} {tz}"


def initials(name: str) -> str:
    return "".join(part[0] for part in name.split()[:3]).lower() or "red"


class Renderer:
    """Renders every HTML page of one outlet; fragments are cached per page host."""

    def __init__(self, site: OutletSite) -> None:
        self.site = site
        self.outlet = site.outlet
        self.style = site.outlet.style
        self._fragments: dict[tuple[str, str, str], str] = {}
        # Every article of the web by id (Site fills it): targets of in-body links.
        self.web: dict[int, Entry] = {}

    # --- links ---------------------------------------------------------------------------------

    @staticmethod
    def href(page_host: str, host: str, path: str) -> str:
        return esc(path if host == page_host else f"http://{host}{path}")

    def main(self, page_host: str, path: str) -> str:
        return self.href(page_host, self.outlet.host, path)

    def entry_href(self, page_host: str, e: Entry, page: int | None = 1) -> str:
        return self.href(page_host, e.host, e.page_path(page))

    def section_href(self, page_host: str, section: str) -> str:
        return self.href(page_host, *self.site.section_host_path(section))

    def tag_href(self, page_host: str, tag: str) -> str:
        return self.main(page_host, f"/tag/{slugify(tag)}")

    @property
    def logo_url(self) -> str:
        return f"http://{self.outlet.host}/assets/logo.jpg"

    # --- shared fragments ----------------------------------------------------------------------

    def _cached(self, kind: str, page_host: str, extra: str, build) -> str:
        key = (kind, page_host, extra)
        html = self._fragments.get(key)
        if html is None:
            html = self._fragments[key] = build()
        return html

    def header(self, page_host: str, active: str = "") -> str:
        return self._cached("header", page_host, active, lambda: self._header(page_host, active))

    def _header(self, page_host: str, active: str) -> str:
        o = self.outlet
        items = [f'<li><a href="{self.main(page_host, "/")}"'
                 f'{" class=active" if not active else ""}>Home</a></li>']
        for sec in self.site.sections:
            cls = ' class="active"' if sec == active else ""
            items.append(f'<li><a href="{self.section_href(page_host, sec)}"{cls}>'
                         f"{esc(section_label(sec))}</a></li>")
        trending = " ".join(
            f'<a href="{self.main(page_host, "/cari?q=" + q.replace(" ", "+"))}">{esc(label)}</a>'
            for q, label in TRENDING)
        nav_class = assets.SELECTOR_CLASS[self.style]["nav"]
        return (
            f'<header class="header"><div class="container header__top">'
            f'<a class="header__logo" href="{self.main(page_host, "/")}">'
            f'<img src="{esc(self.logo_url)}" alt="{esc(o.name)}" width="180" height="36"></a>'
            f'<form class="search-form" action="{self.main(page_host, "/cari")}" method="get">'
            f'<input type="search" name="q" placeholder="Cari berita di {esc(o.name)}" '
            f'aria-label="Cari"><button type="submit">Cari</button></form>'
            f'<a class="header__login" href="{self.main(page_host, "/admin/login")}" '
            f'rel="nofollow">Masuk</a></div>'
            f'<nav class="container" aria-label="Kanal"><ul class="{nav_class}">{"".join(items)}'
            f'</ul></nav><div class="container trending">Trending: {trending}</div></header>'
        )

    def footer(self, page_host: str) -> str:
        return self._cached("footer", page_host, "", lambda: self._footer(page_host))

    def _footer(self, page_host: str) -> str:
        o = self.outlet
        links = [f'<li><a href="{self.main(page_host, "/" + slug)}">{esc(label)}</a></li>'
                 for slug, label in INFO_PAGES.items()]
        links.append(f'<li><a href="{self.main(page_host, o.feed_path)}">RSS</a></li>')
        links.append(f'<li><a href="{self.main(page_host, "/sitemap.xml")}">Sitemap</a></li>')
        social = "".join(
            f'<a href="https://www.{net}.com/{o.brand}" rel="noopener" target="_blank" '
            f'class="social social--{net}">{net.title()}</a>'
            for net in ("facebook", "twitter", "instagram", "youtube"))
        secs = " · ".join(f'<a href="{self.section_href(page_host, s)}">'
                          f"{esc(section_label(s))}</a>" for s in self.site.sections[:6])
        foot_class = assets.SELECTOR_CLASS[self.style]["foot"]
        return (
            f'<footer class="footer"><div class="container">'
            f'<div class="footer__brand"><img src="{esc(self.logo_url)}" alt="{esc(o.name)}" '
            f'width="140" height="28"><p>{esc(o.name)} menyajikan berita terkini dan terpercaya '
            f"dari seluruh Nusantara, setiap hari.</p></div>"
            f'<ul class="{foot_class}">{"".join(links)}</ul>'
            f'<div class="footer__sections">Kanal: {secs}</div>'
            f'<div class="footer__social">{social}</div>'
            f'<p class="footer__copy">&copy; 2022 {esc(o.name)}. All rights reserved.</p>'
            f"</div></footer>"
        )

    def sidebar(self, page_host: str) -> str:
        return self._cached("sidebar", page_host, "", lambda: self._sidebar(page_host))

    def _sidebar(self, page_host: str) -> str:
        box = assets.SELECTOR_CLASS[self.style]["box"]
        popular = "".join(
            f'<li><a href="{self.entry_href(page_host, e)}">{esc(e.art.title)}</a></li>'
            for e in self.site.popular)
        latest = "".join(
            f'<li><a href="{self.entry_href(page_host, e)}">{esc(e.art.title)}</a>'
            f"<time>{esc(format_date(self.style, e.art.published))}</time></li>"
            for e in self.site.latest)
        ad = self.ad_slot("mr1")
        return (
            f'<aside class="sidebar">{ad}<div class="{box}"><h2>Terpopuler</h2><ol>{popular}</ol>'
            f'</div><div class="{box} box--latest"><h2>Berita Terkini</h2><ul>{latest}</ul></div>'
            f'{self.ad_slot("mr2")}</aside>'
        )

    def ad_slot(self, position: str) -> str:
        return (f'<div class="ads-slot" id="div-gpt-ad-{self.style}-{position}" '
                f'data-ad-unit="/2234567/{self.style}_{position}">ADVERTISEMENT</div>')

    def breadcrumbs(self, page_host: str, trail: list[tuple[str, str]]) -> str:
        items = "".join(
            f'<li><a href="{esc(href)}">{esc(label)}</a></li>' if href else
            f"<li><span>{esc(label)}</span></li>" for label, href in trail)
        return f'<ul class="breadcrumb" aria-label="breadcrumb">{items}</ul>'

    def page(self, *, page_host: str, lang: str, title: str, description: str, canonical: str,
             head_extra: str, body_class: str, active: str, main: str,
             data_layer: dict) -> bytes:
        o = self.outlet
        ns = assets.NAMESPACE[self.style]
        data = json.dumps([data_layer], ensure_ascii=False).replace("</", "<\\/")
        return "".join((
            f'<!DOCTYPE html>\n<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n'
            f'<meta http-equiv="X-UA-Compatible" content="IE=edge">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{esc(title)}</title>\n"
            f'<meta name="description" content="{esc(description)}">\n'
            f'<meta name="robots" content="index, follow, max-image-preview:large">\n'
            f'<link rel="canonical" href="{esc(canonical)}">\n'
            f'<link rel="alternate" type="application/rss+xml" title="{esc(o.name)}" '
            f'href="http://{o.host}{o.feed_path}">\n',
            head_extra,
            f"<style>{assets.CSS[self.style]}</style>\n"
            f"<script>window.dataLayer={data};window.__{ns}={assets.AD_CONFIG[self.style]};"
            f"window.__{ns}_menu={assets.MENU[self.style]};</script>\n"
            f"<script>{assets.ANALYTICS_JS[self.style]}</script>\n</head>\n",
            f'<body class="{body_class}">\n{self.header(page_host, active)}\n'
            f'<div class="container">{self.ad_slot("billboard")}</div>\n'
            f'<div class="container layout"><main>{main}</main>{self.sidebar(page_host)}</div>\n'
            f"{self.footer(page_host)}\n<script>{assets.LOADER_JS[self.style]}</script>\n"
            f"</body>\n</html>\n",
        )).encode("utf-8")

    # --- article pages -------------------------------------------------------------------------

    def article(self, e: Entry, page: int | None) -> bytes:
        """Page ``page`` (1-based) of an article; ``None`` renders the whole text (?page=all)."""
        a, o = e.art, self.outlet
        related = self.site.related(e, 8)
        page_host = e.host
        sec_host, sec_path = self.site.section_host_path(a.section)
        crumbs = [("Home", self.main(page_host, "/")),
                  (section_label(a.section), self.href(page_host, sec_host, sec_path))]
        body = getattr(self, f"_body_{self.style}")(e, page, related, page_host)
        main = getattr(self, f"_article_{self.style}")(e, page, related, page_host, crumbs, body)
        if self.style == "kompas" and page is None:
            title = f"{a.title} Halaman all - {o.name}"
        else:
            title = f"{a.title} - {o.name}"
        return self.page(
            page_host=page_host, lang=a.language, title=title, description=a.summary,
            canonical=e.url, head_extra=self._article_head(e, page, crumbs),
            body_class=f"article-page kanal-{a.section}", active=a.section, main=main,
            data_layer={"pageType": "article", "articleId": a.id, "kanal": a.section,
                        "author": a.author, "publishDate": a.published.isoformat(),
                        "tags": list(a.tags), "page": "all" if page is None else page},
        )

    def _article_head(self, e: Entry, page: int | None, crumbs: list[tuple[str, str]]) -> str:
        a, o = e.art, self.outlet
        modified = (a.updated or a.published).isoformat()
        meta = [
            ("property", "og:type", "article"), ("property", "og:title", f"{a.title} - {o.name}"),
            ("property", "og:site_name", o.name), ("property", "og:url", e.url),
            ("property", "og:description", a.summary), ("property", "og:image", e.image_url),
            ("property", "og:locale", "en_US" if a.language == "en" else "id_ID"),
            ("name", "twitter:card", "summary_large_image"),
            ("name", "twitter:site", f"@{o.brand}"),
            ("property", "article:published_time", a.published.isoformat()),
            ("property", "article:modified_time", modified),
            ("property", "article:section", section_label(a.section)),
        ]
        meta += [("property", "article:tag", t) for t in a.tags]
        meta += [("name", "author", a.author or o.name), ("name", "keywords", ", ".join(a.tags)),
                 ("name", "pubdate", a.published.strftime("%Y-%m-%dT%H:%M:%S%z")),
                 ("name", "content_PublishedDate", a.published.strftime("%Y-%m-%d %H:%M:%S"))]
        if a.editor:
            meta.append(("name", "editor", a.editor))
        lines = [f'<meta {kind}="{esc(k)}" content="{esc(v)}">' for kind, k, v in meta]
        if a.pages > 1 and page is not None:
            base = f"http://{e.host}"
            if page > 1:
                lines.append(f'<link rel="prev" href="{base}{esc(e.page_path(page - 1))}">')
            if page < a.pages:
                lines.append(f'<link rel="next" href="{base}{esc(e.page_path(page + 1))}">')
        author = ({"@type": "Person", "name": a.author} if a.author
                  else {"@type": "Organization", "name": o.name})
        article_ld = {
            "@context": "https://schema.org", "@type": "NewsArticle",
            "mainEntityOfPage": {"@type": "WebPage", "@id": e.url},
            "headline": a.title, "description": a.summary,
            "image": {"@type": "ImageObject", "url": e.image_url, "width": 96, "height": 64},
            "datePublished": a.published.isoformat(), "dateModified": modified,
            "author": author,
            "publisher": {"@type": "Organization", "name": o.name,
                          "logo": {"@type": "ImageObject", "url": self.logo_url}},
            "articleSection": section_label(a.section), "keywords": ", ".join(a.tags),
            "inLanguage": "en" if a.language == "en" else "id-ID",
        }
        if a.editor:
            article_ld["editor"] = {"@type": "Person", "name": a.editor}
        trail = [(label, href if href.startswith("http") else f"http://{e.host}{href}")
                 for label, href in crumbs] + [(a.title, e.url)]
        crumbs_ld = {
            "@context": "https://schema.org", "@type": "BreadcrumbList",
            "itemListElement": [
                {"@type": "ListItem", "position": i + 1, "name": label, "item": href}
                for i, (label, href) in enumerate(trail)],
        }
        return "\n".join(lines) + "\n" + json_script(article_ld) + "\n" + json_script(
            crumbs_ld) + "\n"

    def _paragraphs_with(self, paras: tuple[str, ...], inserts: dict[int, list[str]],
                         e: Entry, page_host: str) -> str:
        """Paragraphs verbatim, with noise blocks after paragraph k (clamped to the text)
        and the article's in-body links on their anchors."""
        out: list[str] = []
        n = len(paras)
        placed: dict[int, list[str]] = {}
        for k, blocks in inserts.items():
            placed.setdefault(max(1, min(k, n)), []).extend(blocks)
        pending = [(anchor, self.web[to]) for anchor, to in e.art.links if to in self.web]
        for i, p in enumerate(paras, start=1):
            html = esc(p)
            for anchor, target in list(pending):
                if anchor in p:  # the first occurrence of the anchor, once per article
                    link = f'<a href="{self.entry_href(page_host, target)}">{esc(anchor)}</a>'
                    html = html.replace(esc(anchor), link, 1)
                    pending.remove((anchor, target))
            out.append(f"<p>{html}</p>")
            out.extend(placed.get(i, ()))
        return "\n".join(out)

    def _figure(self, e: Entry, detail: str) -> str:
        a, o = e.art, self.outlet
        shooter = PHOTOGRAPHERS[a.id % len(PHOTOGRAPHERS)]
        caption = f"Ilustrasi {section_label(a.section).lower()}: {a.title}"
        if self.style == "detik":
            credit = f"Foto: {caption} ({o.name}/{shooter})"
        elif self.style == "kompas":
            credit = f"{caption}. ({o.name.upper()}/{shooter.upper()})"
        else:
            credit = f"{caption}. ({o.name}/{shooter})"
        return (f'<figure class="{detail}"><img src="{esc(e.image_url)}" alt="{esc(a.title)}" '
                f'width="96" height="64" loading="lazy"><figcaption>{esc(credit)}</figcaption>'
                f"</figure>")

    def _pagination(self, e: Entry, page: int | None, page_host: str) -> str:
        k = e.art.pages
        if k < 2:
            return ""
        links = []
        if page is not None and page > 1:
            links.append(f'<a class="paging__link paging__link--prev" '
                         f'href="{self.entry_href(page_host, e, page - 1)}">Sebelumnya</a>')
        for n in range(1, k + 1):
            if n == page:
                links.append(f'<span class="paging__link paging__link--active current">{n}</span>')
            else:
                links.append(f'<a class="paging__link" href="{self.entry_href(page_host, e, n)}">'
                             f"{n}</a>")
        if page is not None and page < k:
            links.append(f'<a class="paging__link paging__link--next" '
                         f'href="{self.entry_href(page_host, e, page + 1)}">Selanjutnya</a>')
        # detik-style outlets here have no one-page view: a reader pages through.
        show_all = ("" if page is None or self.style == "detik" else
                    f'<a class="paging__all" href="{self.entry_href(page_host, e, None)}">'
                    f"Tampilkan semua halaman</a>")
        return (f'<div class="paging pagination"><div class="paging__wrap">Halaman: '
                f'{" ".join(links)}</div>{show_all}</div>')

    def _tags(self, e: Entry, page_host: str, prefix: str = "") -> str:
        links = ", ".join(f'<a href="{self.tag_href(page_host, t)}">{esc(t)}</a>'
                          for t in e.art.tags)
        return f'<div class="tags">{prefix}{links}</div>' if links else ""

    def _share(self, e: Entry) -> str:
        url, title = quote(e.url, safe=""), quote(e.art.title, safe="")
        return (
            f'<div class="share"><span>Bagikan</span>'
            f'<a class="fb" href="https://www.facebook.com/sharer/sharer.php?u={url}" '
            f'rel="nofollow noopener" target="_blank">Facebook</a>'
            f'<a class="tw" href="https://twitter.com/intent/tweet?text={title}&amp;url={url}" '
            f'rel="nofollow noopener" target="_blank">Twitter</a>'
            f'<a class="wa" href="https://api.whatsapp.com/send?text={title}%20{url}" '
            f'rel="nofollow noopener" target="_blank">WhatsApp</a></div>')

    def _comments(self, e: Entry, page_host: str) -> str:
        return (f'<section class="comments" id="komentar"><h3>Komentar</h3>'
                f'<p>Belum ada komentar. Jadilah yang pertama memberi tanggapan.</p>'
                f'<a href="{self.main(page_host, "/admin/login")}" rel="nofollow">'
                f"Masuk untuk berkomentar</a>"
                f'<div class="comments__rules">Komentar yang mengandung SARA, hoaks atau ujaran '
                f"kebencian akan dihapus oleh moderator.</div></section>")

    def _related_list(self, related: list[Entry], page_host: str, heading: str,
                      css: str) -> str:
        items = "".join(
            f'<li><a href="{self.entry_href(page_host, r)}">{esc(r.art.title)}</a>'
            f"<time>{esc(format_date(self.style, r.art.published, r.art.language))}</time></li>"
            for r in related)
        return f'<section class="{css}"><h3>{heading}</h3><ul>{items}</ul></section>'

    def _attachments(self, e: Entry) -> str:
        return "".join(self.site.attachments.get(e.art.id, ()))

    # detik-like ---------------------------------------------------------------------------------

    def _body_detik(self, e: Entry, page: int | None, related: list[Entry],
                    page_host: str) -> str:
        def baca(r: Entry) -> str:
            href = self.entry_href(page_host, r)
            return f'<p>Baca juga: <a href="{href}">{esc(r.art.title)}</a></p>'

        inserts = {
            1: ['<div class="parallaxindetail scrollpage" id="div-gpt-ad-detik-parallax">'
                "ADVERTISEMENT</div><p>SCROLL TO CONTINUE WITH CONTENT</p>"],
            2: [baca(related[0])] if related else [],
            3: [self._figure(e, "detail__media-image detail__media--inline")],
            5: [baca(related[1])] if len(related) > 1 else [],
        }
        return self._paragraphs_with(e.page_paragraphs(page), inserts, e, page_host)

    def _article_detik(self, e: Entry, page: int | None, related: list[Entry], page_host: str,
                       crumbs: list[tuple[str, str]], body: str) -> str:
        a, o = e.art, self.outlet
        author = a.author or "Tim Redaksi"
        initial = f"({initials(a.author)}/{initials(a.editor or o.name)})"
        source = f'<div class="detail__source">Sumber: {esc(a.source)}</div>' if a.source else ""
        updated = (f'<div class="detail__date-updated">Diperbarui '
                   f"{esc(format_date('detik', a.updated))}</div>" if a.updated else "")
        return (
            f'<article class="detail" data-id="{a.id}">{self.breadcrumbs(page_host, crumbs)}'
            f'<div class="detail__header"><h1 class="detail__title">{esc(a.title)}</h1>'
            f'<div class="detail__author">{esc(author)} - {esc(o.brand)}</div>'
            f'<div class="detail__date">{esc(format_date("detik", a.published))}</div>{updated}'
            f"</div>{self._share(e)}"
            f'<div class="detail__media">{self._figure(e, "detail__media-image")}</div>'
            f'<div class="detail__body flex-grow"><div class="detail__body-text itp_bodycontent">'
            f"\n{body}\n</div>"
            f'<div class="detail__initial">{esc(initial)}</div>{source}'
            f"{self._pagination(e, page, page_host)}{self._attachments(e)}"
            f'{self._tags(e, page_host, "")}'
            f'<div class="detail__body-tag nav">'
            f'<p class="detail__read-more">Baca artikel {esc(o.brand)}, "{esc(a.title)}" '
            f'selengkapnya <a href="{esc(e.url)}">di sini</a>.</p></div></div>'
            f"{self._comments(e, page_host)}"
            f"{self._related_list(related, page_host, 'Berita Terkait', 'list-content related')}"
            f"</article>"
        )

    # kompas-like --------------------------------------------------------------------------------

    def _body_kompas(self, e: Entry, page: int | None, related: list[Entry],
                     page_host: str) -> str:
        def baca(r: Entry) -> str:
            return (f'<p><strong>Baca juga: <a href="{self.entry_href(page_host, r)}" '
                    f'class="inner-link-baca-juga">{esc(r.art.title)}</a></strong></p>')

        inserts = {
            1: [baca(related[0])] if related else [],
            2: [f'<div class="ads-on-body">{self.ad_slot("inarticle1")}</div>'],
            4: [baca(related[1])] if len(related) > 1 else [],
        }
        return self._paragraphs_with(e.page_paragraphs(page), inserts, e, page_host)

    def _article_kompas(self, e: Entry, page: int | None, related: list[Entry], page_host: str,
                        crumbs: list[tuple[str, str]], body: str) -> str:
        a, o = e.art, self.outlet
        credit = f'Penulis: <span class="read__author">{esc(a.author or "Tim Redaksi")}</span>'
        if a.editor:
            credit += f" | Editor: {esc(a.editor)}"
        source = f'<div class="read__source">Sumber: {esc(a.source)}</div>' if a.source else ""
        updated = (f'<div class="read__time--updated">Diperbarui '
                   f"{esc(format_date('kompas', a.updated))}</div>" if a.updated else "")
        page_note = ""
        if a.pages > 1:
            which = "Halaman all" if page is None else f"Halaman {page} dari {a.pages}"
            page_note = f'<div class="read__page">{which}</div>'
        return (
            f'<div class="read__header">{self.breadcrumbs(page_host, crumbs)}'
            f'<h1 class="read__title">{esc(a.title)}</h1>'
            f'<div class="read__time">{esc(o.name)} - {esc(format_date("kompas", a.published))}'
            f"</div>{updated}{page_note}</div>"
            f'<div class="photo">{self._figure(e, "photo__wrap")}</div>'
            f'<div class="read__credit clearfix"><div class="read__credit__item">{credit}</div>'
            f"</div>{self._share(e)}"
            f'<div class="read__content"><div class="clearfix">\n{body}\n</div></div>'
            f"{self._pagination(e, page, page_host)}{source}{self._attachments(e)}"
            f'<div class="read__bottom"><p>Dapatkan update berita pilihan dan breaking news setiap '
            f"hari dari {esc(o.name)}. Pastikan notifikasi kanal kami aktif.</p></div>"
            f'{self._tags(e, page_host, "<span>Tag:</span> ")}'
            f'{self._related_list(related, page_host, "Berita Terkait", "related article__list")}'
            f"{self._comments(e, page_host)}"
        )

    # tribun-like --------------------------------------------------------------------------------

    def _body_tribun(self, e: Entry, page: int | None, related: list[Entry],
                     page_host: str) -> str:
        box_items = "".join(
            f'<li><a href="{self.entry_href(page_host, r)}">{esc(r.art.title)}</a></li>'
            for r in related[:3])
        box = (f'<div class="baca-juga"><h3>Baca Juga</h3><ul>{box_items}</ul></div>'
               if box_items else "")
        inserts = {2: [box], 4: [self.ad_slot("inarticle1")]}
        return self._paragraphs_with(e.page_paragraphs(page), inserts, e, page_host)

    def _article_tribun(self, e: Entry, page: int | None, related: list[Entry], page_host: str,
                        crumbs: list[tuple[str, str]], body: str) -> str:
        a, o = e.art, self.outlet
        syndication = ""
        if e.host != o.host:
            syndication = (f'<p class="artikel-tayang"><strong>Artikel ini telah tayang di '
                           f"{esc(e.host)} dengan judul {esc(a.title)}</strong></p>")
        editor = f'<div class="credit__editor">Editor: {esc(a.editor)}</div>' if a.editor else ""
        source = f'<div class="credit__source">Sumber: {esc(a.source)}</div>' if a.source else ""
        when = format_date("tribun", a.published, a.language)
        return (
            f'{self.breadcrumbs(page_host, crumbs + [(a.title, "")])}'
            f'<h1 id="arttitle">{esc(a.title)}</h1>'
            f'<div class="credit"><div class="credit__author">Penulis: '
            f"<strong>{esc(a.author or 'Tim Redaksi')}</strong></div>{editor}{source}</div>"
            f'<time class="time" datetime="{a.published.isoformat()}">{esc(when)}</time>'
            f"{self._share(e)}"
            f'<div class="imgfull_div">{self._figure(e, "imgfull")}</div>'
            f'<div class="side-article txt-article multi-fontsize">\n{body}\n{syndication}</div>'
            f"{self._pagination(e, page, page_host)}{self._attachments(e)}"
            f'{self._tags(e, page_host, "Tags: ")}{self._share(e)}'
            f"{self._comments(e, page_host)}"
            f'{self._related_list(related, page_host, "Artikel Terkait", "artikel-terkait lsi")}'
        )

    # --- listing pages -------------------------------------------------------------------------

    def _item(self, e: Entry, page_host: str, with_summary: bool = True) -> str:
        list_class = assets.SELECTOR_CLASS[self.style]["list"]
        summary = f"<p>{esc(e.art.summary)}</p>" if with_summary else ""
        href = self.entry_href(page_host, e)
        return (f'<article class="{list_class}"><a class="media" href="{href}">'
                f'<img src="{esc(e.image_url)}" alt="" width="96" height="64" loading="lazy"></a>'
                f'<div class="media__text"><span class="kanal">{esc(section_label(e.art.section))}'
                f'</span><h3><a href="{href}">{esc(e.art.title)}</a></h3>'
                f"<time>{esc(format_date(self.style, e.art.published, e.art.language))}</time>"
                f"{summary}</div></article>")

    def home(self, page_host: str) -> bytes:
        o, site = self.outlet, self.site
        if page_host != o.host:  # a regional subdomain's front page lists its section
            sec_host, sec_path = self.site.section_host_path(o.regional_section)
            return self._list_page(page_host, sec_host, sec_path, "Kabar Daerah Hari Ini",
                                   "Kabar Daerah Hari Ini",
                                   self.site.by_section.get(o.regional_section, []), 1,
                                   o.regional_section, canonical=f"http://{page_host}/")
        top = site.listed[:5]
        blocks = []
        for sec in site.sections:
            items = "".join(self._item(e, page_host, False) for e in site.by_section[sec][:4])
            blocks.append(f'<section class="home-section kanal-{sec}"><h2><a href="'
                          f'{self.section_href(page_host, sec)}">{esc(section_label(sec))}</a></h2>'
                          f'{items}<a class="more" href="{self.section_href(page_host, sec)}">'
                          f"Selengkapnya</a></section>")
        latest = "".join(self._item(e, page_host) for e in site.listed[5:20])
        main = (f'<section class="headline"><h2>Berita Utama</h2>'
                f'{"".join(self._item(e, page_host) for e in top)}</section>'
                f'{"".join(site.home_extras)}'
                f'<section class="latest"><h2>Berita Terkini</h2>{latest}</section>'
                f'{"".join(blocks)}')
        return self.page(
            page_host=page_host, lang="id", title=f"{o.name} - Berita Terkini dan Terpercaya",
            description=f"{o.name}: berita terkini hari ini dari Indonesia dan dunia.",
            canonical=o.home_url, head_extra=self._site_head(o.home_url, "website"),
            body_class="homepage", active="", main=main,
            data_layer={"pageType": "homepage"})

    def _site_head(self, url: str, kind: str, title: str = "") -> str:
        o = self.outlet
        meta = [("og:type", kind), ("og:title", title or o.name), ("og:site_name", o.name),
                ("og:url", url), ("og:image", self.logo_url)]
        return "".join(f'<meta property="{k}" content="{esc(v)}">\n' for k, v in meta)

    def listing(self, page_host: str, section: str, page: int) -> bytes | None:
        entries = self.site.by_section.get(section, [])
        host, path = self.site.section_host_path(section)
        label = section_label(section)
        return self._list_page(page_host, host, path, label, f"Berita {label} Terkini",
                               entries, page, section)

    def tag(self, tag_slug: str, page: int) -> bytes | None:
        label, entries = self.site.tags[tag_slug]
        return self._list_page(self.outlet.host, self.outlet.host, f"/tag/{tag_slug}",
                               f"Tag: {label}", f"Berita Terkini {label}", entries, page, "")

    def _list_page(self, page_host: str, host: str, path: str, label: str, title: str,
                   entries: list[Entry], page: int, active: str,
                   canonical: str | None = None) -> bytes | None:
        """Page ``page`` of a listing at host+path (``canonical`` overrides its own URL)."""
        last = max(1, -(-len(entries) // PAGE_SIZE))
        if not 1 <= page <= last:
            return None
        chunk = entries[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]

        def url(n: int) -> str:
            return f"http://{host}{path}" + (f"?page={n}" if n > 1 else "")

        canonical = canonical or url(page)
        head = self._site_head(canonical, "website", f"{title} - {self.outlet.name}")
        if page > 1:
            head += f'<link rel="prev" href="{esc(url(page - 1))}">\n'
        if page < last:
            head += f'<link rel="next" href="{esc(url(page + 1))}">\n'
        numbers = range(max(1, page - 4), min(last, page + 4) + 1)

        def link(n: int) -> str:
            return self.href(page_host, host, path + (f"?page={n}" if n > 1 else ""))

        pager = "".join(f'<span class="current">{n}</span>' if n == page else
                        f'<a href="{link(n)}">{n}</a>' for n in numbers)
        if page < last:
            pager += f'<a class="next" href="{link(page + 1)}">Selanjutnya</a>'
        crumbs = self.breadcrumbs(page_host, [("Home", self.main(page_host, "/")), (label, "")])
        items = "".join(self._item(e, page_host) for e in chunk) or "<p>Belum ada artikel.</p>"
        main = (f'{crumbs}<h1 class="listing__title">{esc(label)}</h1>'
                f'<div class="listing">{items}</div><div class="pagination">{pager}</div>')
        page_title = f"{title} - {self.outlet.name}" + (f" - Halaman {page}" if page > 1 else "")
        return self.page(
            page_host=page_host, lang="id", title=page_title,
            description=f"Kumpulan berita {label} terbaru dari {self.outlet.name}.",
            canonical=canonical, head_extra=head, body_class="listing-page", active=active,
            main=main, data_layer={"pageType": "listing", "kanal": active, "page": page})

    # --- small pages ---------------------------------------------------------------------------

    def simple(self, page_host: str, path: str, heading: str, html_body: str,
               noindex: bool = False) -> bytes:
        head = '<meta name="robots" content="noindex, nofollow">\n' if noindex else ""
        return self.page(
            page_host=page_host, lang="id", title=f"{heading} - {self.outlet.name}",
            description=f"{heading} {self.outlet.name}", canonical=f"http://{page_host}{path}",
            head_extra=head, body_class="static-page", active="",
            main=f'<article class="static"><h1>{esc(heading)}</h1>{html_body}</article>',
            data_layer={"pageType": "static"})

    def info(self, page_host: str, slug: str) -> bytes:
        o = self.outlet
        texts = {
            "redaksi": f"<p>Pemimpin Redaksi: Hendra Wiradinata. Wakil Pemimpin Redaksi: Sri "
                       f"Mulyani Pratiwi. Redaktur Pelaksana: Yusuf Manurung.</p><p>Alamat "
                       f"redaksi {esc(o.name)}: Jalan Fiktif Raya No. 12, Jakarta 10110.</p>",
            "pedoman-media-siber": "<p>Media siber wajib menguji informasi dan memberi ruang "
                                   "hak jawab. Ralat dimuat pada berita yang diralat.</p><p>Isi "
                                   "buatan pengguna berada di luar tanggung jawab redaksi, "
                                   "tetapi dapat dihapus bila melanggar aturan.</p>",
            "kontak": f"<p>Surel: redaksi@{esc(o.host)} &middot; Telepon: (021) 555-0100.</p>",
        }
        body = texts.get(slug, f"<p>Informasi {esc(INFO_PAGES[slug].lower())} "
                               f"{esc(o.name)} akan segera diperbarui.</p>")
        return self.simple(page_host, f"/{slug}", INFO_PAGES[slug], body)

    def search(self, page_host: str, query: str) -> bytes:
        # Full-text search over headline, summary and body, newest first, like a portal's.
        words = query.lower().split()
        hits = [e for e in self.site.searchable if words and all(
            w in e.search_text for w in words)][:PAGE_SIZE]
        items = "".join(self._item(e, page_host) for e in hits) or "<p>Tidak ada hasil.</p>"
        return self.simple(page_host, "/cari", f"Hasil pencarian: {query}", items, noindex=True)

    def admin(self, page_host: str) -> bytes:
        form = ('<form method="post" action="/admin/login"><label>Pengguna <input name="u">'
                '</label><label>Sandi <input type="password" name="p"></label>'
                "<button>Masuk</button></form>")
        return self.simple(page_host, "/admin/login", "Masuk", form, noindex=True)

    def not_found(self, page_host: str) -> bytes:
        return self.simple(page_host, "/404", "Halaman tidak ditemukan",
                           "<p>Maaf, halaman yang Anda cari tidak tersedia atau sudah dihapus."
                           f' Kembali ke <a href="{self.main(page_host, "/")}">beranda</a>.</p>',
                           noindex=True)
