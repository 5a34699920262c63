"""The compact language model (pipelines/langmodel.py) decides as py3langid's own does, in
less memory."""

from __future__ import annotations

import subprocess
import sys

import pytest
from py3langid.langid import MODEL_FILE, LanguageIdentifier

from pipelines import langmodel
from pipelines.language import SAMPLE_CHARS, _identifier
from tests.conftest import REPO
from tests.fixtureweb.corpus import load_corpus

# Our own sentences in languages a crawl of Indonesian news meets (and a few it should not).
SENTENCES = [
    "Warga desa bergotong royong membersihkan saluran air sebelum musim hujan tiba.",
    "Kerajaan negeri akan menyalurkan bantuan kepada mangsa banjir di kawasan pedalaman.",
    "The ministry said the new rules would apply to every port from next month.",
    "Wong-wong padha nglumpuk ing alun-alun kanggo nonton pagelaran wayang kulit.",
    "Urang kampung ngariung di bale desa pikeun nyawalakeun pembangunan jalan.",
    "Ang mga mangingisda ay hindi nakalabas sa dagat dahil sa malakas na bagyo.",
    "De regering heeft besloten de belasting op brandstof tijdelijk te verlagen.",
    "Правительство объявило о новых мерах поддержки малого бизнеса.",
    "政府宣布从下个月起提高最低工资标准。",
    "وقالت الوزارة إن القرار سيطبق على جميع الموانئ",
    "PRESIDEN MEMINTA SEMUA KEMENTERIAN MENGHEMAT ANGGARAN PERJALANAN DINAS.",
    "Harga cabai di Pasar Induk naik 20% — pedagang: pasokan dari Jawa Tengah seret 🌶️",
    "", "a", "12345 67890", "!!!???",
]


def _texts() -> list[str]:
    texts = list(SENTENCES)
    for articles in load_corpus().values():
        for article in articles:
            body = " ".join(" ".join(article.paragraphs).split())
            texts += [body[:SAMPLE_CHARS], body[:60], body[SAMPLE_CHARS:3 * SAMPLE_CHARS],
                      f"{article.title}. {body}"]
    return texts


@pytest.fixture(scope="module")
def reference() -> LanguageIdentifier:
    return LanguageIdentifier.from_model_file(MODEL_FILE)


def test_the_compact_model_decides_as_py3langid_does(reference):
    compact = _identifier()
    assert isinstance(compact, langmodel.CompactIdentifier)
    texts = _texts()
    assert len(texts) > 200
    for text in texts:
        ours, theirs = compact.classify(text), reference.classify(text)
        assert ours[0] == theirs[0], text
        assert ours[1] == pytest.approx(theirs[1], rel=1e-5), text


def test_bytes_and_broken_encodings_are_read_as_py3langid_reads_them(reference):
    compact = _identifier()
    for raw in (b"Pemerintah daerah menaikkan tarif air bersih.",
                "Kabar gembira bagi petani kopi".encode("utf-16"), b"\xff\xfe\x00garbage\x80",
                bytes(range(256))):
        assert compact.classify(raw)[0] == reference.classify(raw)[0]


def test_the_model_loads_in_half_of_py3langids_memory():
    # Peak resident memory a load adds to a process (VmHWM: transient copies count too).
    code = ("import numpy, py3langid.langid as L\n"
            "def hwm():\n"
            "    return next(int(l.split()[1]) for l in open('/proc/self/status')"
            " if l.startswith('VmHWM')) >> 10\n"
            "before = hwm()\n"
            "{load}\n"
            "print(hwm() - before)")
    costs = {}
    for name, load in (("compact", "from pipelines import langmodel; langmodel.load()"),
                       ("py3langid", "L.LanguageIdentifier.from_model_file(L.MODEL_FILE)")):
        result = subprocess.run([sys.executable, "-c", code.format(load=load)], cwd=REPO,
                                capture_output=True, text=True, check=True)
        costs[name] = int(result.stdout)
    assert costs["compact"] * 2 < costs["py3langid"], costs
