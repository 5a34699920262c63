"""The web's structure: where each article lives, and the per-outlet indexes pages use."""

from __future__ import annotations

from dataclasses import dataclass, field

from .corpus import CorpusArticle, slugify
from .outlets import Outlet

PAGE_SIZE = 20  # listing pages (sections, tags) show 20 articles each


@dataclass(frozen=True)
class Entry:
    """An article placed on the web: its outlet, host, path and position in the outlet."""

    art: CorpusArticle
    outlet: Outlet
    host: str
    path: str
    pos: int  # index in the outlet's newest-first list

    @property
    def url(self) -> str:
        return f"http://{self.host}{self.path}"

    @property
    def search_text(self) -> str:
        a = self.art
        return " ".join((a.title, a.summary, *a.paragraphs)).lower()

    @property
    def image_path(self) -> str:
        # Images live on the outlet's main host, like a portal's image CDN path.
        return f"/foto/{self.art.published:%Y/%m/%d}/{self.art.id}-{self.art.slug[:48]}.jpg"

    @property
    def image_url(self) -> str:
        return f"http://{self.outlet.host}{self.image_path}"

    def page_paragraphs(self, page: int | None) -> tuple[str, ...]:
        """Paragraphs of page ``page`` (1-based); ``None`` means the whole text (?page=all)."""
        paras = self.art.paragraphs
        if page is None or self.art.pages == 1:
            return paras
        n, k = len(paras), self.art.pages
        return paras[(page - 1) * n // k: page * n // k]

    def page_path(self, page: int | None) -> str:
        if page == 1:
            return self.path
        return f"{self.path}?page={'all' if page is None else page}"


@dataclass
class OutletSite:
    """One outlet's articles with the indexes its pages need (built once, read by renderers)."""

    outlet: Outlet
    entries: list[Entry]
    sections: list[str]
    by_section: dict[str, list[Entry]]
    tags: dict[str, tuple[str, list[Entry]]]  # tag slug -> (label, entries)
    by_id: dict[int, Entry]
    popular: list[Entry]
    # Extra HTML blocks: after an article's body (by article id) and on the homepage.
    attachments: dict[int, list[str]] = field(default_factory=dict)
    home_extras: list[str] = field(default_factory=list)
    _section_pos: dict[int, int] = field(default_factory=dict)
    # Articles by how they can be found (CorpusArticle.reach): listed everywhere, in search
    # results, in sitemaps; "link" articles only from their parent's "Baca juga" link.
    listed: list[Entry] = field(default_factory=list)
    searchable: list[Entry] = field(default_factory=list)
    mapped: list[Entry] = field(default_factory=list)
    link_children: dict[int, list[Entry]] = field(default_factory=dict)

    @classmethod
    def build(cls, outlet: Outlet, arts: list[CorpusArticle]) -> OutletSite:
        ordered = sorted(arts, key=lambda a: (a.published, a.id), reverse=True)
        entries: list[Entry] = []
        seen: set[tuple[str, str]] = set()
        for pos, art in enumerate(ordered):
            host, path = outlet.article_host(art), outlet.article_path(art)
            if (host, path) in seen:  # two articles on one path: keep both reachable
                path = f"{path}-{art.id}"
            seen.add((host, path))
            entries.append(Entry(art, outlet, host, path, pos))
        listed = [e for e in entries if not e.art.reach]
        by_section: dict[str, list[Entry]] = {}
        tags: dict[str, tuple[str, list[Entry]]] = {}
        for e in listed:
            by_section.setdefault(e.art.section, []).append(e)
            for tag in e.art.tags:
                tags.setdefault(slugify(tag), (tag, []))[1].append(e)
        preferred = [s for s in outlet.section_order if s in by_section]
        sections = preferred + sorted(s for s in by_section if s not in preferred)
        if outlet.style == "tribun" and any(e.art.language == "en" for e in entries):
            sections.append("english")  # index of the English edition
            by_section["english"] = [e for e in entries if e.art.language == "en"]
        # "Most read" is a fixed pseudo-random pick: stable across runs, unrelated to recency.
        popular = sorted(listed, key=lambda e: (e.art.id * 2654435761) % 4294967296)[:10]
        site = cls(outlet, entries, sections, by_section, tags,
                   {e.art.id: e for e in entries}, popular)
        site.listed = listed
        site.searchable = [e for e in entries if e.art.reach in ("", "search")]
        site.mapped = [e for e in entries if e.art.reach in ("", "sitemap")]
        for child in (e for e in entries if e.art.reach == "link"):
            # The parent: the listed article of the same topic and language closest in time.
            peers = [e for e in listed if e.art.topic == child.art.topic
                     and e.art.language == child.art.language] or listed
            parent = min(peers, key=lambda e: abs((e.art.published - child.art.published)
                                                  .total_seconds()))
            site.link_children.setdefault(parent.art.id, []).append(child)
        for sec, items in by_section.items():
            if sec != "english":
                site._section_pos.update((e.art.id, i) for i, e in enumerate(items))
        return site

    @property
    def latest(self) -> list[Entry]:
        return self.listed[:10]

    def related(self, entry: Entry, count: int = 8) -> list[Entry]:
        """Neighbours in the same section (older first, then newer), padded from the outlet."""
        same = self.by_section.get(entry.art.section, [])
        i = self._section_pos.get(entry.art.id, 0)
        picks = same[i + 1:i + 1 + count] + same[max(0, i - count):i][::-1]
        if len(picks) < count:
            j = next((i for i, e in enumerate(self.listed) if e.pos >= entry.pos), 0)
            picks += self.listed[j + 1:j + 1 + count] + self.listed[max(0, j - count):j][::-1]
        picks = self.link_children.get(entry.art.id, []) + picks
        out: list[Entry] = []
        seen = {entry.art.id}
        for e in picks:
            if e.art.id not in seen:
                seen.add(e.art.id)
                out.append(e)
            if len(out) == count:
                break
        return out

    def section_host_path(self, section: str) -> tuple[str, str]:
        # The "english" pseudo-section of tribun outlets resolves to /english/ on the main host.
        return self.outlet.host_for(section), self.outlet.section_path(section)
