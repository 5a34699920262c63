"""Pruning a parsed page before trafilatura reads it, on evidence rather than names.

`prune_page(tree)` removes what the page *shows* to be furniture:

* inline promos ("Baca juga: ...", a known phrase family) in short blocks;
* listing cards: three or more sibling blocks of one kind, each a link to another story
  plus at most a blurb (related, latest and popular lists, whatever they are called);
* widgets whose class or id names one (share bars, tags, ads, ratings...) *and* whose
  content agrees: mostly links, or a few words;
* photo captions, unless the captions hold the story (a gallery), when they become
  paragraphs.

It also repairs what trafilatura would lose: a `<p>` split by `<br><br>` becomes two
paragraphs, bare text runs beside paragraphs (an old portal's lead) become paragraphs, and
the article's own blocks are shielded from trafilatura's class-name rules (an article body
in `div.item-caption`, a lead in `p.entry__subtitle` inside `div.author-and-share`).

Nothing holding ARTICLE_SHARE of the page's paragraph text, or the <h1>, is ever removed.
"""

from __future__ import annotations

import re
from collections import defaultdict
from functools import lru_cache

from lxml import etree

from pipelines.cleanup import COPYRIGHT_LINE, PROMO_LEAD, PROMO_MAX_WORDS
from pipelines.cleanup import norm_words as _norm

# Words in a class or id that name a widget. Compared against whole words of the attribute
# (split on space, "-" and "_"), so "detail__body-tag" matches "tag" but "stage" does not.
# A name alone removes nothing: the content must agree (WIDGET_LINK_SHARE, WIDGET_MAX_WORDS).
# Names of article parts that outlets reuse for the body (caption, subtitle, excerpt...) are
# deliberately absent.
WIDGET_WORDS = frozenset({
    "related", "terkait", "populer", "popular", "terpopuler", "terkini", "bacajuga",
    "readalso", "readmore", "recommend", "recommended", "recommendation", "rekomendasi",
    "share", "sharing", "sharer", "social", "sosmed", "socmed", "tag", "tags", "tagging",
    "advert", "advertisement", "ads", "ad", "iklan", "banner", "newsletter", "subscribe",
    "breadcrumb", "breadcrumbs", "paging", "pagination", "pager", "widget", "sidebar",
    "footer", "loading", "loader", "fontsize", "textsize", "resize", "zoom", "promo",
    "trending", "topik", "gambas", "credit", "credits", "rating", "rate", "vote", "voting",
    "komentar", "comment", "comments", "disqus",
})
WIDGET_LINK_SHARE = 0.5
WIDGET_MAX_WORDS = 25
_WORD_SPLIT = re.compile(r"[\s_\-]+")
_CAMEL = re.compile(r"([a-z])([A-Z])")
_CONTAINERS = {"p", "div", "li", "section", "aside", "blockquote", "td", "figure", "center",
               "h2", "h3", "h4", "h5", "h6"}
# An element holding this share of the page's paragraph text is the article, whatever its
# class says: never prune it.
ARTICLE_SHARE = 0.4
# Listing cards: siblings of one tag and class, each linking somewhere and this short.
CARD_MIN_SIBLINGS = 3
CARD_MAX_WORDS = 60
CARD_LINK_SHARE = 0.25
_CARD_TAGS = {"div", "li", "article", "section", "dl"}
# A box left with this few words once its cards are gone was only their heading.
BOX_HEADING_WORDS = 5
# Captions hold the story when their text is at least this share of the paragraphs'.
GALLERY_SHARE = 0.5
# Inline content that may sit in a run of bare text.
_INLINE = {"a", "b", "strong", "i", "em", "u", "span", "font", "small", "big", "sup", "sub",
           "abbr", "cite", "q", "mark", "time", "br", "img"}
_BLOCK_HOSTS = ("div", "td", "section", "article", "main", "blockquote", "center", "font")


@lru_cache(maxsize=4096)
def _attr_words(value: str) -> frozenset[str]:
    return frozenset(w for w in _WORD_SPLIT.split(_CAMEL.sub(r"\1 \2", value).lower()) if w)


def class_words(el: etree._Element) -> set[str] | frozenset[str]:
    """Words of an element's class and id: "detail__body-tag StoryDate" -> detail, body,
    tag, story, date."""
    cls, ident = el.get("class"), el.get("id")
    if not ident:
        return _attr_words(cls) if cls else frozenset()
    if not cls:
        return _attr_words(ident)
    return _attr_words(cls) | _attr_words(ident)


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


def _visible(text: str | None) -> int:
    """Characters a reader sees: markup indentation is no text (a card indented by 400
    spaces would otherwise look like prose with a small link)."""
    if not text:
        return 0
    return len(text) - text.count(" ") - text.count("\n") - text.count("\t") \
        - text.count("\r")


class _Measure:
    """Visible characters of text, of link text and of paragraph text under every element,
    in one pass from the leaves up."""

    def __init__(self, root: etree._Element) -> None:
        self.text: dict[etree._Element, int] = {}
        self.links: dict[etree._Element, int] = {}
        self.prose: dict[etree._Element, int] = {}
        text, links, prose = self.text, self.links, self.prose
        for el in reversed(list(root.iter())):
            if not isinstance(el.tag, str):
                continue
            total = _visible(el.text)
            linked = inp = 0
            for child in el:
                if not isinstance(child.tag, str):
                    continue
                total += text[child] + _visible(child.tail)
                linked += links[child]
                inp += prose[child]
            text[el] = total
            links[el] = total if el.tag == "a" else linked
            prose[el] = total if el.tag == "p" else inp

    def forget(self, el: etree._Element) -> None:
        """`el` is about to leave the tree: its ancestors no longer hold its text."""
        for ancestor in el.iterancestors():
            if ancestor not in self.text:
                break  # above the measured root
            self.text[ancestor] -= self.text.get(el, 0)
            self.links[ancestor] -= self.links.get(el, 0)
            self.prose[ancestor] -= self.prose.get(el, 0)

    def link_share(self, el: etree._Element) -> float:
        return self.links[el] / self.text[el] if self.text.get(el) else 0.0


def prune_page(tree: etree._Element, summary: str | None = None) -> list[str]:
    """Remove furniture, repair breaks and bare text, shield the article's blocks: in place.
    `summary` is the page's own description (og:description), if it has one. Returns the
    story's lead paragraphs that sit apart from its block, between it and the headline
    (`leads`): trafilatura may read the block alone."""
    # Comments first, keeping their tail: CMS editors leave <!--StartFragment--> inside
    # paragraphs, and trafilatura drops the text that follows such a comment.
    etree.strip_tags(tree, etree.Comment)
    body = tree.find("body")
    if body is None:
        return []
    # Repairs first, so the measures and the promo rule see the paragraphs trafilatura will.
    _layout_tables(body)
    _split_breaks(body)
    _bare_runs(body)
    measure = _Measure(body)
    p_total = measure.prose[body] or 1
    text_total = measure.text[body] or 1
    doomed: list[etree._Element] = []
    for el in body.iter(*_CONTAINERS, "ul", "ol", "span", "strong", "b", "em", "table", "tr"):
        text = el.text
        if text and PROMO_LEAD.match(text):
            block = _promo_block(el)
            if block is not None:
                doomed.append(block)
            continue
        if el.get("class") is None and el.get("id") is None:
            continue
        if class_words(el) & WIDGET_WORDS and (
                measure.link_share(el) >= WIDGET_LINK_SHARE
                or measure.text[el] <= WIDGET_MAX_WORDS * 7 and _words(el) <= WIDGET_MAX_WORDS):
            doomed.append(el)
    doomed.extend(_listing_cards(body, measure))

    def article_part(el: etree._Element) -> bool:
        return (measure.prose.get(el, 0) / p_total >= ARTICLE_SHARE
                or measure.text.get(el, 0) / text_total >= ARTICLE_SHARE
                or next(el.iter("h1"), None) is not None)

    seen: set[etree._Element] = set()
    for el in doomed:
        if el in seen:
            continue
        seen.add(el)
        if el.getparent() is None or el.tag in ("body", "html", "main"):
            continue
        if not article_part(el):
            measure.forget(el)
            _remove(el)
    _captions(body, measure)
    main = story_block(body, measure.prose)
    _site_footer(body, main, measure)
    if summary:
        _standfirst(body, main, summary)
    h1 = next(body.iter("h1"), None)
    region = _story_region(main, h1)
    _shield(main, h1, region)
    return leads(main, h1, region, measure)


# A lead paragraph apart from the story's block is this long at least: shorter, one sentence
# under the headline is a deck (a sub-headline), not the story's first paragraph.
LEAD_MIN_WORDS = 25


def leads(main: etree._Element, h1: etree._Element | None, region: etree._Element,
          measure: _Measure) -> list[str]:
    """Prose paragraphs after the headline and before the story's block, inside the region
    holding both (VOA's `div.intro` above `div.wsw`)."""
    if h1 is None or region is main:
        return []
    inside = set(main.iter())
    found: list[str] = []
    after_h1 = False
    for el in region.iter():
        if el is h1:
            after_h1 = True
        elif el is main or el in inside:
            break
        elif after_h1 and el.tag == "p":
            text = " ".join("".join(el.itertext()).split())
            if (len(text.split()) >= LEAD_MIN_WORDS and text[-1:] in '.!?"\u201d'
                    and measure.link_share(el) < 0.3):
                found.append(text)
    return found


# A block this short around a copyright notice, outside the story, is the site's footer
# (address, contact and menu lines with it), whatever its tag or class.
FOOTER_MAX_WORDS = 60


def _site_footer(body: etree._Element, main: etree._Element, measure: _Measure) -> None:
    story = {main, *main.iterancestors()}
    for el in list(body.iter("p", "div", "span", "small", "li", "td", "center")):
        if not 0 < measure.text.get(el, 0) <= 300:
            continue
        text = " ".join("".join(el.itertext()).split())
        if not COPYRIGHT_LINE.fullmatch(text):
            continue
        footer = el
        for ancestor in el.iterancestors():
            if ancestor in story or ancestor.tag in ("body", "html") \
                    or measure.text.get(ancestor, 10 ** 9) > FOOTER_MAX_WORDS * 8 \
                    or _words(ancestor) > FOOTER_MAX_WORDS:
                break
            footer = ancestor
        if footer.getparent() is not None and footer not in story:
            measure.forget(footer)
            _remove(footer)


def _promo_block(el: etree._Element) -> etree._Element | None:
    """The block an inline promo lives in: its paragraph, list item or box, if short."""
    block = el
    while block is not None and block.tag not in _CONTAINERS:
        block = block.getparent()
    if block is None or _words(block) > PROMO_MAX_WORDS:
        return None
    return block


def _headline_link(card: etree._Element) -> str | None:
    """Where a card's headline points: the link its first words are in, if they are."""
    if card.text and card.text.strip():
        return None
    for node in card.iter():
        if node is card or not isinstance(node.tag, str):
            continue
        if node.text and node.text.strip():
            link = node if node.tag == "a" else next(node.iterancestors("a"), None)
            if link is None or len(node.text.split()) < 2:
                return None
            return link.get("href")
        if node.tail and node.tail.strip() and node.getparent() is not None:
            return None
    return None


def _listing_cards(body: etree._Element, measure: _Measure) -> list[etree._Element]:
    """Blocks that are cards of a listing: CARD_MIN_SIBLINGS or more siblings of one tag and
    class, each short and headed by a link to a story of its own (distinct targets), with at
    most a blurb. However much text the blurbs add up to, a list of other stories is not
    this story. The box that held only them (and a heading) goes too."""
    found: list[etree._Element] = []
    for parent in body.iter(*_CARD_TAGS, "ul", "ol"):
        if len(parent) < CARD_MIN_SIBLINGS:
            continue
        groups: dict[tuple, list[etree._Element]] = defaultdict(list)
        for child in parent:
            if child.tag in _CARD_TAGS:
                groups[(child.tag, child.get("class"))].append(child)
        for members in groups.values():
            if len(members) < CARD_MIN_SIBLINGS:
                continue
            targets = set()
            cards = []
            for card in members:
                chars = measure.text[card]
                if not chars or chars > CARD_MAX_WORDS * 8 or _words(card) > CARD_MAX_WORDS:
                    continue
                href = _headline_link(card)
                if href is None and measure.links[card] >= CARD_LINK_SHARE * chars:
                    href = next((a.get("href") for a in card.iter("a") if a.get("href")), None)
                if href and href not in targets:
                    targets.add(href)
                    cards.append(card)
            if len(cards) < CARD_MIN_SIBLINGS:
                continue
            found.extend(cards)
            if sum(measure.text[c] for c in cards) >= 0.8 * measure.text[parent]:
                box = parent
                # climb while what is left beside the list is a heading
                while (box.getparent() is not None and box.getparent().tag != "body"
                       and measure.text[box.getparent()] - measure.text[box]
                       <= BOX_HEADING_WORDS * 8):
                    box = box.getparent()
                found.append(box)
    return found


def _captions(body: etree._Element, measure: _Measure) -> None:
    """A photo's caption is furniture beside the story, unless the captions are the story
    (a photo gallery told caption by caption): then each becomes a paragraph."""
    captions = list(body.iter("figcaption"))
    if not captions:
        return
    caption_chars = sum(measure.text.get(c, 0) for c in captions)
    in_captions = sum(measure.prose.get(c, 0) for c in captions)
    if caption_chars >= GALLERY_SHARE * (measure.prose[body] - in_captions):
        for caption in captions:
            added = measure.text.get(caption, 0) - measure.prose.get(caption, 0)
            for ancestor in caption.iterancestors():
                if ancestor not in measure.prose:
                    break
                measure.prose[ancestor] += added
            measure.prose[caption] = measure.text.get(caption, 0)
            caption.tag = "p"
        for figure in body.iter("figure"):
            figure.tag = "div"
    else:
        for caption in captions:
            measure.forget(caption)
            _remove(caption)


_LAYOUT_BLOCKS = ("table", "div", "p", "ul", "ol", "h1", "h2", "h3", "h4", "form", "iframe")


def _layout_tables(body: etree._Element) -> None:
    """A table that lays the page out (cells holding other tables, paragraphs, headings,
    menus: older portals and government sites) is no data table: its rows and cells become
    plain blocks, so trafilatura does not read the whole page as one table. A data table
    (short cells of text, a story's results) stays a table."""
    for table in list(body.iter("table")):
        rows = table.xpath("./tr|./tbody/tr|./thead/tr|./tfoot/tr")
        cells = [cell for row in rows for cell in row if cell.tag in ("td", "th")]
        if not any(next(cell.iter(*_LAYOUT_BLOCKS), None) is not None for cell in cells):
            continue
        for el in (table, *table.xpath("./tbody|./thead|./tfoot"), *rows, *cells):
            el.tag = "div"


def _split_breaks(body: etree._Element) -> None:
    """A paragraph holding `<br><br>` is two paragraphs (trafilatura keeps one line break and
    the words meet: "berkurang.Simak Juga Video ini")."""
    for p in list(body.iter("p")):
        children = list(p)
        if len(children) < 2:
            continue
        pieces: list[tuple[str | None, list[etree._Element]]] = []
        text, nodes = p.text, []
        i = 0
        while i < len(children):
            child = children[i]
            j = i
            while (child.tag == "br" and j + 1 < len(children) and children[j + 1].tag == "br"
                   and not (children[j].tail or "").strip()):
                j += 1
            if j > i:  # two or more breaks in a row end a paragraph
                pieces.append((text, nodes))
                text, nodes = children[j].tail, []
                for k in range(i, j + 1):
                    p.remove(children[k])
                i = j + 1
                continue
            nodes.append(child)
            i += 1
        if not pieces:
            continue
        pieces.append((text, nodes))
        after, tail = p, p.tail
        p.tail = None
        for text, nodes in pieces[1:]:
            q = etree.Element("p")
            q.text = text
            for node in nodes:
                q.append(node)  # moves it, with its tail
            after.addnext(q)
            after = q
        after.tail = tail


def _fill(parent: etree._Element, items: list) -> None:
    """Append strings and elements to `parent` in order (strings become text and tails)."""
    for item in items:
        if isinstance(item, str):
            last = parent[-1] if len(parent) else None
            if last is None:
                parent.text = (parent.text or "") + item
            else:
                last.tail = (last.tail or "") + item
        else:
            parent.append(item)


def _flush(run: list, out: list) -> None:
    """A run of bare text and inline nodes: a new <p> in `out` if it has words."""
    words = sum(len((x if isinstance(x, str) else " ".join(x.itertext())).split()) for x in run)
    if words >= 3:
        while run and not isinstance(run[-1], str) and run[-1].tag == "br":
            run.pop()
        p = etree.Element("p")
        _fill(p, run)
        out.append(p)
    else:
        out.extend(run)
    run.clear()


# A block with no <p> whose own text runs this long, cut by `<br><br>` at least once, is a
# story typed as bare text (older portals): its runs are paragraphs too.
BARE_BODY_WORDS = 40
BARE_BODY_BREAKS = 1


def _bare_body(host: etree._Element, children: list[etree._Element]) -> bool:
    breaks = sum(1 for a, b in zip(children, children[1:], strict=False)
                 if a.tag == "br" and b.tag == "br" and not (a.tail or "").strip())
    if breaks < BARE_BODY_BREAKS:
        return False
    own = [host.text or ""] + [c.tail or "" for c in children]
    return len(" ".join(own).split()) >= BARE_BODY_WORDS


def _bare_runs(body: etree._Element) -> None:
    """Bare text beside paragraphs (a lead typed as text and `<br>` before the first `<p>`,
    on older portals), or a whole story typed as bare text (`_bare_body`), becomes
    paragraphs, one per run between blocks or `<br><br>`: trafilatura keeps only text
    inside blocks, and reads a bare story as one wall."""
    for host in list(body.iter(*_BLOCK_HOSTS)):
        children = list(host)
        if not ((host.text or "").strip() or any((c.tail or "").strip() for c in children)):
            continue
        if not any(child.tag == "p" for child in children) and not _bare_body(host, children):
            continue
        items: list = [host.text] if host.text else []
        for child in children:
            tail, child.tail = child.tail, None
            items.append(child)
            if tail:
                items.append(tail)
        host.text = None
        for child in children:
            host.remove(child)
        out: list = []
        run: list = []

        after_break = False
        for item in items:
            if isinstance(item, str):
                after_break = after_break and not item.strip()
                run.append(item)
            elif item.tag == "br":
                if after_break:
                    _flush(run, out)
                    after_break = False
                else:
                    after_break = True
                    run.append(item)
            elif item.tag in _INLINE:
                after_break = False
                run.append(item)
            else:
                _flush(run, out)
                after_break = False
                out.append(item)
        _flush(run, out)
        _fill(host, out)


# trafilatura drops blocks by class and id words ("caption", "author", "bar", "meta",
# "comment"...). Its own rules say which, so they are read from it, not copied, and asked
# of the few blocks that matter rather than of the whole page; a release that renames them
# only costs the shielding.
_REGEXP_NS = {"re": "http://exslt.org/regular-expressions"}


def _self_rules() -> tuple[etree.XPath, ...]:
    try:
        from trafilatura import xpaths
    except ImportError:  # pragma: no cover
        return ()
    rules = []
    for name in ("OVERALL_DISCARD_XPATH", "DISCARD_IMAGE_ELEMENTS", "TEASER_DISCARD_XPATH",
                 "REMOVE_COMMENTS_AND_LISTS_XPATH"):
        for rule in getattr(xpaths, name, ()):
            path = " ".join(getattr(rule, "path", "").split())
            if path.startswith(".//*["):
                try:
                    rules.append(etree.XPath("self::*" + path[len(".//*"):],
                                             namespaces=_REGEXP_NS))
                except etree.XPathSyntaxError:
                    continue
    return tuple(rules)


_DISCARD_RULES = _self_rules()


def paragraph_text(body: etree._Element) -> dict[etree._Element, int]:
    """Visible characters of `<p>` text under each element that holds paragraphs."""
    prose: dict[etree._Element, int] = {}
    for p in body.iter("p"):
        size = _visible("".join(p.itertext()))
        for el in (p, *p.iterancestors()):
            prose[el] = prose.get(el, 0) + size
    return prose


def story_block(body: etree._Element,
                prose: dict[etree._Element, int] | None = None) -> etree._Element:
    """The smallest element holding most of the page's paragraph text: where the story is.
    The one rule for it (pruning, and the date lines nearest the text); `prose` is the
    caller's measure when it has one (pruning's, taken after furniture went)."""
    prose = paragraph_text(body) if prose is None else prose
    node = body
    while True:
        total = prose.get(node, 0)
        child = next((c for c in node if isinstance(c.tag, str)
                      and prose.get(c, 0) >= 0.6 * total), None)
        if child is None or not total:
            return node
        node = child


def _standfirst(body: etree._Element, main: etree._Element, summary: str) -> None:
    """A paragraph between the headline and the story that repeats the page's description
    is that summary (stored as `description`), not the story's first paragraph. Inside the
    story's block it stays: many outlets fill the description with their lead."""
    key = _norm(summary)
    if len(key.split()) < 5:
        return
    inside = set(main.iter("p"))
    for p in body.iter("p"):
        if p in inside:
            return  # only before the story
        if _norm("".join(p.itertext())) == key:
            _remove(p)
            return


def _story_region(main: etree._Element, h1: etree._Element | None) -> etree._Element:
    """The smallest block holding the story's block and its headline (the block alone when
    they only meet at <body>)."""
    if h1 is None or h1 in set(main.iter("h1")):
        return main
    around = set(h1.iterancestors())
    region = next((a for a in main.iterancestors() if a in around), main)
    return main if region.tag in ("body", "html") else region


def _shield(main: etree._Element, h1: etree._Element | None, region: etree._Element) -> None:
    """Take the class and id off the article's own blocks where trafilatura's name rules
    would drop them: the block holding the story, its ancestors, and the blocks between it
    and the headline."""
    protected = [region, *region.iterancestors()]
    for inner in (main, h1):
        for ancestor in (inner.iterancestors() if inner is not None else ()):
            if ancestor is region:
                break
            protected.append(ancestor)
    for el in protected:
        if (el.get("class") or el.get("id")) and any(rule(el) for rule in _DISCARD_RULES):
            el.attrib.pop("class", None)
            el.attrib.pop("id", None)
