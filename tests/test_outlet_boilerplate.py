"""An outlet profile's `boilerplate` phrases reach extraction: the crawl's workers, `reindex`
(the same worker function) and `liputan extract` look up the profile of the page's host and
pass its phrases as data to the line rules (pipelines never import crawler code)."""

from __future__ import annotations

import json

import pytest

from crawler.components import workers
from crawler.outlets import OutletProfile, find_profiles, known_outlets
from pipelines.extract import analyse_page
from tests.conftest import liputan

PROMO = "Pilihan Editor: Harga Cabai Rawit Kembali Naik Menjelang Lebaran"
PROSE = [
    "JAKARTA - Kelompok nelayan di pesisir utara Jakarta mulai memakai alat pendingin bertenaga"
    " surya untuk menyimpan hasil tangkapan. Alat itu dibeli dengan dana koperasi setelah"
    " harga es balok naik dua kali dalam setahun terakhir.",
    "Ketua koperasi, Samsul Bahri, mengatakan ikan kini bisa disimpan hingga tiga hari tanpa"
    " kehilangan mutu. Nelayan tidak lagi terpaksa menjual tangkapan kepada tengkulak dengan"
    " harga murah pada sore hari.",
    "Dinas kelautan setempat berencana menambah dua unit pendingin serupa tahun depan dan"
    " melatih anggota koperasi merawat panel surya agar alat itu bertahan lama.",
]
PAGE = f"""<!doctype html><html lang="id"><head><title>Nelayan Pakai Pendingin Surya</title>
<script type="application/ld+json">{{"@type": "NewsArticle",
 "headline": "Nelayan Pakai Pendingin Surya", "datePublished": "2022-03-01T09:00:00+07:00"}}
</script></head><body><article><h1>Nelayan Pakai Pendingin Surya</h1>
<p>{PROSE[0]}</p><p>{PROSE[1]}</p><p>{PROMO}</p><p>{PROSE[2]}</p>
</article></body></html>""".encode()
URL = "https://www.tempo.co/ekonomi/nelayan-pakai-pendingin-surya-123"


def paragraphs(analysis) -> list[str]:
    assert analysis.kind == "article"
    return analysis.article.text.split("\n\n")


def test_a_profile_phrase_drops_its_paragraph_and_only_with_it():
    assert paragraphs(analyse_page(PAGE, URL, "text/html")) == [*PROSE[:2], PROMO, PROSE[2]]
    assert paragraphs(analyse_page(PAGE, URL, "text/html",
                                   boilerplate=("Pilihan Editor:",))) == PROSE


def test_the_outlet_of_a_host_gives_its_phrases():
    outlets = known_outlets()
    tempo = outlets.boilerplate_for(URL)
    assert "Pilihan Editor:" in tempo
    kompas = find_profiles(["kompas"])[0]
    assert outlets.boilerplate_for("https://regional.kompas.com/read/2022/1/1/x") == (
        kompas.boilerplate)
    assert outlets.boilerplate_for("https://www.example.test/berita/1") == ()
    # A crawl's own profile wins for its hosts.
    own = OutletProfile(key="tempo", name="Tempo uji", domains=("tempo.co",),
                        home="https://www.tempo.co/", boilerplate=("Telusuri",))
    assert known_outlets([own]).boilerplate_for(URL) == ("Telusuri",)


@pytest.fixture
def worker_outlets():
    yield
    workers.set_focus(None)


def test_the_crawl_workers_apply_the_crawl_outlets_phrases(worker_outlets):
    own = OutletProfile(key="nelayan", name="Kabar Nelayan", domains=("nelayan.test",),
                        home="http://nelayan.test/", boilerplate=("Pilihan Editor",))
    url = "http://www.nelayan.test/berita/1"
    workers.set_focus(None, known_outlets([own]))
    assert paragraphs(workers.analyse_in_worker(PAGE, url, "text/html")) == PROSE
    # Without the crawl's profiles (reindex): the bundled ones, which know no nelayan.test.
    workers.set_focus(None)
    assert PROMO in paragraphs(workers.analyse_in_worker(PAGE, url, "text/html"))
    assert paragraphs(workers.analyse_in_worker(PAGE, URL, "text/html")) == PROSE


def test_extract_cli_looks_up_the_outlet_of_the_url(tmp_path):
    page = tmp_path / "page.html"
    page.write_bytes(PAGE)
    for url, want in ((URL, PROSE), ("https://www.example.test/berita/1",
                                     [*PROSE[:2], PROMO, PROSE[2]])):
        result = liputan("extract", str(page), "--url", url, "--json")
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout)["text"].split("\n\n") == want
