"""Inline CSS and JavaScript blobs, one flavour per markup style.

Real portals inline tens of kilobytes of critical CSS, ad configuration and tracking code; the
crawler and extractor benchmarks need that weight and that noise, so each style gets its own.
Everything is built once at import time (it is constant per style).
"""

from __future__ import annotations

import json

_PALETTES = {
    "detik": {"brand": "#1a5fb4", "accent": "#e01b24", "ink": "#222", "muted": "#707070"},
    "kompas": {"brand": "#f37021", "accent": "#0d3c6e", "ink": "#1b1b1b", "muted": "#8a8a8a"},
    "tribun": {"brand": "#0b6e4f", "accent": "#f2a900", "ink": "#262626", "muted": "#777"},
}

# Component selectors differ per style the way they differ between real portals.
_SELECTORS = {
    "detik": {
        "title": ".detail__title", "byline": ".detail__author", "date": ".detail__date",
        "body": ".detail__body-text", "media": ".detail__media", "box": ".box.cb-mostpop",
        "list": ".list-content__item", "nav": ".navbar__menu", "foot": ".footer__menu",
    },
    "kompas": {
        "title": ".read__title", "byline": ".read__credit", "date": ".read__time",
        "body": ".read__content", "media": ".photo__wrap", "box": ".most__wrap",
        "list": ".article__list", "nav": ".nav__wrap", "foot": ".footer__link",
    },
    "tribun": {
        "title": "#arttitle", "byline": ".credit", "date": ".time", "body": ".txt-article",
        "media": ".imgfull_div", "box": ".mostpop", "list": ".lsi-item", "nav": ".menu-utama",
        "foot": ".footer-link",
    },
}

_BASE_CSS = """
:root{{--brand:{brand};--accent:{accent};--ink:{ink};--muted:{muted};--radius:4px}}
*,*::before,*::after{{box-sizing:border-box}}
html{{-webkit-text-size-adjust:100%;font-size:16px}}
body{{margin:0;font-family:"Helvetica Neue",Arial,sans-serif;color:var(--ink);background:#fff;
line-height:1.6}}
a{{color:var(--brand);text-decoration:none}}a:hover{{text-decoration:underline}}
img{{max-width:100%;height:auto;display:block}}
.container{{max-width:1100px;margin:0 auto;padding:0 16px}}
.header{{border-bottom:3px solid var(--brand);background:#fff;position:sticky;top:0;z-index:50}}
.header__logo img{{height:36px}}
{nav}{{display:flex;flex-wrap:wrap;gap:4px 18px;list-style:none;margin:0;padding:8px 0}}
{nav} a{{color:var(--ink);font-weight:700;font-size:.875rem;text-transform:uppercase}}
{nav} a.active{{color:var(--brand);border-bottom:2px solid var(--brand)}}
.search-form{{display:flex;gap:6px}}.search-form input{{border:1px solid #ccc;padding:4px 8px}}
.trending{{font-size:.8rem;color:var(--muted);white-space:nowrap;overflow:hidden}}
.breadcrumb{{list-style:none;display:flex;gap:6px;padding:0;margin:12px 0;font-size:.8rem}}
.breadcrumb li+li::before{{content:"\\203A";margin-right:6px;color:var(--muted)}}
{title}{{font-size:2rem;line-height:1.25;margin:8px 0 12px;font-weight:800}}
{byline}{{font-size:.875rem;color:var(--muted)}}{date}{{font-size:.8rem;color:var(--muted)}}
{body}{{font-size:1.0625rem}}{body} p{{margin:0 0 1.1em}}
{body} figure{{margin:1em 0}}{body} figcaption{{font-size:.8rem;color:var(--muted)}}
{media}{{position:relative;background:#eee;min-height:120px}}
{box}{{border-top:4px solid var(--accent);padding:8px 0;margin:24px 0}}
{box} ol{{counter-reset:pop;list-style:none;padding:0}}
{box} li{{counter-increment:pop;display:flex;gap:10px;padding:6px 0;border-bottom:1px solid #eee}}
{box} li::before{{content:counter(pop);font-size:1.5rem;color:var(--accent);font-weight:800}}
{list}{{display:flex;gap:12px;padding:10px 0;border-bottom:1px solid #f0f0f0}}
{list} h3{{font-size:1rem;margin:0}}{list} time{{font-size:.75rem;color:var(--muted)}}
.ads-slot,.parallaxindetail{{display:flex;align-items:center;justify-content:center;
min-height:250px;background:#f6f6f6;color:#999;font-size:.7rem;letter-spacing:.1em}}
.share{{display:flex;gap:8px;margin:16px 0}}.share a{{padding:4px 10px;border-radius:var(--radius);
color:#fff;font-size:.8rem}}.share .fb{{background:#3b5998}}.share .tw{{background:#1da1f2}}
.share .wa{{background:#25d366}}
.tags a{{display:inline-block;border:1px solid #ddd;border-radius:12px;padding:2px 10px;
margin:0 6px 6px 0;font-size:.8rem;color:var(--ink)}}
.pagination{{display:flex;gap:6px;margin:20px 0}}.pagination a,.pagination span{{padding:4px 10px;
border:1px solid #ddd}}.pagination .current{{background:var(--brand);color:#fff}}
.comments{{border-top:1px solid #ddd;margin-top:24px;padding-top:12px}}
.footer{{background:#1d1d1d;color:#bbb;margin-top:40px;padding:24px 0;font-size:.8rem}}
{foot}{{display:flex;flex-wrap:wrap;gap:8px 16px;list-style:none;padding:0}}{foot} a{{color:#ddd}}
@media (max-width:767px){{{title}{{font-size:1.5rem}}.sidebar{{display:none}}
{nav}{{overflow-x:auto;flex-wrap:nowrap}}}}
@media (min-width:768px){{.layout{{display:grid;grid-template-columns:1fr 320px;gap:32px}}}}
"""


def _utilities(style: str) -> str:
    # Bulk like an inlined utility framework: spacing, typography and grid helpers.
    props = {"m": "margin", "p": "padding"}
    sides = {"t": "-top", "b": "-bottom", "l": "-left", "r": "-right", "": ""}
    out = []
    for short, prop in props.items():
        for s, side in sides.items():
            for n in range(0, 13):
                out.append(f".{style[0]}-{short}{s}-{n}{{{prop}{side}:{n * 4}px!important}}")
    for n in range(10, 33, 2):
        out.append(f".{style[0]}-fs-{n}{{font-size:{n}px;line-height:{n + 8}px}}")
    for n in range(1, 13):
        out.append(f".{style[0]}-col-{n}{{flex:0 0 {n / 12:.4%};max-width:{n / 12:.4%}}}")
    for n in range(1, 7):
        out.append(f".{style[0]}-clamp-{n}{{display:-webkit-box;-webkit-line-clamp:{n};"
                   f"-webkit-box-orient:vertical;overflow:hidden}}")
    # Tablet and desktop variants of the spacing helpers, as responsive frameworks emit them.
    spacing = [rule for rule in out if "-m" in rule[:6] or "-p" in rule[:6]]
    for bp, width in (("md", 768), ("lg", 1024)):
        out.append(f"@media (min-width:{width}px){{" + "".join(
            rule.replace(f".{style[0]}-", f".{bp}\\:{style[0]}-", 1) for rule in spacing) + "}")
    return "\n".join(out)


def _css(style: str) -> str:
    return _BASE_CSS.format(**_PALETTES[style], **_SELECTORS[style]).strip() + "\n" + _utilities(
        style)


_LOADER_JS = """
(function(w,d){
  "use strict";
  var cfg=w.__%(ns)s||{};
  function lazy(){
    var imgs=d.querySelectorAll("img[data-src]");
    if(!("IntersectionObserver" in w)){imgs.forEach(function(i){i.src=i.dataset.src;});return;}
    var io=new IntersectionObserver(function(es){es.forEach(function(e){
      if(e.isIntersecting){e.target.src=e.target.dataset.src;io.unobserve(e.target);}});},
      {rootMargin:"200px 0px"});
    imgs.forEach(function(i){io.observe(i);});
  }
  function slots(){
    (cfg.adSlots||[]).forEach(function(s){
      var el=d.getElementById(s.id);if(!el){return;}
      el.setAttribute("data-size",s.sizes.map(function(z){return z.join("x");}).join(","));
      el.setAttribute("data-refresh",String(s.refresh||0));
    });
  }
  function consent(){
    if(d.cookie.indexOf("%(ns)s_consent=")>-1){return;}
    var b=d.createElement("div");b.className="consent-banner";
    b.textContent="Situs ini menggunakan cookie untuk pengalaman yang lebih baik.";
    var ok=d.createElement("button");ok.textContent="Setuju";
    ok.onclick=function(){d.cookie="%(ns)s_consent=1;path=/;max-age=31536000";b.remove();};
    b.appendChild(ok);d.body.appendChild(b);
  }
  function readTime(){
    var body=d.querySelector("%(body)s");if(!body){return;}
    var words=body.textContent.trim().split(/\\s+/).length;
    w.dataLayer&&w.dataLayer.push({event:"read_time",minutes:Math.ceil(words/200)});
  }
  function scrollDepth(){
    var marks=[25,50,75,100],sent={};
    w.addEventListener("scroll",function(){
      var h=d.documentElement,p=Math.round((h.scrollTop+w.innerHeight)/h.scrollHeight*100);
      marks.forEach(function(m){if(p>=m&&!sent[m]){sent[m]=1;
        w.dataLayer&&w.dataLayer.push({event:"scroll_depth",percent:m});}});
    },{passive:true});
  }
  d.addEventListener("DOMContentLoaded",function(){lazy();slots();consent();readTime();
    scrollDepth();});
})(window,document);
"""


def _ad_config(style: str) -> str:
    # A generated ad-slot table, the kind of JSON that real pages carry inline.
    positions = ("billboard", "leaderboard", "skyscraper_left", "skyscraper_right", "mr1", "mr2",
                 "mr3", "parallax", "inarticle1", "inarticle2", "sticky_bottom", "interstitial")
    slots = [
        {"id": f"div-gpt-ad-{style}-{pos}", "unit": f"/2234567/{style}_{pos}",
         "sizes": [[970, 250], [728, 90]] if "board" in pos else [[300, 250], [336, 280]],
         "refresh": 30 if pos.startswith("mr") else 0, "lazy": i > 2,
         "targeting": {"pos": pos, "platform": "desktop", "kanal": "auto"}}
        for i, pos in enumerate(positions)
    ]
    return json.dumps({"adSlots": slots, "prebid": {"timeout": 1200, "bidders": [
        "appnexus", "rubicon", "criteo", "pubmatic", "ix", "openx"]}}, separators=(",", ":"))


_ANALYTICS_JS = """
(function(w,d,ns){
  var q=w[ns+"_q"]=w[ns+"_q"]||[];
  function hit(type,data){q.push({t:type,d:data,ts:Date.now()});
    if(q.length>20){q.splice(0,q.length-20);}}
  function visitor(){var m=d.cookie.match(new RegExp(ns+"_vid=([^;]+)"));
    if(m){return m[1];}var id=Math.random().toString(36).slice(2)+Date.now().toString(36);
    d.cookie=ns+"_vid="+id+";path=/;max-age=63072000";return id;}
  var dl=(w.dataLayer||[])[0]||{};
  hit("pageview",{vid:visitor(),type:dl.pageType||"other",kanal:dl.kanal||"",
    ref:d.referrer||"",w:w.innerWidth,h:w.innerHeight});
  d.addEventListener("click",function(e){var a=e.target.closest&&e.target.closest("a");
    if(!a){return;}var box=a.closest("[class]");
    hit("click",{href:a.getAttribute("href"),box:box?box.className.split(" ")[0]:""});},true);
  w.addEventListener("pagehide",function(){hit("leave",{q:q.length});});
})(window,document,"%(ns)s");
"""


def _menu(style: str) -> str:
    # Mega-menu data that the site's script expands into drop-downs (labels only).
    subs = ("Terkini", "Terpopuler", "Foto", "Video", "Infografis", "Opini", "Indeks")
    channels = {
        "detik": ("News", "Finance", "Sport", "Inet", "Hot", "Oto", "Travel", "Food", "Health"),
        "kompas": ("Nasional", "Regional", "Global", "Money", "Tekno", "Bola", "Edukasi", "Lestari",
                   "Tren"),
        "tribun": ("Nasional", "Regional", "Bisnis", "Seleb", "Sport", "Kesehatan", "Otomotif",
                   "Travel", "English"),
    }[style]
    return json.dumps({"menu": [{"label": c, "children": [f"{c} {s}" for s in subs],
                                 "badge": "Baru" if i == 2 else ""}
                                for i, c in enumerate(channels)]}, separators=(",", ":"))


_NAMESPACES = {"detik": "kn", "kompas": "hl", "tribun": "sp"}

CSS = {style: _css(style) for style in _PALETTES}
LOADER_JS = {
    style: _LOADER_JS % {"ns": _NAMESPACES[style], "body": _SELECTORS[style]["body"].split()[0]}
    for style in _PALETTES
}
AD_CONFIG = {style: _ad_config(style) for style in _PALETTES}
ANALYTICS_JS = {style: _ANALYTICS_JS % {"ns": _NAMESPACES[style]} for style in _PALETTES}
MENU = {style: _menu(style) for style in _PALETTES}
NAMESPACE = _NAMESPACES
# The same selectors as class attribute values, for the renderers.
SELECTOR_CLASS = {
    style: {k: v.lstrip(".#").replace(".", " ") for k, v in sels.items()}
    for style, sels in _SELECTORS.items()
}
