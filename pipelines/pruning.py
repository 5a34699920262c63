"""Pruning a parsed page before trafilatura reads it.

`prune_page(tree)` removes widgets by what their class/id says they are (related lists,
share bars, tags, comments, ads, font-size and "loading" widgets), inline promos ("Baca
juga: ...") and teaser cards, but never an element holding most of the page's paragraph
text, so a misnamed article container survives.
"""

from __future__ import annotations

import re

from lxml import etree

from pipelines.cleanup import PROMO_LEAD, PROMO_MAX_WORDS

# Words in a class or id that name a non-article widget. Compared against whole words of the
# attribute (split on space, "-" and "_"), so "detail__body-tag" matches "tag" but
# "stage" does not.
WIDGET_WORDS = frozenset({
    "related", "terkait", "populer", "popular", "terpopuler", "terkini", "bacajuga",
    "readalso", "readmore", "recommend", "recommended", "recommendation", "rekomendasi",
    "share", "sharing", "sharer", "social", "sosmed", "socmed", "tag", "tags", "tagging",
    "komentar", "comment", "comments", "disqus", "advert", "advertisement", "ads", "ad",
    "iklan", "banner", "newsletter", "subscribe", "breadcrumb", "breadcrumbs", "paging",
    "pagination", "pager", "widget", "sidebar", "footer", "loading", "loader", "fontsize",
    "textsize", "resize", "zoom", "promo", "trending", "topik", "gambas", "caption",
    "figcaption", "keterangan", "credit", "credits", "rating", "rate", "subtitle", "subjudul",
    "standfirst", "dek", "excerpt",
})
_WORD_SPLIT = re.compile(r"[\s_\-]+")
_BLOCKS = {"figcaption", "p", "div", "li", "ul", "ol", "section", "aside", "blockquote",
           "table", "tr", "td", "figure", "span", "strong", "b", "em", "h2", "h3", "h4", "h5",
           "h6", "center"}
_CONTAINERS = {"p", "div", "li", "section", "aside", "blockquote", "td", "figure", "center",
               "h2", "h3", "h4", "h5", "h6"}
# An element holding this share of the page's paragraph text is the article, whatever its
# class says: never prune it.
ARTICLE_SHARE = 0.4


_CAMEL = re.compile(r"([a-z])([A-Z])")


def class_words(el: etree._Element) -> set[str]:
    """Words of an element's class and id: "detail__body-tag StoryDate" -> detail, body,
    tag, story, date."""
    words: set[str] = set()
    for attr in ("class", "id"):
        value = el.get(attr)
        if value:
            words.update(w for w in _WORD_SPLIT.split(_CAMEL.sub(r"\1 \2", value).lower()) if w)
    return words


def _text_len(el: etree._Element) -> int:
    return sum(len(t) for t in el.itertext())


def _words(el: etree._Element) -> int:
    return len(" ".join(el.itertext()).split())


def _remove(el: etree._Element) -> None:
    """Drop an element but keep its tail text (it belongs to the parent's flow)."""
    parent = el.getparent()
    if parent is None:
        return
    tail = el.tail
    if tail and tail.strip():
        prev = el.getprevious()
        if prev is not None:
            prev.tail = (prev.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    parent.remove(el)



def prune_page(tree: etree._Element) -> None:
    """Remove widgets, inline promos and teaser cards from a parsed page, in place."""
    # Comments first, keeping their tail: CMS editors leave <!--StartFragment--> inside
    # paragraphs, and trafilatura drops the text that follows such a comment.
    etree.strip_tags(tree, etree.Comment)
    body = tree.find("body")
    if body is None:
        return
    p_total = sum(_text_len(p) for p in body.iter("p")) or 1
    text_total = _text_len(body) or 1
    doomed: list[etree._Element] = []
    for el in body.iter(*_BLOCKS):
        words = class_words(el)
        if el.tag == "figcaption" or words & WIDGET_WORDS:
            doomed.append(el)
            continue
        text = el.text
        if text and PROMO_LEAD.match(text):
            doomed.append(_promo_block(el))
        elif (el.tag == "li" or (el.tag == "div" and words)) and _is_teaser(el):
            doomed.append(el)
    seen: set[int] = set()
    for el in doomed:
        if el is None or id(el) in seen:
            continue
        seen.add(id(el))
        if el.getparent() is None or el.tag in ("body", "html", "main", "article"):
            continue
        if (sum(_text_len(p) for p in el.iter("p")) / p_total >= ARTICLE_SHARE
                or _text_len(el) / text_total >= ARTICLE_SHARE
                or next(el.iter("h1"), None) is not None):
            continue
        _remove(el)


def _promo_block(el: etree._Element) -> etree._Element | None:
    """The block an inline promo lives in: its paragraph, list item or box, if short."""
    block = el
    while block is not None and block.tag not in _CONTAINERS:
        block = block.getparent()
    if block is None or _words(block) > PROMO_MAX_WORDS:
        return None
    return block


_TITLE_WORDS = frozenset({"title", "judul", "headline"})
TEASER_MAX_WORDS = 60


def _is_teaser(el: etree._Element) -> bool:
    """A listing card: a title (heading or *-title box) that is a link to another story,
    plus at most a blurb. The article's own headline is not a link."""
    for title in el.iter("h2", "h3", "h4", "h5", "h6", "div", "span"):
        if title.tag in ("div", "span") and not class_words(title) & _TITLE_WORDS:
            continue
        link_text = sum(_text_len(a) for a in title.iter("a"))
        if link_text and link_text >= 0.8 * _text_len(title):
            return _words(el) < TEASER_MAX_WORDS
    return False
