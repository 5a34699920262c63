"""Titles and dates chosen by mechanism: the look-alikes the golden pages do not cover.

A title loses a leading/trailing segment only with evidence (the outlet's name, the page's
section, the headline the <h1> prints); a date in a card that links to another story is that
story's date, and the date nearest the headline or the text is the page's own.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from pipelines.extract import best_title, parse_html, publication_date, read_meta
from pipelines.titles import drop_framing, printed_headline, section_names

URL = "https://www.panggungkita.test/musik/kabar-k9d2"


def page(head: str = "", body: str = "") -> str:
    return (f'<html><head><meta property="og:site_name" content="Panggung Kita">{head}</head>'
            f"<body>{body}</body></html>")


def title_of(html: str) -> str | None:
    return best_title(read_meta(parse_html(html), URL), None, URL)


def og(title: str) -> str:
    return f'<meta property="og:title" content="{title}">'


SECTION = '<meta property="article:section" content="Musik">'
TEXT = "<p>" + "Isi berita yang cukup panjang untuk menjadi teks utama halaman ini. " * 4 + "</p>"


@pytest.mark.parametrize(("head", "body", "want"), [
    # article:section names the prefix; no <h1> needed
    (og("Musik - Band Keroncong Rilis Album") + SECTION, "", "Band Keroncong Rilis Album"),
    # ... at the end too, after the outlet's name goes
    (og("Band Keroncong Rilis Album | Musik | Panggung Kita") + SECTION, "",
     "Band Keroncong Rilis Album"),
    # the section's name as the real first words, no separator: nothing goes
    (og("Musik Keroncong Bangkit Lagi di Solo") + SECTION, "",
     "Musik Keroncong Bangkit Lagi di Solo"),
    # ... with a separator, but the printed headline has it: nothing goes
    (og("Musik: Jalan Sunyi Sang Maestro Keroncong") + SECTION,
     "<h1>Musik: Jalan Sunyi Sang Maestro Keroncong</h1>",
     "Musik: Jalan Sunyi Sang Maestro Keroncong"),
    # no section known, the printed headline lacks the leading segment: framing
    (og("Viral: Kucing Naik Motor Keliling Kampung"), "<h1>Kucing Naik Motor Keliling Kampung</h1>",
     "Kucing Naik Motor Keliling Kampung"),
    # a dash that belongs to the headline stays, with or without an <h1>
    (og("Rusia - Ukraina Sepakat Gencatan Senjata"), "<h1>Rusia - Ukraina Sepakat Gencatan "
     "Senjata</h1>", "Rusia - Ukraina Sepakat Gencatan Senjata"),
    (og("Rusia - Ukraina Sepakat Gencatan Senjata") + SECTION, "",
     "Rusia - Ukraina Sepakat Gencatan Senjata"),
    # the <h1> is the logo: no evidence, the outlet's name still goes
    (og("Band Keroncong Rilis Album - Panggung Kita"),
     '<h1 class="logo"><a href="/">Panggung Kita</a></h1>', "Band Keroncong Rilis Album"),
    # the <h1> is a short section header, a prefix of every title in the section: no evidence
    (og("Sepak Bola Nasional - Persib Tundukkan Persija di Bandung"),
     "<h1>Sepak Bola Nasional</h1>", "Sepak Bola Nasional - Persib Tundukkan Persija di Bandung"),
    # two headline-long <h1>s: which one is the page's is unknown, so neither is evidence
    (og("Viral: Kucing Naik Motor Keliling Kampung"),
     "<h1>Kucing Naik Motor Keliling Kampung</h1><h1>Berita Lain yang Juga Panjang Sekali</h1>",
     "Viral: Kucing Naik Motor Keliling Kampung"),
    # the section from an HTML breadcrumb whose last item is the story itself
    (og("Musik - Band Keroncong Rilis Album"),
     '<ol class="Breadcrumb"><li><a href="/">Beranda</a></li><li><a href="/musik">Musik</a>'
     "</li><li>Band Keroncong Pelajar Solo Rilis Album Perdana</li></ol>",
     "Band Keroncong Rilis Album"),
    # ... and from JSON-LD: a BreadcrumbList, an article's articleSection
    (og("Musik - Band Keroncong Rilis Album") + '<script type="application/ld+json">'
     '{"@type": "BreadcrumbList", "itemListElement": [{"position": 1, "name": "Beranda"}, '
     '{"position": 2, "item": {"name": "Musik"}}]}</script>', "", "Band Keroncong Rilis Album"),
    (og("Musik - Band Keroncong Rilis Album") + '<script type="application/ld+json">'
     '{"@type": "NewsArticle", "articleSection": ["Musik"]}</script>', "",
     "Band Keroncong Rilis Album"),
])
def test_titles_lose_site_framing_only_on_evidence(head, body, want):
    assert title_of(page(head, body)) == want


def test_framing_is_shorter_than_what_it_frames():
    # A section name that is the whole headline ("Harga BBM Naik" also a breadcrumb item)
    # never leaves the section behind as the title.
    sections = section_names(["Harga BBM Naik"])
    assert drop_framing("Harga BBM Naik - Ekonomi", sections, None) == "Harga BBM Naik - Ekonomi"
    assert printed_headline(["  Panggung   Kita "], ["Panggung Kita"]) is None
    assert printed_headline(["Band Keroncong Rilis Album"]) == "Band Keroncong Rilis Album"


def dated(body: str, url: str = URL) -> tuple[str | None, str | None]:
    meta = read_meta(parse_html(page(body=body)), url)
    return publication_date(meta, url, datetime.fromisoformat("2022-09-03T10:00:00+07:00"))


def card(href: str, headline: str, day: str) -> str:
    return (f'<div class="card"><a href="{href}"><img src="/t.jpg" alt=""></a><div>'
            f'<a href="{href}">{headline}</a><time datetime="{day}">{day}</time></div></div>')


CARDS = (card("/berita/bus-listrik-mulai-layani-rute-baru", "Bus Listrik Mulai Layani Rute Baru",
              "2022-09-01T16:05:00+07:00")
         + card("/kuliner/tahu-bakso-tetap-jadi-oleh-oleh", "Tahu Bakso Tetap Jadi Oleh-oleh",
                "2022-08-31T11:40:00+07:00"))
OWN = '<time datetime="2022-09-02T08:30:00+07:00">2 September 2022 08:30 WIB</time>'


def test_a_page_whose_only_dates_are_in_cards_has_no_visible_date():
    assert dated(f"<h1>Museum Buka Perjalanan Malam Hari</h1><aside>{CARDS}</aside>{TEXT}") == (
        None, None)


def test_a_list_of_links_with_dates_is_a_listing_too():
    items = "".join(f'<li><a href="/berita/{i}">Judul Berita Lain Nomor {i}</a> '
                    f'<span class="date">{i} September 2022</span></li>' for i in (1, 2))
    assert dated(f"<h1>Museum Buka Perjalanan Malam Hari</h1><ul>{items}</ul>{TEXT}") == (
        None, None)


@pytest.mark.parametrize("byline", [
    # the author's name links to their page: a short link, not a story
    f'<div class="byline"><a href="/penulis/galih">Galih Pamungkas</a> {OWN}</div>',
    # the date links to the day's archive
    f'<div class="meta"><a href="/2022/09/02/">{OWN}</a></div>',
    # the date links to the page itself (a permalink)
    f'<div class="meta"><a href="{URL}" rel="bookmark">{OWN}</a></div>',
    # a permalink labelled with the headline beside the date
    f'<div class="meta"><a href="/musik/kabar-k9d2#top">Museum Buka Perjalanan Malam Hari</a>'
    f" {OWN}</div>",
])
def test_the_pages_own_linked_date_is_not_a_card(byline):
    html = f"<h1>Museum Buka Perjalanan Malam Hari</h1>{byline}<aside>{CARDS}</aside>{TEXT}"
    assert dated(html) == ("2022-09-02T08:30:00+07:00", "text")


def test_the_headline_linking_to_the_page_itself_keeps_its_date():
    html = (f'<article><header><h1><a href="{URL}">Museum Buka Perjalanan Malam Hari</a></h1>'
            f"{OWN}</header>{TEXT}</article>")
    assert dated(html) == ("2022-09-02T08:30:00+07:00", "text")


def test_the_date_nearest_the_text_wins_over_an_earlier_one():
    # A date line outside any card (a ticker, today's date) right after the headline, and
    # the story's own at the top of its column, later in the markup.
    html = ('<div class="head"><h1>Museum Buka Perjalanan Malam Hari</h1></div><div class="cols">'
            '<div class="ticker"><span class="date">Sabtu, 3 September 2022</span></div>'
            f'<div class="main"><div class="meta">{OWN}</div><div class="text">{TEXT}</div></div>'
            "</div>")
    assert dated(html) == ("2022-09-02T08:30:00+07:00", "text")


def test_printed_capitalisation_wins_over_the_metadata_s():
    from pipelines.titles import best_title
    printed = "BMKG Prakirakan Hujan Lebat Guyur Jawa Barat Sepekan ke Depan"
    meta = "BMKG prakirakan hujan lebat guyur Jawa Barat sepekan ke depan"
    assert best_title([meta], [], "https://www.kabar.test/x", printed=printed) == printed
    # other words than printed: the metadata's headline stands
    assert best_title([meta], [], "https://www.kabar.test/x", printed="Lain Sekali") == meta
