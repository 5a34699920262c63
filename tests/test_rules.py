"""The extraction rules one by one: dates, titles, URLs, pagination, paragraph clean-up."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from pipelines import dates
from pipelines.cleanup import clean_paragraphs
from pipelines.extract import clean_title
from pipelines.language import detect_language
from pipelines.pagination import SINGLE, page_links, page_of
from pipelines.urls import canonical_url, strip_tracking, url_key

WIB = timezone(timedelta(hours=7))


@pytest.mark.parametrize(("text", "want"), [
    ("Kamis, 06 Jan 2022 14:30 WIB", "2022-01-06T14:30:00+07:00"),
    ("16 Januari 2022, 08:47 WITA", "2022-01-16T08:47:00+08:00"),
    ("Senin, 21 Nop 2022 07:05 WIB", "2022-11-21T07:05:00+07:00"),
    ("Rabu, 17 Agt 2022 | 19:05 WIT", "2022-08-17T19:05:00+09:00"),
    ("Selasa, 2 Ags 2022", "2022-08-02"),
    ("Jum'at, 10 Des 2021 - 09.15 WIB", "2021-12-10T09:15:00+07:00"),
    ("Minggu, 09 Mei 2021", "2021-05-09"),
    ("06/01/2022 14:30 WIB", "2022-01-06T14:30:00+07:00"),
    ("January 6, 2022 10:05", "2022-01-06T10:05:00+07:00"),
    ("2022-01-06 14:30", "2022-01-06T14:30:00+07:00"),
    ("Diperbarui tanpa tanggal", None),
    ("32 Januari 2022", None),
])
def test_visible_dates(text, want):
    assert dates.parse_text(text) == want


@pytest.mark.parametrize(("value", "want"), [
    ("2022-01-06T14:30:00+07:00", "2022-01-06T14:30:00+07:00"),
    ("2022-01-05T03:30:00Z", "2022-01-05T10:30:00+07:00"),
    ("2019-09-28WIB19:17:34+07:00", "2019-09-28T19:17:34+07:00"),
    ("2022-01-06 14:30:00", "2022-01-06T14:30:00+07:00"),
    ("2022-01-06", "2022-01-06"),
    ("bukan tanggal", None),
])
def test_machine_dates_land_in_the_outlet_zone(value, want):
    assert dates.parse_iso(value) == want


@pytest.mark.parametrize(("text", "want"), [
    ("2 jam lalu", "2022-01-08T08:15:00+07:00"),
    ("35 menit yang lalu", "2022-01-08T09:40:00+07:00"),
    ("3 hari lalu", "2022-01-05"),
    ("sejam lalu", "2022-01-08T09:15:00+07:00"),
])
def test_relative_dates_against_the_capture_time(text, want):
    captured = datetime(2022, 1, 8, 10, 15, tzinfo=WIB)
    assert dates.parse_relative(text, captured) == want


@pytest.mark.parametrize(("url", "want"), [
    ("https://x.test/read/2022/01/07/15221301/slug", "2022-01-07"),
    ("https://x.test/nasional/2022-01-09/slug", "2022-01-09"),
    ("https://x.test/berita/d-5901234/slug", None),
    ("https://x.test/2022/13/40/slug", None),
])
def test_dates_in_urls(url, want):
    assert dates.date_from_url(url) == want


@pytest.mark.parametrize(("title", "names", "url", "want"), [
    ("Harga Cabai Naik - Kompas.com", ["Kompas.com"], "", "Harga Cabai Naik"),
    ("Harga Cabai Naik | Republika Online", ["Republika"], "", "Harga Cabai Naik"),
    ("KapanLagi.com: Artis Menikah", [], "https://www.kapanlagi.com/x", "Artis Menikah"),
    ("Rusia - Ukraina Berunding - Harian Langit", ["Harian Langit"], "",
     "Rusia - Ukraina Berunding"),
    ("Sepekan di Almaty Halaman all - Kompas.com", ["Kompas.com"], "", "Sepekan di Almaty"),
    ("Menhub: Tiket Pesawat Mahal", ["Kompas"], "", "Menhub: Tiket Pesawat Mahal"),
])
def test_titles_lose_the_outlet_name_only(title, names, url, want):
    assert clean_title(title, names, url) == want


def test_tracking_parameters_and_fragments_go():
    url = "https://m.x.test/a/2022/01/09/slug?utm_source=fb&fbclid=abc&id=7#komentar"
    assert strip_tracking(url) == "https://m.x.test/a/2022/01/09/slug?id=7"
    assert canonical_url(url) == "https://m.x.test/a/2022/01/09/slug?id=7"
    assert canonical_url("https://amp.x.test/a/amp?utm_medium=social", "/a") == (
        "https://amp.x.test/a")


def test_amp_mobile_and_www_variants_share_one_key():
    keys = {url_key(u) for u in (
        "https://www.x.test/berita/d-1/slug", "https://m.x.test/berita/d-1/slug",
        "https://amp.x.test/berita/d-1/slug/amp", "https://x.test/berita/d-1/slug/?amp=1",
        "https://www.x.test/berita/d-1/slug?utm_source=twitter")}
    assert len(keys) == 1


def test_page_positions():
    assert page_of("https://x.test/a?page=2") == page_of("https://x.test/a?page=2")
    assert page_of("https://x.test/a?page=2").base == "https://x.test/a"
    assert page_of("https://x.test/a?page=all").page == SINGLE
    assert page_of("https://x.test/a?single=1").page == SINGLE
    assert page_of("https://x.test/a/2") is None  # a path suffix needs rel=prev
    assert page_of("https://x.test/a/2", rel_prev=True).page == 2
    links = page_links("https://x.test/a", ["https://x.test/a?page=3", "https://x.test/a?page=2",
                                            "https://x.test/b?page=2"])
    assert links.pages == ((2, "https://x.test/a?page=2"), (3, "https://x.test/a?page=3"))
    assert links.single is None


def test_paragraph_rules_move_bylines_and_drop_furniture():
    paragraphs, byline = clean_paragraphs([
        "Laporan Wartawan Kabar Nusantara, Andi Saputra",
        "JAKARTA - Pemerintah menaikkan anggaran subsidi energi tahun ini, kata menteri.",
        "Baca juga: Harga BBM Naik Lagi",
        "ADVERTISEMENT",
        "SCROLL TO CONTINUE WITH CONTENT",
        "Foto: ANTARA/Fulan",
        "Halaman 1 2",
        "Selanjutnya",
        "JAKARTA - Pemerintah menaikkan anggaran subsidi energi tahun ini, kata menteri.",
        "Editor: Maya Lestari",
        "Sumber: AFP",
        "Copyright © 2022 Kabar Nusantara. All Rights Reserved.",
        "Tags: energi, subsidi",
    ])
    assert paragraphs == [
        "JAKARTA - Pemerintah menaikkan anggaran subsidi energi tahun ini, kata menteri."]
    assert (byline.author, byline.editor, byline.source) == ("Andi Saputra", "Maya Lestari",
                                                             "AFP")


def test_prose_that_merely_starts_like_furniture_stays():
    prose = ["Tagihan listrik warga naik dua kali lipat sejak awal bulan, kata pengurus RT.",
             "Sumber daya alam di kawasan itu dikelola koperasi nelayan setempat sejak 2010."]
    assert clean_paragraphs(prose)[0] == prose


LEAD = "JAKARTA - Pemerintah menaikkan anggaran subsidi energi tahun ini, kata menteri."


# Furniture by family, each beside prose that merely looks like it (True = dropped).
@pytest.mark.parametrize(("line", "furniture"), [
    # credits of pictures, video and graphics
    ("Fotografer: Rudi Harahap", True),
    ("Kameramen: Budi Santoso / Editor Video: Ani", True),
    ("Videografer: ANTARA/Fulan", True),
    ("Desain grafis: Tim Grafis Kabar", True),
    ("Foto: ANTARA/Muhammad Adimaja", True),
    ("Desain: minimalis, dua lantai, dengan halaman belakang yang luas.", False),
    ("Foto-foto itu diambil fotografer lepas di lokasi banjir pada Senin pagi.", False),
    ("Fotografer senior itu memamerkan karyanya di Galeri Nasional sejak Kamis.", False),
    # editorial contact lines
    ("Redaksi: redaksi[at]kabartapanuli.test", True),
    ("Email: redaksi@kabar.test | WA: 0812-3456-7890", True),
    ("Kontak redaksi: (061) 455 1234", True),
    ("Kirim tulisan Anda ke opini(at)kabar(dot)test", True),
    ("Redaksi menerima lebih dari 200 surat pembaca soal kenaikan tarif air.", False),
    ("Warga dapat mengadu lewat surel pengaduan@kota.test atau datang langsung.", False),
    # reaction and vote widgets
    ("Rate artikel ini Like (0) Dislike (0)", True),
    ("Like (12) Dislike (3)", True),
    ("Senang 40% Sedih 10% Marah 50%", True),
    ("Bagaimana reaksi Anda tentang artikel ini?", True),
    ("Saya suka (sekali) dengan hasilnya, kata Rina.", False),
    ("Bagaimana tanggapan Anda soal kenaikan harga BBM?", False),
    ("Nilai tukar rupiah melemah 0,5 persen terhadap dolar AS.", False),
    # syndication notes
    ('Artikel ini telah tayang di SerambiRaya.test dengan judul "Larangan Pukat". Klik untuk'
     ' membaca artikel lainnya.', True),
    ("Artikel ini sudah tayang di Kabar.test dengan judul Harga Cabai Naik", True),
    ("Berita ini telah terbit di Warta.test pada Senin (2/8/2022).", True),
    ("Sumber artikel: Kabar Nusantara", True),
    ("Klik untuk membaca artikel lainnya.", True),
    ("Berita ini menggemparkan warga desa yang sejak lama menolak tambang pasir.", False),
    ("Artikel ini ditulis berdasarkan wawancara dengan tiga petani di Sipirok.", False),
])
def test_furniture_families(line, furniture):
    paragraphs, _ = clean_paragraphs([LEAD, line])
    assert paragraphs == ([LEAD] if furniture else [LEAD, line])


@pytest.mark.parametrize(("lines", "want", "source"), [
    ([LEAD, "(Reuters/AFP)"], [LEAD], "Reuters/AFP"),
    ([LEAD, "(ant)"], [LEAD], "Antara"),
    ([LEAD, "(AP)", "Artikel ini telah tayang di Kabar.test"], [LEAD], "AP"),
    ([LEAD, "(ant/ega)"], [LEAD], "Antara"),
    ([LEAD + " (Reuters)"], [LEAD], "Reuters"),
    # only at the end of the body, and only agencies
    (["(AP)", LEAD], ["(AP)", LEAD], None),
    ([LEAD, "(Persero)"], [LEAD, "(Persero)"], None),
    (["Kantor berita itu, Associated Press (AP)"], ["Kantor berita itu, Associated Press (AP)"],
     None),
    (["Kerja sama kedua negara itu pertama kali dilaporkan kantor berita Reuters (4/7/2022)."],
     ["Kerja sama kedua negara itu pertama kali dilaporkan kantor berita Reuters (4/7/2022)."],
     None),
])
def test_agency_credit_closing_the_body_is_the_source(lines, want, source):
    paragraphs, byline = clean_paragraphs(lines)
    assert (paragraphs, byline.source) == (want, source)


@pytest.mark.parametrize(("line", "author", "editor"), [
    ("Redaktur & Reporter : Yohanes Umbu Tamu", "Yohanes Umbu Tamu", "Yohanes Umbu Tamu"),
    ("Penulis/Editor: Maya Lestari", "Maya Lestari", "Maya Lestari"),
    ("Reporter dan Editor: Andi Saputra", "Andi Saputra", "Andi Saputra"),
    ("Penulis: Andi Saputra | Editor: Maya Lestari", "Andi Saputra", "Maya Lestari"),
    ("Reporter : Andi Saputra", "Andi Saputra", None),
])
def test_combined_role_bylines(line, author, editor):
    paragraphs, byline = clean_paragraphs([LEAD, line])
    assert (paragraphs, byline.author, byline.editor) == ([LEAD], author, editor)


def test_prose_about_reporters_and_editors_stays():
    prose = ["Reporter dan editor media itu diperiksa polisi selama enam jam pada Senin, kata"
             " kuasa hukum mereka kepada wartawan di Jakarta."]
    assert clean_paragraphs(prose) == (prose, clean_paragraphs([])[1])


def test_outlet_phrases_drop_promos_and_cut_glued_prose():
    long = "ADVERTISEMENT " + " ".join(["Warga desa membangun tanggul bersama."] * 10)
    paragraphs, _ = clean_paragraphs(
        [LEAD, "Pilihan Editor : Harga Cabai Naik", "Scroll ke bawah untuk melanjutkan", long],
        ("Pilihan Editor:", "ADVERTISEMENT"))
    assert paragraphs == [LEAD, "Scroll ke bawah untuk melanjutkan", long[len("ADVERTISEMENT "):]]
    assert clean_paragraphs([LEAD, "Pilihan Editor: Harga Cabai Naik"])[0] == [
        LEAD, "Pilihan Editor: Harga Cabai Naik"]


def test_language_is_read_from_the_text():
    malay = ("Kerajaan berkata pihak berkuasa akan mengambil tindakan tegas kerana kes itu "
             "boleh menjejaskan keyakinan rakyat terhadap sistem kewangan negara.")
    indonesian = ("Pemerintah mengatakan aparat akan mengambil tindakan tegas karena kasus itu "
                  "bisa mengganggu kepercayaan masyarakat terhadap sistem keuangan negara.")
    assert detect_language(malay, "id") == "ms"
    assert detect_language(indonesian, "en") == "id"
    assert detect_language("Terlalu pendek", "id") == "id"


def test_extract_cli_prints_the_article_as_json(tmp_path):
    import gzip
    import json
    from pathlib import Path

    from tests.conftest import liputan

    golden = Path(__file__).parent / "golden"
    case = json.loads((golden / "bylines.json").read_text(encoding="utf-8"))
    page = tmp_path / "page.html.gz"
    page.write_bytes(gzip.compress((golden / "bylines.html").read_bytes()))
    result = liputan("extract", str(page), "--url", case["url"], "--json")
    assert result.returncode == 0, result.stderr
    article = json.loads(result.stdout)
    assert article["text"].split("\n\n") == case["paragraphs"]
    assert (article["author"], article["editor"], article["source"]) == (
        "Rina Maharani", "Dedi Kurniawan", "AFP")
    for field in ("title", "published_at", "date_source", "outlet", "language", "canonical_url"):
        assert field in article


def test_extract_cli_errors_are_one_line(tmp_path):
    from tests.conftest import liputan

    binary = tmp_path / "x.bin"
    binary.write_bytes(bytes(range(256)) * 4)
    empty = tmp_path / "empty.html"
    empty.write_text("<html><body></body></html>")
    for args in (["extract", str(binary), "--url", "http://x.test/"],
                 ["extract", str(empty), "--url", "http://x.test/"],
                 ["extract", str(empty), "--url", "http://x.test/", "--captured-at", "kemarin"]):
        result = liputan(*args)
        assert result.returncode == 1
        assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


SCHEMA_TYPES = ["NewsArticle", "Article", "ReportageNewsArticle", "AnalysisNewsArticle",
                "BlogPosting", "OpinionNewsArticle", "BackgroundNewsArticle",
                "ReviewNewsArticle"]


@pytest.mark.parametrize(("head", "is_article"), [
    *[(f'<script type="application/ld+json">{{"@type": "{t}", "headline": "Banjir"}}</script>',
       True) for t in SCHEMA_TYPES],
    ('<script type="application/ld+json">{"@type": ["WebPage", "NewsArticle"]}</script>', True),
    ('<meta property="og:type" content="article">', True),
    ('<meta content="article" property="og:type">', True),
    ('<script type="application/ld+json">{"@type": "WebPage", "name": "Article"}</script>',
     False),
    ('<script type="application/ld+json">{"@type": "Organization"}</script>', False),
    ('<meta property="og:type" content="website">', False),
])
def test_the_spider_and_the_extractor_see_the_same_article(head, is_article):
    from pipelines.articlemark import ARTICLE_TYPES, looks_like_article
    from pipelines.extract import parse_html, read_meta

    page = f"<html><head>{head}</head><body><p>Isi berita.</p></body></html>"
    meta = read_meta(parse_html(page))
    assert looks_like_article(page) is is_article
    assert bool(meta.types & ARTICLE_TYPES or meta.og_type == "article") is is_article


@pytest.mark.parametrize("declared", ["http://[bad", "https://[::1/x", "http://a.test:99999/x"])
def test_unresolvable_canonical_falls_back_to_the_page_url(declared):
    assert canonical_url("https://a.test/x?utm_source=1", declared) == "https://a.test/x"


def _prose(i: int) -> str:
    return f"Paragraf nomor {i} menceritakan bagian lain dari peristiwa yang sama di kota itu."


@pytest.mark.parametrize("order,kept", [
    ([0, 1, 1, 2], [0, 1, 2]),                      # printed twice in a row
    ([0, 1, 2, 3, 1, 4], [0, 1, 2, 3, 4]),          # again three paragraphs on: a glitch
    ([0, 1, 2, 3, 4, 5, 6, 0, 1, 2], [0, 1, 2, 3, 4, 5, 6]),  # the body printed twice
    ([0, 1, 2, 3, 4, 5, 6, 1, 7], [0, 1, 2, 3, 4, 5, 6, 1, 7]),  # the author repeats it
], ids=["adjacent", "near", "whole-body", "far-single"])
def test_template_repeats_go_and_the_authors_stay(order, kept):
    paragraphs, _ = clean_paragraphs([_prose(i) for i in order])
    assert paragraphs == [_prose(i) for i in kept]


@pytest.mark.parametrize("text,furniture", [
    ("Alat terapi temuan mahasiswa diuji di rumah sakit. (Bagus Kurniawan/detikcom)", True),
    ("Staf laboratorium memeriksa sampel di Bangkok. (REUTERS/Chaiwat Subprasom)", True),
    ("Warga antre bantuan di posko. (ANTARA FOTO/Nama Fotografer)", True),
    ("Presiden bertemu menteri di istana, Senin. (ant/ega)", False),  # an editor's mark
    ("Kabar itu dibenarkan juru bicara kepolisian (Reuters/AFP).", False),  # a source
    ("Baca: Tokayev Sebut Kerusuhan Upaya Kudeta", True),
    ("Bacaan sore ini membahas kerusuhan dan dampaknya bagi harga di pasar.", False),
])
def test_photo_captions_and_short_promos(text, furniture):
    from pipelines.cleanup import is_noise_line
    assert is_noise_line(text) is furniture


def test_tempo_closing_credit_names_the_agencies_and_the_writer():
    body = ["Pasukan mulai ditarik dari Almaty pada Kamis pagi, kata juru bicara.",
            "REUTERS | AL JAZEERA | SAVIRA NURHALIZA"]
    paragraphs, byline = clean_paragraphs(body)
    assert paragraphs == body[:1]
    assert (byline.source, byline.author) == ("Reuters", "Savira Nurhaliza")
    # the same shape mid-story, or in small letters, is text
    assert clean_paragraphs(body[::-1])[0] == body[::-1]
