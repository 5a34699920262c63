"""Article data: loading the hand-written TOML corpus and generating large synthetic corpora."""

from __future__ import annotations

import random
import re
import tomllib
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

DEFAULT_CORPUS_DIR = Path(__file__).resolve().parent / "corpus"
WIB = timezone(timedelta(hours=7))
KAZAKHSTAN = "kazakhstan-2022"


class CorpusError(ValueError):
    """A corpus file is missing, unreadable or has an article with a bad field."""


@dataclass(frozen=True)
class CorpusArticle:
    outlet: str
    id: int
    section: str
    slug: str
    title: str
    published: datetime
    updated: datetime | None
    author: str
    editor: str
    source: str
    tags: tuple[str, ...]
    topic: str
    language: str
    summary: str
    paragraphs: tuple[str, ...]
    pages: int = 1
    charset_trap: bool = False
    # How the article can be found: "" everywhere; "search" only through the outlet's search
    # page; "sitemap" only in its sitemaps; "link" only through a "Baca juga" link.
    reach: str = ""
    # Links inside the body: (anchor, target article id); the anchor's first occurrence in
    # the paragraphs is rendered as a link to that article, wherever the web serves it.
    links: tuple[tuple[str, int], ...] = ()


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-") or "x"


def _as_datetime(value: object, where: str) -> datetime:
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise CorpusError(f"{where}: expected a TOML offset datetime, got {value!r}")
    return value


def _article(outlet: str, raw: dict, where: str) -> CorpusArticle:
    try:
        paragraphs = tuple(str(p) for p in raw["paragraphs"])
        if not paragraphs:
            raise CorpusError(f"{where}: 'paragraphs' is empty")
        updated = raw.get("updated")
        return CorpusArticle(
            outlet=outlet,
            id=int(raw["id"]),
            section=str(raw["section"]),
            slug=str(raw["slug"]),
            title=str(raw["title"]),
            published=_as_datetime(raw["published"], f"{where} 'published'"),
            updated=_as_datetime(updated, f"{where} 'updated'") if updated else None,
            author=str(raw.get("author", "")),
            editor=str(raw.get("editor", "")),
            source=str(raw.get("source", "")),
            tags=tuple(str(t) for t in raw.get("tags", ())),
            topic=str(raw.get("topic", "")),
            language=str(raw.get("language", "id")),
            summary=str(raw.get("summary", "")),
            paragraphs=paragraphs,
            # A page needs at least one paragraph, so short bodies get fewer pages.
            pages=max(1, min(int(raw.get("pages", 1)), len(paragraphs))),
            charset_trap=bool(raw.get("charset_trap", False)),
            reach=str(raw.get("reach", "")),
            links=_links(raw.get("links", ()), paragraphs, where),
        )
    except KeyError as exc:
        raise CorpusError(f"{where}: missing key {exc.args[0]!r}") from None


def _links(raw: object, paragraphs: tuple[str, ...], where: str) -> tuple[tuple[str, int], ...]:
    links = []
    for link in raw if isinstance(raw, list) else []:
        anchor, target = str(link.get("anchor", "")), link.get("to")
        if not anchor or not any(anchor in p for p in paragraphs) or not isinstance(target, int):
            raise CorpusError(f"{where}: link {link!r} needs an anchor found in the paragraphs"
                              " and an article id 'to'")
        links.append((anchor, target))
    return tuple(links)


def load_corpus(corpus_dir: Path | str | None = None,
                *more: Path | str) -> dict[str, list[CorpusArticle]]:
    """Every ``*.toml`` of the corpus dirs, keyed by outlet: the file stem up to ``--``
    (``wartabahari--h1.toml`` adds to outlet ``wartabahari``)."""
    folder = Path(corpus_dir) if corpus_dir is not None else DEFAULT_CORPUS_DIR
    files = sorted(folder.glob("*.toml"))
    if not files:
        raise CorpusError(f"no *.toml corpus files in {folder}; pass corpus_dir=...")
    files += [f for extra in more for f in sorted(Path(extra).glob("*.toml"))]
    corpus: dict[str, list[CorpusArticle]] = {}
    for path in files:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise CorpusError(f"{path}: {exc}") from exc
        rows = data.get("article", [])
        outlet = path.stem.split("--")[0]
        corpus.setdefault(outlet, []).extend(
            _article(outlet, raw, f"{path.name} article #{i + 1}") for i, raw in enumerate(rows))
    return corpus


# --- generated corpora -------------------------------------------------------------------------

_ID_SUBJECTS = ("Pemerintah", "DPR", "Gubernur", "Warga", "Polisi", "Menteri Keuangan", "BMKG",
                "Pengusaha", "Mahasiswa", "Nelayan", "Petani", "KPK", "Wali Kota", "Bank Indonesia",
                "Pedagang", "Tim Nasional", "Dinas Kesehatan", "Para Guru", "Ojek Daring",
                "Pengamat")
_ID_VERBS = ("Menyoroti", "Menolak", "Mendukung", "Mengkaji", "Mempercepat", "Menunda",
             "Mengumumkan", "Membahas", "Meninjau", "Mengevaluasi", "Menyiapkan", "Mengkritik",
             "Meresmikan", "Memperluas", "Memantau")
_ID_OBJECTS = ("Harga Cabai", "Proyek Jalan Tol", "Subsidi BBM", "Vaksinasi Lanjutan",
               "Banjir Rob", "Anggaran Pendidikan", "Tarif Listrik", "Pasar Tradisional",
               "Kereta Cepat", "Pajak Kendaraan", "Sekolah Tatap Muka", "Pelabuhan Baru",
               "Harga Minyak Goreng", "Bantuan Sosial", "Kuota Haji", "Transportasi Umum",
               "Sampah Plastik", "Upah Minimum")
_ID_PLACES = ("Jakarta", "Surabaya", "Makassar", "Medan", "Bandung", "Semarang", "Denpasar",
              "Palembang", "Balikpapan", "Manado", "Kupang", "Pontianak", "Ambon", "Jayapura",
              "Padang", "Mataram", "Yogyakarta", "Banda Aceh", "Batam", "Kendari")
_KZ_OBJECTS = ("Situasi Almaty", "Krisis Kazakhstan", "Status Darurat Kazakhstan",
               "Evakuasi WNI dari Kazakhstan", "Pasukan CSTO", "Harga Gas di Kazakhstan")
_EN_SUBJECTS = ("Government", "Lawmakers", "Police", "Central Bank", "Residents", "Exporters",
                "Ministry", "Students")
_EN_VERBS = ("Weighs", "Rejects", "Backs", "Reviews", "Delays", "Announces", "Questions")
_EN_OBJECTS = ("Fuel Subsidy", "New Toll Road", "Flood Response", "Minimum Wage", "Port Plan",
               "Vaccine Rollout", "Rice Prices")
_AUTHORS = ("Rina Kusumawati", "Agus Salim Hidayat", "Dewi Lestari Putri", "Bambang Sutrisno",
            "Made Wiratama", "Siti Nurhaliza Rahman", "Yohanes Kebo", "Fitri Handayani",
            "Andi Makkasau", "Teuku Rizal", "Nyoman Sudarsana", "Lusi Pangaribuan")
_GENERIC_TAGS = ("ekonomi", "politik", "cuaca", "transportasi", "pendidikan", "kesehatan",
                 "hukum", "pemilu", "infrastruktur", "pariwisata", "olahraga", "teknologi")


def _title(rng: random.Random, language: str, topic: str) -> str:
    if language == "en":
        return (f"{rng.choice(_EN_SUBJECTS)} {rng.choice(_EN_VERBS)} {rng.choice(_EN_OBJECTS)} "
                f"in {rng.choice(_ID_PLACES)}")
    obj = rng.choice(_KZ_OBJECTS) if topic == KAZAKHSTAN else rng.choice(_ID_OBJECTS)
    return f"{rng.choice(_ID_SUBJECTS)} {rng.choice(_ID_VERBS)} {obj} di {rng.choice(_ID_PLACES)}"


def _summary(paragraph: str) -> str:
    first = re.split(r"(?<=[.!?])\s", paragraph, maxsplit=1)[0]
    return first if len(first) <= 200 else first[:197].rsplit(" ", 1)[0] + "..."


def generate_corpus(
    outlet_sections: dict[str, tuple[str, ...]],
    articles_per_outlet: int,
    seed: int,
    source: dict[str, list[CorpusArticle]],
) -> dict[str, list[CorpusArticle]]:
    """Synthetic articles for each outlet, with bodies recombined from the source corpus.

    Each generated article takes a random source article as its model (language, topic) and draws
    its paragraphs from the pool of that language and topic, so bodies stay on one subject.
    Titles are unique across the whole web; dates spread over 2021-2022 (WIB).
    """
    rng = random.Random(seed)
    models = [a for arts in source.values() for a in arts]
    if not models:
        raise CorpusError("the source corpus has no articles to recombine")
    pools: dict[tuple[str, str], list[str]] = {}
    for art in models:
        pools.setdefault((art.language, art.topic), []).extend(art.paragraphs)
    source_tags = sorted({t for a in models for t in a.tags})
    tag_pool = source_tags + [t for t in _GENERIC_TAGS if t not in source_tags]

    start = datetime(2021, 1, 1, tzinfo=WIB)
    span = int((datetime(2023, 1, 1, tzinfo=WIB) - start).total_seconds())
    used_titles: set[str] = set()
    result: dict[str, list[CorpusArticle]] = {}
    for outlet, sections in outlet_sections.items():
        stamps = sorted(rng.randrange(span) for _ in range(articles_per_outlet))
        arts = []
        for n, stamp in enumerate(stamps):
            model = rng.choice(models)
            pool = pools[(model.language, model.topic)]
            title = _title(rng, model.language, model.topic)
            while title in used_titles:  # combinations run out before 5k: number the rest
                title = f"{_title(rng, model.language, model.topic)} ({rng.randrange(2, 999)})"
            used_titles.add(title)
            count = min(len(pool), rng.randint(4, 12))
            paragraphs = tuple(rng.sample(pool, count))
            published = start + timedelta(seconds=stamp)
            updated = published + timedelta(minutes=rng.randint(5, 300)) if n % 4 == 0 else None
            tags = tuple(rng.sample(tag_pool, min(len(tag_pool), rng.randint(2, 4))))
            arts.append(CorpusArticle(
                outlet=outlet, id=100001 + n, section=sections[rng.randrange(len(sections))],
                slug=slugify(title), title=title, published=published, updated=updated,
                author=rng.choice(_AUTHORS), editor=rng.choice(_AUTHORS) if n % 2 else "",
                source=model.source, tags=tags, topic=model.topic, language=model.language,
                summary=_summary(paragraphs[0]), paragraphs=paragraphs,
                pages=3 if n % 40 == 7 and count >= 6 else 1,
            ))
        result[outlet] = arts
    return result
