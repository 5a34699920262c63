"""Outlet definitions: hosts, names, markup style and URL scheme of each fictional outlet.

Three markup styles imitate three families of Indonesian portals:
``detik`` (ids in the path), ``kompas`` (timestamped ``/read/`` paths, paginated articles) and
``tribun`` (dated paths, regional subdomain, ``/english/`` edition).
"""

from __future__ import annotations

from dataclasses import dataclass

from .corpus import CorpusArticle

STYLES = ("detik", "kompas", "tribun")

SECTION_LABELS = {
    "berita": "Berita",
    "nasional": "Nasional",
    "internasional": "Internasional",
    "dunia": "Dunia",
    "finance": "Finance",
    "money": "Money",
    "bisnis": "Bisnis",
    "ekonomi": "Ekonomi",
    "sport": "Sport",
    "olahraga": "Olahraga",
    "bola": "Bola",
    "tekno": "Tekno",
    "inet": "Inet",
    "hot": "Hot",
    "hiburan": "Hiburan",
    "seleb": "Seleb",
    "daerah": "Daerah",
    "regional": "Regional",
    "megapolitan": "Megapolitan",
    "otomotif": "Otomotif",
    "oto": "Oto",
    "travel": "Travel",
    "gaya-hidup": "Gaya Hidup",
    "lifestyle": "Lifestyle",
    "kesehatan": "Kesehatan",
    "health": "Health",
    "edukasi": "Edukasi",
    "english": "English",
    "opini": "Opini",
}

# Sections of generated outlets, one list per style (the first is the default section).
GENERATED_SECTIONS = {
    "detik": ("berita", "internasional", "finance", "sport", "inet", "hot", "oto", "travel"),
    "kompas": ("nasional", "internasional", "money", "tekno", "bola", "megapolitan", "edukasi",
               "lifestyle"),
    "tribun": ("nasional", "internasional", "bisnis", "seleb", "sport", "kesehatan", "otomotif",
               "daerah"),
}

TIMEZONE_LABELS = {7: "WIB", 8: "WITA", 9: "WIT"}


@dataclass(frozen=True)
class Outlet:
    key: str
    name: str
    style: str
    host: str
    brand: str  # lower-case brand used in bylines ("Nama - kabarnusantara")
    regional_host: str | None = None
    regional_section: str = "daerah"
    section_order: tuple[str, ...] = ()
    feed_path: str = "/rss"
    chunked_home: bool = False
    search_disallowed: bool = True  # robots.txt keeps crawlers off /cari

    @property
    def hosts(self) -> tuple[str, ...]:
        return (self.host, self.regional_host) if self.regional_host else (self.host,)

    @property
    def home_url(self) -> str:
        return f"http://{self.host}/"

    def host_for(self, section: str) -> str:
        if self.regional_host and section == self.regional_section:
            return self.regional_host
        return self.host

    def section_path(self, section: str) -> str:
        # Always a trailing slash: "/berita" next to "/berita/d-1/x" would be both a file and a
        # directory to mirroring tools (wget --recursive), which then drop the articles.
        return f"/{section}/"

    def section_url(self, section: str) -> str:
        return f"http://{self.host_for(section)}{self.section_path(section)}"

    def article_host(self, art: CorpusArticle) -> str:
        if self.style == "tribun" and art.language == "en":
            return self.host  # the English edition lives on the main host
        return self.host_for(art.section)

    def article_path(self, art: CorpusArticle) -> str:
        p = art.published
        if self.style == "detik":
            return f"/{art.section}/d-{art.id}/{art.slug}"
        if self.style == "kompas":
            return f"/read/{p:%Y/%m/%d/%H%M%S}{art.id % 100:02d}/{art.slug}"
        prefix = "/english" if art.language == "en" else ""
        return f"{prefix}/{art.section}/{p:%Y/%m/%d}/{art.slug}"


def section_label(slug: str) -> str:
    return SECTION_LABELS.get(slug, slug.replace("-", " ").title())


def timezone_label(art_time) -> str:
    offset = art_time.utcoffset()
    hours = int(offset.total_seconds() // 3600) if offset is not None else 7
    return TIMEZONE_LABELS.get(hours, f"UTC{hours:+d}")


# The hand-written web, keyed by corpus file stem.
HANDWRITTEN = {
    "kabarnusantara": Outlet(
        key="kabarnusantara", name="KabarNusantara", style="detik",
        host="www.kabarnusantara.test", brand="kabarnusantara",
        section_order=GENERATED_SECTIONS["detik"], feed_path="/rss",
    ),
    "harianlangit": Outlet(
        key="harianlangit", name="Harian Langit", style="kompas",
        host="news.harianlangit.test", brand="harianlangit",
        regional_host="regional.harianlangit.test",
        section_order=GENERATED_SECTIONS["kompas"] + ("daerah",), feed_path="/feed",
        chunked_home=True,
    ),
    "serojapos": Outlet(
        key="serojapos", name="Seroja Pos", style="tribun",
        host="www.serojapos.test", brand="serojapos",
        regional_host="makassar.serojapos.test",
        section_order=GENERATED_SECTIONS["tribun"], feed_path="/rss",
    ),
}

# The labeled topic web (tests/fixtureweb/topic/): the three outlets above, five more in
# scope, and one a crawl config never names (its links must not be followed).
TOPIC_OUTLETS = {
    "wartabahari": Outlet(
        key="wartabahari", name="Warta Bahari", style="detik", host="www.wartabahari.test",
        brand="wartabahari", section_order=GENERATED_SECTIONS["detik"], feed_path="/rss"),
    "gemarakyat": Outlet(
        key="gemarakyat", name="Gema Rakyat", style="kompas", host="www.gemarakyat.test",
        brand="gemarakyat", section_order=GENERATED_SECTIONS["kompas"], feed_path="/feed"),
    "sinartimur": Outlet(
        key="sinartimur", name="Sinar Timur", style="tribun", host="www.sinartimur.test",
        brand="sinartimur", regional_host="papua.sinartimur.test",
        section_order=GENERATED_SECTIONS["tribun"], feed_path="/rss"),
    "pelitaraya": Outlet(
        key="pelitaraya", name="Pelita Raya", style="detik", host="www.pelitaraya.test",
        brand="pelitaraya", section_order=GENERATED_SECTIONS["detik"], feed_path="/rss"),
    "lintaskhatulistiwa": Outlet(
        key="lintaskhatulistiwa", name="Lintas Khatulistiwa", style="kompas",
        host="news.lintaskhatulistiwa.test", brand="lintaskhatulistiwa",
        section_order=GENERATED_SECTIONS["kompas"], feed_path="/feed"),
    "beritaseberang": Outlet(
        key="beritaseberang", name="Berita Seberang", style="tribun",
        host="www.beritaseberang.test", brand="beritaseberang",
        section_order=GENERATED_SECTIONS["tribun"], feed_path="/rss"),
}
OUT_OF_SCOPE = ("beritaseberang",)

_NAME_HEADS = ("Kabar", "Warta", "Suara", "Harian", "Berita", "Gema", "Lintas", "Sinar", "Pelita",
               "Seroja")
_NAME_TAILS = ("Nusantara", "Pos", "Rakyat", "Timur", "Khatulistiwa", "Merdeka", "Raya", "Bahari")


def outlet_for_stem(stem: str, index: int) -> Outlet:
    """A corpus file whose stem has no hand-written definition still gets an outlet."""
    if stem in HANDWRITTEN:
        return HANDWRITTEN[stem]
    style = STYLES[index % len(STYLES)]
    return Outlet(key=stem, name=stem.replace("-", " ").title(), style=style,
                  host=f"www.{stem}.test", brand=stem, section_order=GENERATED_SECTIONS[style],
                  feed_path="/rss")


def generated_outlets(count: int) -> list[Outlet]:
    """Outlets of a generated web: ``www.outlet01.test`` ... with the three styles in turn.

    Generated outlets have a single host each; the first kompas-style outlet (or the only one)
    sends its homepage chunked, as harianlangit does in the hand-written web.
    """
    outlets = []
    chunked_index = 1 if count > 1 else 0
    for i in range(count):
        style = STYLES[i % len(STYLES)]
        head = _NAME_HEADS[i % len(_NAME_HEADS)]
        tail = _NAME_TAILS[(i // len(_NAME_HEADS) + i) % len(_NAME_TAILS)]
        name = f"{head} {tail}" if i < len(_NAME_HEADS) * len(_NAME_TAILS) else f"{head} {i + 1}"
        key = f"outlet{i + 1:02d}"
        outlets.append(Outlet(
            key=key, name=name, style=style, host=f"www.{key}.test", brand=key,
            section_order=GENERATED_SECTIONS[style],
            feed_path="/feed" if style == "kompas" else "/rss",
            chunked_home=(i == chunked_index),
        ))
    return outlets
