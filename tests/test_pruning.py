"""Pruning removes what a page shows to be furniture, not what a class name suggests, and the
fallback judges a pass by its quality. Pages are built here, in our own words."""

from __future__ import annotations

import pytest

from pipelines.extract import extract_article

URL = "https://www.kabarcontoh.test/read/2022/05/09/1001/kapal-cepat-kembali-berlayar"
SENTENCE = ("Kapal cepat rute Pontianak ke Ketapang kembali berlayar setiap hari mulai pekan "
            "depan setelah dua tahun hanya tiga kali seminggu, kata petugas pelabuhan.")


def story(n: int = 5, tag: str = "p") -> str:
    return "".join(f"<{tag}>Kalimat {i}. {SENTENCE}</{tag}>" for i in range(n))


def page(body: str, *, head: str = "", og_type: str = "article") -> str:
    return (f"<html><head><title>Kapal Cepat Kembali Berlayar - Kabar Contoh</title>"
            f'<meta property="og:type" content="{og_type}">{head}</head><body>'
            f"<h1>Kapal Cepat Kembali Berlayar</h1>{body}</body></html>")


def text_of(html: str) -> str:
    article = extract_article(html, URL)
    assert article is not None
    return article.text


def teasers(n: int, tag: str = "div", cls: str = "item") -> str:
    return "".join(
        f'<{tag} class="{cls}"><a href="https://www.kabarcontoh.test/read/{i}/lain">'
        f"Berita lain nomor {i} tentang harga beras</a><p>Ringkasan berita lain nomor {i} "
        f"tentang harga beras dan cabai di pasar tradisional kota.</p></{tag}>"
        for i in range(n))


# -- names alone decide nothing -----------------------------------------------------------------
@pytest.mark.parametrize("cls", ["item-caption", "entry__subtitle", "widget-text",
                                 "post-comment", "author-box", "standfirst"])
def test_story_in_a_container_named_like_furniture_is_kept(cls: str) -> None:
    assert text_of(page(f'<div class="{cls}">{story()}</div>')).count("Kalimat") == 5


@pytest.mark.parametrize("widget", [
    '<div class="share-bar"><a href="/fb">Facebook</a> <a href="/tw">Twitter</a></div>',
    '<div class="tags"><a href="/t/kapal">Kapal Cepat</a> <a href="/t/ktp">Ketapang</a></div>',
    '<div class="rating">Nilai artikel ini: 4 dari 5</div>',
])
def test_named_widget_whose_content_agrees_goes(widget: str) -> None:
    text = text_of(page(f"<article>{story()}{widget}</article>"))
    assert "Facebook" not in text and "Ketapang</a>" not in text and "Nilai" not in text


# -- listings by their shape ----------------------------------------------------------------------
@pytest.mark.parametrize("tag,cls", [("div", "item"), ("li", "card"), ("article", "post")])
def test_listing_cards_go_whatever_their_markup(tag: str, cls: str) -> None:
    cards = teasers(12, tag, cls)
    if tag == "li":
        cards = f"<ul>{cards}</ul>"
    # the list holds more paragraph text than the story
    text = text_of(page(f'<div class="isi">{story(3)}</div><div class="box">'
                        f'<div class="box-title">Berita Lainnya</div>{cards}</div>'))
    assert text.count("Kalimat") == 3
    assert "Berita lain" not in text and "Ringkasan" not in text and "Lainnya" not in text


def test_a_list_of_facts_in_the_story_stays() -> None:
    facts = "<ul>" + "".join(f"<li>Dermaga {i} dibuka pukul {6 + i} pagi.</li>"
                             for i in range(5)) + "</ul>"
    text = text_of(page(f"<article>{story(3)}{facts}</article>"))
    assert all(f"Dermaga {i} dibuka" in text for i in range(5))


def test_a_results_table_with_linked_names_stays() -> None:
    rows = "".join(f'<tr><td><a href="/atlet/{i}">Atlet Nomor {i}</a></td><td>{90 - i} poin</td>'
                   "</tr>" for i in range(6))
    text = text_of(page(f"<article>{story(3)}<table>{rows}</table></article>"))
    assert all(f"Atlet Nomor {i} {90 - i} poin" in text for i in range(6))


def test_site_footer_goes_with_its_copyright_notice() -> None:
    footer = ('<div class="bawah"><p>Kabar Contoh - Jl. Merdeka No. 1, Pontianak. Telepon '
              '(0561) 555 01.</p><p><a href="/redaksi">Redaksi</a> | <a href="/kontak">Kontak'
              "</a></p><p>Copyright &copy; 2022 Kabar Contoh</p></div>")
    text = text_of(page(f'<div class="main"><div class="berita">{story()}</div>{footer}</div>'))
    assert text.count("Kalimat") == 5 and "Merdeka No. 1" not in text and "Kontak" not in text


# -- captions: furniture beside a story, the story in a gallery -----------------------------------
def test_photo_caption_beside_a_story_goes() -> None:
    figure = ('<figure><img src="/a.jpg"><figcaption>Kapal bersandar di dermaga Senghie, '
              "Senin pagi.</figcaption></figure>")
    text = text_of(page(f"<article>{figure}{story()}</article>"))
    assert "bersandar" not in text and text.count("Kalimat") == 5


def test_gallery_captions_are_the_story() -> None:
    figures = "".join(f'<figure><img src="/{i}.jpg"><figcaption>Foto {i}. {SENTENCE}'
                      "</figcaption></figure>" for i in range(6))
    text = text_of(page(f"<article><p>Pengantar galeri singkat.</p>{figures}</article>"))
    assert all(f"Foto {i}." in text for i in range(6))


# -- breaks and bare text ---------------------------------------------------------------------
def test_double_break_ends_a_paragraph_and_single_break_keeps_words_apart() -> None:
    body = (f"<article>{story(3)}<p>Akhir cerita.<br><br>Simak Juga Video ini: "
            f'<a href="/v">Video kapal</a></p><p>Baris satu<br>baris dua berlanjut.</p>'
            "</article>")
    article = extract_article(page(body), URL)
    assert article is not None
    assert "Akhir cerita." in article.text.split("\n\n")
    assert "Simak" not in article.text
    assert "Baris satu baris dua berlanjut." in article.text


def test_bare_text_lead_before_the_first_paragraph_is_kept() -> None:
    body = (f'<div class="isi-berita"><strong>PONTIANAK</strong> - Lead yang ditulis tanpa '
            f"paragraf tentang kapal cepat yang kembali berlayar.<br><br>{story(4)}</div>")
    text = text_of(page(body))
    assert text.startswith("PONTIANAK - Lead yang ditulis tanpa paragraf")


def test_standfirst_repeating_the_description_is_the_description() -> None:
    summary = "Layanan kapal cepat kembali dibuka setiap hari mulai pekan depan."
    head = f'<meta property="og:description" content="{summary}">'
    article = extract_article(page(f'<p class="sub">{summary}</p><div class="isi">{story()}'
                                   "</div>", head=head), URL)
    assert article is not None
    assert summary not in article.text and article.description == summary
    # inside the story's own block the same words are its lead
    article = extract_article(page(f'<div class="isi"><p>{summary}</p>{story()}</div>',
                                   head=head), URL)
    assert article is not None and article.text.startswith(summary)


# -- the fallback judges quality ----------------------------------------------------------------
def test_fallback_reads_the_block_the_summary_points_to() -> None:
    """Both trafilatura passes take a list of other stories (teasers in bare <p>s, more text
    than the story): the page's own description says which block is the story."""
    other = "".join(f'<p><a href="https://www.kabarcontoh.test/read/{i}/lain">Berita lain '
                    f"nomor {i} tentang pasar dan harga</a> Ringkasan berita lain nomor {i} "
                    "tentang harga beras dan cabai di pasar tradisional kota.</p>"
                    for i in range(10))
    head = ('<meta property="og:description" content="Kapal cepat Pontianak ke Ketapang '
            'kembali berlayar setiap hari mulai pekan depan.">')
    text = text_of(page(f'<div class="txt-article">{story()}</div><div class="box">'
                        f'<div class="content">{other}</div></div>', head=head))
    assert text.count("Kalimat") == 5 and "Berita lain" not in text


# -- short pages: a brief is an article, a short list of other stories is not -------------------
def brief_page(body: str) -> str:
    return page(f'<div class="tanggal">Kamis, 15 September 2022 | 10:20 WIB</div>{body}',
                og_type="website").replace('<meta property="og:type" content="website">', "")


def test_short_unmarked_brief_with_headline_and_date_is_an_article() -> None:
    from pipelines.extract import analyse_page
    html = brief_page(f'<div class="isi">{story(3)}</div>')
    assert analyse_page(html.encode(), URL, "text/html").kind == "article"


def test_short_search_page_with_two_results_is_no_brief() -> None:
    from pipelines.extract import analyse_page
    results = "".join(
        f'<div class="hasil"><h3><a href="https://www.kabarcontoh.test/read/{i}/lain">Kapal '
        f"cepat kembali berlayar dari dermaga nomor {i}</a></h3><time>15/09/2022</time><p>"
        f"Hasil {i}. {SENTENCE}</p></div>" for i in range(2))
    html = brief_page(results)
    assert analyse_page(html.encode(), URL, "text/html").kind == "page"


# -- layout tables, leads apart from the story's block, header blocks ---------------------------
def test_layout_table_is_not_read_as_one_table() -> None:
    menu = "".join(f'<a href="/m{i}">Menu {i}</a> | ' for i in range(8))
    html = ("<html><head><title>Portal Resmi Kabupaten</title></head><body><table><tr>"
            f'<td><table><tr><td>{menu}</td></tr></table><p>STATISTIK</p></td>'
            f'<td><font size="4"><b>Kapal Cepat Kembali Berlayar</b></font><br>'
            "Kamis, 15 September 2022 | 10:20 WITA<br><br>"
            f"{story(4)}</td></tr></table></body></html>")
    article = extract_article(html, URL)
    assert article is not None and article.text.count("Kalimat") == 4
    assert "Menu 3" not in article.text and "STATISTIK" not in article.text


def test_lead_apart_from_the_story_block_is_the_first_paragraph() -> None:
    lead = ("Kapal cepat rute Pontianak ke Ketapang kembali beroperasi setiap hari mulai "
            "Senin, setelah dua tahun hanya berlayar tiga kali seminggu karena penumpang "
            "merosot tajam selama pandemi.")
    # trafilatura knows the name "article-content" and reads that block alone
    body = (f'<div class="intro"><p>{lead}</p></div><div id="article-content">'
            f"{story(6)}</div></div>")
    head = ('<meta property="og:description" content="Kapal cepat Pontianak ke Ketapang '
            'kembali beroperasi setiap hari mulai Senin.">')
    html = page(body, head=head).replace("<body><h1>", '<body><div class="col"><h1>')
    assert extract_article(html, URL).text.startswith(lead)
    # a claim box or pull quote in the same place says something else: not the lead
    claim = ("Menurut unggahan yang beredar, seluruh pelabuhan di provinsi itu akan ditutup "
             "selama sebulan penuh karena badai besar, dan semua penumpang diminta membatalkan "
             "tiket mereka.")
    other = html.replace(lead, claim)
    assert claim not in extract_article(other, URL).text


def test_header_block_with_label_and_date_is_not_body() -> None:
    from pipelines.extract import _drop_leading_title
    title = "Kapal Cepat Kembali Berlayar"
    header = f"LIVE UPDATE {title} Senin, 21 November 2022 | 21:05 WIB"
    lead = f"Kalimat 0. {SENTENCE}"
    assert _drop_leading_title([header, lead], title, [], URL) == [lead]
    # a lead that merely opens with the headline's words is the story
    told = f"{title} lagi: {SENTENCE}"
    assert _drop_leading_title([told, lead], title, [], URL) == [told, lead]


def test_story_typed_as_bare_text_becomes_paragraphs() -> None:
    runs = "<br><br>".join(f"Kalimat {i}. {SENTENCE}" for i in range(5))
    article = extract_article(page(f'<div class="isi">{runs}</div>'), URL)
    assert article is not None
    assert article.text.split("\n\n") == [f"Kalimat {i}. {SENTENCE}" for i in range(5)]
