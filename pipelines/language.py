"""Which language an article is written in, from its text (py3langid).

`<html lang>` and og:locale are CMS defaults as often as not (Indonesian pages declaring
"en", Malaysian pages declaring "id"), so the text decides. py3langid tells Indonesian from
Malay on a few sentences, needs no model download and takes under 0.5 ms on the sample used.
"""

from __future__ import annotations

import re
from functools import lru_cache

# Every code the text classifier can return: py3langid's model's classes (ISO 639-1, or ISO 639-3
# where a language has no two-letter code, such as ace for Acehnese). A crawl config's
# language must be one of them, or its gate could never pass an article
# (tests/test_config.py checks this list against the model).
LANGUAGES = frozenset((
    "ace", "af", "am", "an", "ar", "ary", "arz", "as", "az", "ba", "bcl", "be", "bg", "bn",
    "br", "bs", "ca", "crh", "cs", "cy", "da", "de", "dz", "el", "en", "eo", "es", "et", "eu",
    "ext", "fa", "fi", "fo", "fr", "fuv", "fy", "ga", "gcf", "gcr", "gd", "gl", "gom", "grc",
    "gu", "gug", "guw", "ha", "hbo", "he", "hi", "hr", "ht", "hu", "hy", "id", "ig", "is", "it",
    "ja", "jv", "ka", "kab", "kik", "kk", "km", "kn", "ko", "ku", "ky", "la", "lb", "lg", "lij",
    "ln", "lo", "lt", "ltg", "lv", "mg", "mk", "ml", "mn", "mr", "ms", "mt", "my", "ne", "nl",
    "nn", "no", "nso", "oc", "om", "or", "pa", "pcm", "pl", "ps", "pt", "qu", "ro", "ru", "rw",
    "sa", "sdh", "se", "si", "sk", "sl", "sn", "so", "sq", "sr", "st", "sv", "sw", "ta", "te",
    "tg", "th", "tk", "tl", "tr", "tt", "ug", "uk", "ur", "uz", "uzs", "vec", "vi", "vo", "wa",
    "wuu", "xh", "yo", "yue", "zh", "zu", "zxx",
))

# Enough text to be sure, little enough to stay cheap: the classifier's cost grows with length.
SAMPLE_CHARS = 600
MIN_CHARS = 40
# The Indonesian and Malay markers are counted in this much of the text: a few paragraphs
# settle it, and counting a long read's every word costs more than the classifier.
MARKER_CHARS = 3000


@lru_cache(maxsize=1)
def _identifier():
    # py3langid's model in half its memory (pipelines/langmodel.py): one copy per worker.
    from pipelines import langmodel

    return langmodel.load()


# Indonesian and Malay share most of their words; these pairs are where the two standards
# spell or say the same thing differently (Indonesian first). py3langid, on a short sample,
# confuses them in both directions: the marker counts of the text's first paragraphs settle it.
_ID_ONLY = re.compile(r"\b(?:karena|bahwa|pemerintah|setelah|uang|saat|mengatakan|tersebut|"
                      r"bisa|kantor|sejak|menurut|ujar|kata|meminta|hingga|warga|polisi|"
                      r"rumah sakit|bulan lalu|sekitar)\b", re.I)
_MS_ONLY = re.compile(r"\b(?:kerana|bahawa|kerajaan|selepas|wang|ketika ini|berkata|iaitu|"
                      r"sahaja|boleh|beliau berkata|semasa|pihak berkuasa|rakyat malaysia|"
                      r"bagaimanapun|sebelum ini|pada masa|hospital|lapangan terbang|"
                      r"kenyataan|disifatkan|mahupun|tentera)\b", re.I)


def detect_language(text: str, declared: str | None = None) -> str | None:
    """ISO 639-1 code of the text's language; the page's declaration when text is too short."""
    sample = " ".join(text[:4 * SAMPLE_CHARS].split())[:SAMPLE_CHARS]
    if len(sample) < MIN_CHARS:
        return declared
    code, _score = _identifier().classify(sample)
    if code in ("id", "ms"):
        head = text[:MARKER_CHARS]
        indonesian, malay = len(_ID_ONLY.findall(head)), len(_MS_ONLY.findall(head))
        if indonesian != malay:
            return "id" if indonesian > malay else "ms"
    return code
