"""Rebuild crawler/data/background-id.tsv from wordfreq's Indonesian word frequencies.

    pip install wordfreq && python crawler/data/build_background.py [OUT]

Not a runtime dependency: the table is committed. wordfreq (Robyn Speer, data under
CC BY-SA 4.0) gives each word's frequency per token in general Indonesian text (subtitles,
Wikipedia, news, web); a word's chance to occur in a news story of DOC_TOKENS tokens is
1 - exp(-f * DOC_TOKENS) (one Poisson draw a token), so its document frequency over
DOCUMENTS stories is that times DOCUMENTS. Words are folded and stemmed as the relevance
model does (crawler/relevance.py `tokens`: news vocabulary kept, it may be part of a
name), and the frequencies of one stem's words summed.
"""

from __future__ import annotations

import math
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from crawler.relevance import BACKGROUND_FILE, Background, tokens  # noqa: E402

DOC_TOKENS = 300  # a typical news story's length in tokens
# Scaled so the rarest listed words (f ~ 1e-6) have a document frequency of about 20: a
# word wordfreq does not list is then rarer than any listed, but not without bound.
DOCUMENTS = 65536


def build() -> Background:
    from wordfreq import get_frequency_dict

    frequency: Counter[str] = Counter()
    for word, f in get_frequency_dict("id", wordlist="small").items():
        found = tokens(word)
        if len(found) == 1:  # a stopword has none; "e-ktp" has two and is left out
            frequency[found[0]] += f
    df = {term: max(1, round(DOCUMENTS * (1 - math.exp(-f * DOC_TOKENS))))
          for term, f in frequency.items()}
    return Background(DOCUMENTS, df)


if __name__ == "__main__":
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else BACKGROUND_FILE
    build().dump(out, min_count=1, note="From wordfreq 3 (small_id, CC BY-SA 4.0) word "
                 "frequencies: python crawler/data/build_background.py")
    print(out)
