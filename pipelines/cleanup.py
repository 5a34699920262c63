"""The Indonesian-news clean-up around trafilatura.

Rules about how news pages are built, never about one page (the tree-level pass before
trafilatura is `pipelines.pruning`):

* `clean_paragraphs(paragraphs)` after extraction drops promo, pagination, photo-credit,
  copyright and tag lines, repeated paragraphs and repeated bodies, and moves bylines
  ("Penulis:", "Editor:", "Sumber: AFP") into metadata.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml import etree

from pipelines import dates

# "Baca juga", "Lihat juga", "Simak juga", "Tonton juga", "Simak video", "Saksikan video",
# "Baca selengkapnya", "Baca berita lainnya", "Klik untuk baca"
PROMO_LEAD = re.compile(
    r"^\W*(baca|lihat|simak|tonton|saksikan|cek|klik)\s+"
    r"(juga|pula|video|berita|selengkapnya|artikel|lainnya|di\b|untuk\b|:)", re.I)
PROMO_MAX_WORDS = 45


_BYLINE_START = re.compile(
    r"^\s*(penulis|reporter|pewarta|wartawan|kontributor|editor|redaktur|penyunting|sumber"
    r"|oleh|laporan)\b", re.I)


def page_bylines(tree: etree._Element) -> Byline:
    """Credit lines anywhere on the page ("Editor: X" in a credits box that pruning or
    trafilatura drops), read before pruning."""
    byline = Byline()
    body = tree.find("body")
    if body is None:
        return byline
    for el in body.iter("p", "div", "span", "li", "strong"):
        if el.text and _BYLINE_START.match(el.text):
            text = " ".join("".join(el.itertext()).split())
            _byline(text, byline)
    return byline


# -- paragraph rules --------------------------------------------------------------------------
@dataclass
class Byline:
    author: str | None = None
    editor: str | None = None
    source: str | None = None


_LINE_DROP = re.compile(
    r"""^(?:
        advertisement|advertisment|iklan|scroll\s+to\s+(continue|resume)(\s+with)?(\s+content)?
      | bagikan(\s+(artikel|berita|ke|via)\b.*)?|share(\s+this)?|salin\s+(tautan|link)
      | loading\.*|memuat\.*|(a\s*){2,3}
      | halaman(\s+\d+)+(\s+selanjutnya)?|halaman\s+(selanjutnya|berikutnya|sebelumnya)
      | (\d+\s+)+selanjutnya|selanjutnya|sebelumnya|berikutnya|next|prev(ious)?
      | tags?|tags?\s*:.*|topik\s*:.*|kata\s+kunci\s*:.*
      | terkini|terpopuler|berita\s+terkini|berita\s+terpopuler|berita\s+terkait|artikel\s+terkait
      | copyright\b.*|hak\s+cipta\s+dilindungi.*|©.*|.*\ball\s+rights\s+reserved\.?
      | ikuti\s+(kami|kanal|berita|akun|update).*|follow\s+us\b.*
      | (cek|simak)\s+(berita|update|informasi)\b.*\b(google\s+news|whatsapp|telegram).*
      | dapatkan\s+(update|berita|info|informasi|notifikasi|artikel)\b.*
      | \[gambas:[^\]]*\]
      | \(\s*[a-z]{2,5}(\s*/\s*[a-z]{2,5})+\s*\)   # detik initials "(nvc/ega)"
    )\s*$""",
    re.I | re.X,
)
# Photo credits and captions: "Foto: ANTARA/Fulan", "FOTO: ...", "(KOMPAS.com/NAMA)",
# "Ilustrasi ... (Dok. Istimewa)", "Sumber foto: ...".
_CREDIT = re.compile(
    r"""^(?:
        (foto|photo|sumber\s+foto|kredit\s+foto|dok(umentasi)?|grafis|video|ilustrasi)\s*[:.|].*
      | \(?\s*(antara(\s+foto)?|[a-z0-9 .]+\.(com|id|co\.id)|dok\.?|istimewa)\s*/[^)]*\)?\.?
      | ilustrasi\b.*\((dok\.?|foto|istimewa|shutterstock|freepik|pexels|unsplash)[^)]*\)\.?
    )$""",
    re.I | re.X,
)
_BYLINE = re.compile(
    r"^(penulis|reporter|pewarta|wartawan|kontributor|editor|redaktur|penyunting|sumber"
    r"|writer|author|oleh)\s*:\s*(.+?)\.?$|^(oleh)\s+([A-Z][\w.' ]{2,50})$", re.I)
_REPORT_BY = re.compile(r"^laporan\s+(?:wartawan|reporter|koresponden)\b[^,]*,\s*(.+?)\.?$", re.I)
_TRAILING_EDITOR = re.compile(r"\s+(editor|penulis|pewarta|reporter)\s*:\s*([A-Z][\w.' ]{1,40})$")
_ROLE = {"penulis": "author", "reporter": "author", "pewarta": "author", "wartawan": "author",
         "kontributor": "author", "writer": "author", "author": "author", "editor": "editor",
         "redaktur": "editor", "penyunting": "editor", "sumber": "source", "oleh": "author"}
BYLINE_MAX_WORDS = 8
DATE_LINE_MAX_WORDS = 9
# Only prose repeats are duplicates: list-like lines (menus, recipes, tables) may recur.
_SENTENCE_END = frozenset('.!?"\u201d')


def norm_words(text: str) -> str:
    """Casefolded words only: the key two copies of one paragraph share."""
    return " ".join(re.findall(r"\w+", text.casefold()))


def is_noise_line(text: str) -> bool:
    """A paragraph that is page furniture, not prose."""
    words = len(text.split())
    if words <= 40 and _LINE_DROP.match(text):
        return True
    if words <= 25 and _CREDIT.match(text):
        return True
    if words <= PROMO_MAX_WORDS and PROMO_LEAD.match(text):
        return True
    # A bare date line ("Selasa, 16 Jun 2015 14:05 WIB") is metadata, read elsewhere.
    return words <= DATE_LINE_MAX_WORDS and dates.parse_text(text) is not None


def _byline(text: str, byline: Byline) -> bool:
    """Move a "Penulis: X" / "Laporan Wartawan ..., X" line into `byline`."""
    if len(text.split()) > BYLINE_MAX_WORDS + 2:
        return False
    match = _BYLINE.match(text)
    if match:
        label, name = (match.group(1), match.group(2)) if match.group(1) else match.group(3, 4)
        role = _ROLE[label.lower()]
        name = name.strip(" .,;")
        if name and len(name.split()) <= BYLINE_MAX_WORDS and getattr(byline, role) is None:
            setattr(byline, role, name)
        return True
    match = _REPORT_BY.match(text)
    if match:
        byline.author = byline.author or match.group(1).strip(" .,;")
        return True
    return False


def clean_paragraphs(paragraphs: list[str]) -> tuple[list[str], Byline]:
    """Article paragraphs without furniture, repeats and bylines; the bylines found."""
    byline = Byline()
    kept: list[str] = []
    seen: set[str] = set()
    for raw in paragraphs:
        text = " ".join(raw.split())
        if not text or is_noise_line(text) or _byline(text, byline):
            continue
        match = _TRAILING_EDITOR.search(text)
        if match and len(text.split()) > BYLINE_MAX_WORDS:
            role = _ROLE[match.group(1).lower()]
            if getattr(byline, role) is None:
                setattr(byline, role, match.group(2).strip())
            text = text[: match.start()].rstrip()
        key = norm_words(text)
        # A repeat of a paragraph long enough to be prose is a CMS or template duplicate
        # (the seed texts repeat whole bodies); short lines ("Ya.") may legitimately recur.
        if len(key) >= 40 and key in seen and text[-1] in _SENTENCE_END:
            continue
        seen.add(key)
        kept.append(text)
    return kept, byline


# A line of a plain-text copy of an article this short and not ending as a sentence is a
# label the copy kept from its page ("Breaking News", "Berita Luar Negeri", "Straits Times").
LABEL_MAX_WORDS = 5
HEAD_LABEL_WORDS = 3  # above the headline, labels are shorter still


def clean_text(text: str) -> str:
    """A plain-text copy of an article (its headline on the first line, as copied from a
    browser) without the page's furniture: the same line rules as extraction
    (`clean_paragraphs`), and short label lines dropped. The headline is kept."""
    lines = [" ".join(line.split()) for line in text.splitlines()]
    lines = [line for line in lines if line]
    while len(lines) > 1 and len(lines[0].split()) <= HEAD_LABEL_WORDS:
        lines.pop(0)  # a section label above the headline ("Breaking News")
    if not lines:
        return ""
    body, _ = clean_paragraphs(lines[1:])
    body = [line for line in body
            if len(line.split()) > LABEL_MAX_WORDS or line[-1] in _SENTENCE_END]
    return "\n\n".join([lines[0], *body])
