"""The Indonesian-news clean-up around trafilatura.

Rules about how news pages are built, never about one page (the tree-level pass before
trafilatura is `pipelines.pruning`):

* `clean_paragraphs(paragraphs, boilerplate)` after extraction drops furniture lines by
  family (promos, pagination, copyright and tag lines; photo, video and design credits;
  editorial contact lines; reaction and vote widgets; syndication notes; an agency credit
  such as "(Reuters/AFP)" closing the body), repeated paragraphs and repeated bodies, and
  moves bylines ("Penulis:", "Redaktur & Reporter :", "Sumber: AFP") into metadata.
  `boilerplate` holds the outlet's own phrases (its profile's `boilerplate`, passed in as
  data: pipelines never read crawler profiles).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from lxml import etree

from pipelines import dates

# "Baca juga", "Lihat juga", "Simak juga", "Tonton juga", "Simak video", "Saksikan video",
# "Baca selengkapnya", "Baca berita lainnya", "Klik untuk baca"
PROMO_LEAD = re.compile(
    r"^\W*(baca|lihat|simak|tonton|saksikan|cek|klik)"
    r"(\s*:|\s+(juga|pula|video|berita|selengkapnya|artikel|lainnya|di\b|untuk\b|:))", re.I)
PROMO_MAX_WORDS = 45


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


# A site's copyright notice: the mark of its footer, too (pipelines/pruning.py).
_COPYRIGHT = r"copyright\b.*|hak\s+cipta\s+dilindungi.*|©.*|.*\ball\s+rights\s+reserved\.?"
COPYRIGHT_LINE = re.compile(_COPYRIGHT, re.I)
_LINE_DROP = re.compile(
    r"""^(?:
        advertisement|advertisment|iklan|scroll\s+to\s+(continue|resume)(\s+with)?(\s+content)?
      | bagikan(\s+(artikel|berita|ke|via)\b.*)?|share(\s+this)?|salin\s+(tautan|link)
      | loading\.*|memuat\.*|(a\s*){2,3}
      | halaman(\s+\d+)+(\s+selanjutnya)?|halaman\s+(selanjutnya|berikutnya|sebelumnya)
      | (\d+\s+)+selanjutnya|selanjutnya|sebelumnya|berikutnya|next|prev(ious)?
      | tags?|tags?\s*:.*|topik\s*:.*|kata\s+kunci\s*:.*
      | terkini|terpopuler|berita\s+terkini|berita\s+terpopuler|berita\s+terkait|artikel\s+terkait
      | """ + _COPYRIGHT + r"""
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
# A name as credit lines print it: capitalised words, initials, "ANTARA/Fulan", "A & B".
_NAME = r"[A-Z0-9][\w.'’-]*(?:\s*(?:[/&,]|dan)?\s*[A-Z0-9][\w.'’-]*)*"
# The people behind the pictures, video and graphics: "Fotografer: NAME", "Kameramen: NAME
# / Editor Video: NAME", "Desain grafis: NAME". Only names may follow, so "Desain:
# minimalis, dua lantai" (a spec line of a review) stays.
_MEDIA_ROLE = (r"(?i:fotografer|pewarta\s+foto|juru\s+(?:foto|kamera)|kamera(?:wan|man|men)"
               r"|cameraman|videografer|video\s*editor|editor\s+(?:foto|video)"
               r"|penyunting\s+video|desain(?:er)?(?:\s+grafis)?|infografis|ilustrator"
               r"|penata\s+(?:letak|grafis)|produser(?:\s+video)?)")
_CREDIT_ROLE = re.compile(
    rf"^{_MEDIA_ROLE}\s*:\s*{_NAME}(?:\s*[|/,;-]?\s*{_MEDIA_ROLE}\s*:\s*{_NAME})*\.?$")
CREDIT_MAX_WORDS = 25
# Editorial contact lines: "Redaksi: redaksi[at]portal.id", "Email: x@y.id",
# "Kontak: 0812-...". A label and an address; the label alone ("Redaksi menerima ...") is
# prose.
_ADDRESS = (r"[\w.+-]+\s*(?:@|\[\s*at\s*\]|\(\s*at\s*\))\s*[\w-]+"
            r"(?:\s*(?:\.|\[\s*dot\s*\]|\(\s*dot\s*\))\s*[\w-]+)+")
_PHONE = r"(?:\+62|\(0\d{1,3}\)|0)\s*\d[\d\s().-]{6,}"
_CONTACT = re.compile(
    r"^\W*(?:(?:alamat\s+|e-?mail\s+)?redaksi|e-?mail|surel|kontak(\s+redaksi|\s+kami)?"
    r"|hubungi(\s+(kami|redaksi))?|kirim(kan)?\s+(tulisan|berita|artikel|opini|rilis)\w*"
    r"|telepon|telp|tlp|whatsapp|wa)\b[^:]{0,40}?:?\s*"
    rf"(?:.*?\s)?(?:{_ADDRESS}|{_PHONE})", re.I)
CONTACT_MAX_WORDS = 25
# Reaction and vote widgets: "Rate artikel ini Like (0) Dislike (0)", "Senang 0% Sedih 0%",
# "Bagaimana reaksi Anda?". A line of nothing but widget words, with a count or the rating
# prompt; "Saya suka" or "Bagaimana tanggapan Anda soal ...?" (an interview) is prose.
_VOTE_WORD = (r"(?:like|dislike|unlike|suka|tidak\s+suka|senang|sedih|marah|kaget|terkejut"
              r"|terinspirasi|inspiratif|lucu|takut|bangga|kecewa|terhibur|gembira|terharu"
              r"|haru|bahagia|khawatir|cinta|love|wow|ngakak)")
_VOTE_COUNT = r"\s*[(\[]?\s*\d+(?:[.,]\d+)?\s*%?\s*[)\]]?"
_RATE_PROMPT = (r"(?:rate|rating|nilai|beri(?:kan)?\s+(?:nilai|rating))"
                r"(?:\s+(?:artikel|berita|tulisan|konten))?(?:\s+ini)?\s*:?")
_REACTION = re.compile(
    rf"^(?:{_RATE_PROMPT}(?:\s*{_VOTE_WORD}(?:{_VOTE_COUNT})?)*"
    rf"|(?:{_VOTE_WORD}{_VOTE_COUNT}\s*)+"
    r"|(?:bagaimana|apa)\s+reaksi\s+(?:anda|kamu)"
    r"(?:\s+(?:tentang|terhadap|soal|setelah\s+membaca)\s+(?:artikel|berita|tulisan|konten)"
    r"\s+ini)?\s*[?:.]?"
    r"|(?:bagaimana|apa)\s+perasaan\s+(?:anda|kamu)\s+(?:tentang|terhadap|soal|setelah\s+membaca)"
    r"\s+(?:artikel|berita|tulisan|konten)\s+ini\s*[?:.]?"
    r")\s*$", re.I)
# Syndication notes: "Artikel ini telah tayang di X dengan judul "...". Klik untuk membaca
# artikel lainnya.", "Berita ini sudah terbit di X", "Sumber artikel: X". (A bare "Klik untuk
# membaca ..." is a promo: PROMO_LEAD.)
_SYNDICATION = re.compile(
    r"^\W*(?:(?:artikel|berita|tulisan|konten)\s+ini\s+"
    r"(?:(?:telah|sudah|pernah|juga|sebelumnya|lebih\s+dulu)\s+){0,2}"
    r"(?:tayang|terbit|dimuat|diterbitkan|ditayangkan|dipublikasikan)\s+(?:di|pada|dalam)\b"
    r"|sumber\s+(?:artikel|berita|tulisan)\s*:)", re.I)
SYNDICATION_MAX_WORDS = 60
# News agencies as an article's closing credit names them: "(Reuters/AFP)", "(ant)", "(AP)".
AGENCIES = {"reuters": "Reuters", "afp": "AFP", "ap": "AP", "antara": "Antara", "ant": "Antara",
            "xinhua": "Xinhua", "bernama": "Bernama", "kyodo": "Kyodo", "yonhap": "Yonhap",
            "dpa": "dpa", "anadolu": "Anadolu", "tass": "TASS", "sputnik": "Sputnik",
            "efe": "EFE", "ansa": "ANSA", "upi": "UPI", "bloomberg": "Bloomberg", "bbc": "BBC",
            "cnn": "CNN"}
# The parenthesised credit, as a line of its own or closing the last sentence; its parts
# are agencies or an editor's initials ("(ant/ega)"), at least one of them an agency.
_AGENCY_LINE = re.compile(r"^\(\s*([a-z]{2,12}(?:\s*[/,&]\s*[a-z]{2,12})*)\s*\)\.?$", re.I)
_AGENCY_TAIL = re.compile(r"(?<=[.!?\"”])\s+\(\s*([a-z]{2,12}(?:\s*[/,&]\s*[a-z]{2,12})*)"
                          r"\s*\)\.?$", re.I)
_INITIALS = re.compile(r"[a-z]{2,5}", re.I)

_ROLE = {"penulis": "author", "reporter": "author", "pewarta": "author", "wartawan": "author",
         "kontributor": "author", "writer": "author", "author": "author", "editor": "editor",
         "redaktur": "editor", "penyunting": "editor", "sumber": "source", "oleh": "author"}
_ROLE_WORD = "|".join(sorted(_ROLE, key=len, reverse=True))
# One label may name several roles of one person: "Redaktur & Reporter :", "Penulis/Editor:",
# "Reporter dan Editor:".
_ROLES = rf"(?:{_ROLE_WORD})(?:\s*(?:&|/|\+|,|dan|and)\s*(?:{_ROLE_WORD}))*"
_BYLINE_START = re.compile(rf"^\s*(?:{_ROLE_WORD}|laporan)\b", re.I)
# "Penulis: A", "Redaktur & Reporter : A", "Penulis: A | Editor: B" (labels inside the line
# start further credits).
_CREDIT_LABEL = re.compile(rf"\b({_ROLES})\s*:\s*", re.I)
_ROLE_IN_LABEL = re.compile(rf"\b(?:{_ROLE_WORD})\b", re.I)
_BY = re.compile(r"^(oleh)\s+([A-Z][\w.' ]{2,50})$", re.I)
_REPORT_BY = re.compile(r"^laporan\s+(?:wartawan|reporter|koresponden)\b[^,]*,\s*(.+?)\.?$", re.I)
_TRAILING_EDITOR = re.compile(r"\s+(editor|penulis|pewarta|reporter)\s*:\s*([A-Z][\w.' ]{1,40})$")
BYLINE_MAX_WORDS = 8
DATE_LINE_MAX_WORDS = 9
# Only prose repeats are duplicates: list-like lines (menus, recipes, tables) may recur.
_SENTENCE_END = frozenset('.!?"\u201d')


def norm_words(text: str) -> str:
    """Casefolded words only: the key two copies of one paragraph share."""
    return " ".join(re.findall(r"\w+", text.casefold()))


# A photo caption outside <figcaption> ends with its credit: a photographer's name and the
# outlet or agency, "(Bagus Kurniawan/detikcom)", "(REUTERS/Chaiwat Subprasom)",
# "(ANTARA FOTO/Nama)". Initials alone ("(nvc/ega)") are an editor's mark, not a credit.
_CAPTION_CREDIT = re.compile(
    r"\(\s*([^()/]{2,40}?)\s*/\s*([^()/]{2,40}?)\s*\)\.?$")
_NAME = re.compile(r"^[A-Z][\w.'-]*(\s+[A-Z][\w.'-]*)+$")
_CREDIT_HOUSE = re.compile(
    r"^(antara(\s+foto)?|reuters|afp|ap|epa|getty\s+images|dok\.?|dokumentasi|istimewa"
    r"|[\w-]+(\.(com|co\.id|id|net))+|detikcom|kompas\.com|liputan6\.com|tempo)$", re.I)
CAPTION_MAX_WORDS = 40


def is_caption(text: str) -> bool:
    """A short paragraph closed by a photo credit: "(Name Name/outlet)" either way round."""
    match = _CAPTION_CREDIT.search(text)
    if not match or len(text.split()) > CAPTION_MAX_WORDS:
        return False
    a, b = match.group(1).strip(), match.group(2).strip()
    return bool((_CREDIT_HOUSE.match(a) and _NAME.match(b))
                or (_CREDIT_HOUSE.match(b) and _NAME.match(a)))


def is_noise_line(text: str) -> bool:
    """A paragraph that is page furniture, not prose."""
    words = len(text.split())
    if is_caption(text):
        return True
    if words <= 40 and _LINE_DROP.match(text):
        return True
    if words <= CREDIT_MAX_WORDS and (_CREDIT.match(text) or _CREDIT_ROLE.match(text)):
        return True
    if words <= PROMO_MAX_WORDS and PROMO_LEAD.match(text):
        return True
    if words <= CONTACT_MAX_WORDS and _CONTACT.match(text):
        return True
    if words <= BYLINE_MAX_WORDS * 2 and _REACTION.match(text):
        return True
    if words <= SYNDICATION_MAX_WORDS and _SYNDICATION.match(text):
        return True
    # A bare date line ("Selasa, 16 Jun 2015 14:05 WIB") is metadata, read elsewhere.
    return words <= DATE_LINE_MAX_WORDS and dates.parse_text(text) is not None


def agency_credit(text: str, *, glued: bool = False) -> tuple[str | None, str]:
    """(the agencies an "(Reuters/AFP)" credit names, joined by "/"; the text without it).
    `glued`: the credit closes a sentence of the paragraph rather than standing alone.
    (None, text) when there is no such credit."""
    match = (_AGENCY_TAIL.search if glued else _AGENCY_LINE.match)(text)
    if not match:
        return None, text
    parts = re.split(r"\s*[/,&]\s*", match.group(1).lower())
    agencies = [AGENCIES[p] for p in parts if p in AGENCIES]
    if not agencies or not all(p in AGENCIES or _INITIALS.fullmatch(p) for p in parts):
        return None, text
    return "/".join(dict.fromkeys(agencies)), text[: match.start()].rstrip()


def _byline(text: str, byline: Byline) -> bool:
    """Move a "Penulis: X" / "Redaktur & Reporter : X" / "Laporan Wartawan ..., X" line
    into `byline`."""
    if _CREDIT_LABEL.match(text):
        labels = list(_CREDIT_LABEL.finditer(text))
        if len(text.split()) > (BYLINE_MAX_WORDS + 2) * len(labels):
            return False
        for label, after in zip(labels, [*labels[1:], None], strict=True):
            name = text[label.end(): after.start() if after else len(text)].strip(" .,;|-–")
            if not name or len(name.split()) > BYLINE_MAX_WORDS:
                continue
            for word in _ROLE_IN_LABEL.findall(label.group(1)):
                role = _ROLE[word.lower()]
                if getattr(byline, role) is None:
                    setattr(byline, role, name)
        return True
    if len(text.split()) > BYLINE_MAX_WORDS + 2:
        return False
    match = _BY.match(text)
    if match:
        byline.author = byline.author or match.group(2).strip(" .,;")
        return True
    match = _REPORT_BY.match(text)
    if match:
        byline.author = byline.author or match.group(1).strip(" .,;")
        return True
    return False


@lru_cache(maxsize=256)
def outlet_phrases(boilerplate: tuple[str, ...]) -> re.Pattern[str] | None:
    """The outlet's own furniture phrases (its profile's `boilerplate`) as one pattern
    matching a paragraph that starts with one, spacing and case aside ("Baca Juga :")."""
    alternatives = []
    for phrase in boilerplate:
        tokens = re.findall(r"\w+|[^\w\s]", phrase)
        if tokens:
            tail = r"(?!\w)" if re.match(r"\w", tokens[-1]) else ""
            alternatives.append(r"\s*".join(map(re.escape, tokens)) + tail)
    if not alternatives:
        return None
    return re.compile(rf"^\W*?(?:{'|'.join(alternatives)})\s*", re.I)


def clean_paragraphs(paragraphs: list[str], boilerplate: tuple[str, ...] = ()
                     ) -> tuple[list[str], Byline]:
    """Article paragraphs without furniture, repeats and bylines; the bylines found.

    A paragraph starting with one of the outlet's `boilerplate` phrases is a promo or a
    widget: dropped whole when short (up to PROMO_MAX_WORDS, like "Baca juga"). A longer
    one is prose the page glued to it ("ADVERTISEMENT JAKARTA - ..."): only the phrase goes.
    """
    byline = Byline()
    kept: list[str] = []
    repeats: list[int] = []  # paragraphs since the first copy of a prose paragraph, else 0
    seen: dict[str, int] = {}
    own = outlet_phrases(tuple(boilerplate))
    closing: tuple[int, str] | None = None  # an agency credit dropped as noise ("(ant/ega)")
    for raw in paragraphs:
        text = " ".join(raw.split())
        if not text:
            continue
        if is_noise_line(text):
            if (source := agency_credit(text)[0]) is not None:
                closing = (len(kept), source)
            continue
        if _byline(text, byline):
            continue
        if own is not None and (phrase := own.match(text)):
            if len(text.split()) <= PROMO_MAX_WORDS:
                continue
            text = text[phrase.end():]
        match = _TRAILING_EDITOR.search(text)
        if match and len(text.split()) > BYLINE_MAX_WORDS:
            role = _ROLE[match.group(1).lower()]
            if getattr(byline, role) is None:
                setattr(byline, role, match.group(2).strip())
            text = text[: match.start()].rstrip()
        key = norm_words(text)
        prose = len(key) >= 40 and text[-1] in _SENTENCE_END
        repeats.append(len(kept) - seen[key] if prose and key in seen else 0)
        seen.setdefault(key, len(kept))
        kept.append(text)
    survivors = _without_template_repeats(repeats)
    after_credit = closing is not None and not any(i >= closing[0] for i in survivors)
    kept = [kept[i] for i in survivors]
    _drop_closing_agency(kept, byline)
    if after_credit and closing is not None:
        byline.source = byline.source or closing[1]
    return kept, byline


# A copy this close to its first is a CMS glitch (a block printed twice around an ad slot).
REPEAT_NEAR = 3


def _without_template_repeats(repeats: list[int]) -> list[int]:
    """Indexes of the paragraphs to keep. A repeat of a prose paragraph is a CMS or template
    duplicate when it comes within REPEAT_NEAR paragraphs of its copy or in a run of repeats
    (a whole body printed twice, as in the seed texts); a repeat far from its copy and alone
    is the author's (a recipe listed again at the end, one answer given to two questions)
    and stays."""
    keep = []
    for i, since in enumerate(repeats):
        if since and (since <= REPEAT_NEAR
                      or (i > 0 and repeats[i - 1])
                      or (i + 1 < len(repeats) and repeats[i + 1])):
            continue
        keep.append(i)
    return keep


# Tempo's closing credit: the agencies, then who wrote it up, in capitals ("REUTERS | AL
# JAZEERA | NAMA PENULIS").
_PIPE_CREDIT_MAX_WORDS = 4


def pipe_credit(text: str) -> tuple[str, str | None] | None:
    """(agencies joined by "/", the writer or None) of a closing "REUTERS | NAME" line."""
    parts = [p.strip() for p in text.split("|")]
    if len(parts) < 2 or not text.isupper() or any(
            not p or len(p.split()) > _PIPE_CREDIT_MAX_WORDS for p in parts):
        return None
    agencies = [AGENCIES[p.lower()] for p in parts if p.lower() in AGENCIES]
    if not agencies:
        return None
    writer = parts[-1] if parts[-1].lower() not in AGENCIES else None
    return "/".join(dict.fromkeys(agencies)), writer.title() if writer else None


def _drop_closing_agency(kept: list[str], byline: Byline) -> None:
    """The agency credit closing the body ("(Reuters/AFP)" after the last paragraph, or
    "... katanya. (ant)", or "REUTERS | NAME") is the story's source, not text. Only there:
    a parenthesised name mid-story may be prose."""
    while kept:
        source, _ = agency_credit(kept[-1])
        if source is None and (piped := pipe_credit(kept[-1])) is not None:
            source, writer = piped
            byline.author = byline.author or writer
        if source is None:
            break
        kept.pop()
        byline.source = byline.source or source
    if kept:
        source, rest = agency_credit(kept[-1], glued=True)
        if source is not None:
            kept[-1] = rest
            byline.source = byline.source or source


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
