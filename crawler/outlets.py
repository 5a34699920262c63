"""Outlet profiles: what Liputan knows about one news outlet, as data (crawler/sites/*.toml).

A profile holds the outlet's domains, its article URL pattern, and the URL templates of its
discovery sources (feeds, sitemaps, search and tag pages), so a crawl config only names the
outlets. Tests point the same machinery at the fixture web with profiles of its own.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, fields
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from urllib.parse import quote, quote_plus, urlsplit

from crawler.config import ConfigError, domain_problem, strip_www
from crawler.scope import in_scope
from pipelines.language import LANGUAGES
from pipelines.urls import url_problem

SITES_DIR = Path(__file__).resolve().parent / "sites"


class ProfileError(ConfigError):
    """An outlet profile that cannot be used; the message is one line."""


@dataclass(frozen=True)
class OutletProfile:
    key: str
    name: str
    domains: tuple[str, ...]
    regional: tuple[str, ...] = ()
    timezone: str = "+07:00"
    language: str = "id"
    article_pattern: str = ""
    feeds: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()
    news_sitemaps: tuple[str, ...] = ()
    search: str = ""  # URL template with {query} and optionally {page}
    tag: str = ""  # URL template with {tag}
    single_page: str = ""  # query that asks for the one-page view of a paginated story
    page_param: str = ""
    boilerplate: tuple[str, ...] = ()
    unverified: tuple[str, ...] = ()  # keys nobody could check against the live site
    home: str = ""  # the homepage (an outlet's profile must give it; aggregators have none)
    # An aggregator (a news search across outlets, the GDELT DOC API) is only asked the
    # crawl's queries; its answers are feeds whose links must lead to the crawl's outlets.
    kind: str = "outlet"  # or "aggregator"
    link_param: str = ""  # query parameter holding the real URL of a click-through link
    date_format: str = "%Y-%m-%d"  # strftime of {after} / {before} in the search template

    @property
    def homepage(self) -> str:
        return self.home

    def search_url(self, query: str, page: int = 1, after: date | None = None,
                   before: date | None = None) -> str | None:
        """The search template filled in; None when the outlet has no search, or when the
        template asks for a date bound the crawl does not have."""
        if not self.search:
            return None
        url = self.search.replace("{query}", quote_plus(query)).replace("{page}", str(page))
        for name, day in (("{after}", after), ("{before}", before)):
            if name in url:
                if day is None:
                    return None
                url = url.replace(name, quote_plus(day.strftime(self.date_format)))
        return url

    def tag_url(self, tag: str) -> str | None:
        if not self.tag:
            return None
        return self.tag.replace("{tag}", tag_slug(tag))

    def is_article_url(self, url: str) -> bool:
        return bool(self.article_pattern) and re.match(self.article_pattern, url) is not None


KINDS = ("outlet", "aggregator")
# The placeholders a template may hold; the first is the one it must hold. An outlet's
# search is asked without a date window (crawler/plan.py): {after} and {before} are for
# aggregators only.
PLACEHOLDERS = {"search": ("{query}", "{page}", "{after}", "{before}"), "tag": ("{tag}",)}
_DATED = PLACEHOLDERS["search"][2:]  # the date window
_URL_LISTS = ("feeds", "sitemaps", "news_sitemaps")


def tag_slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


_FIELDS = [f.name for f in fields(OutletProfile)]
_LISTS = {f.name for f in fields(OutletProfile) if str(f.type).startswith("tuple")}
_PLACEHOLDER = re.compile(r"\{[^{}]*\}")


def load_profile(path: Path) -> OutletProfile:
    """One profile file, every value checked; raises ProfileError naming the file and key."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ProfileError(f"{path}: cannot read outlet profile ({exc})") from exc
    values = {}
    for key, value in raw.items():
        if key not in _FIELDS:
            raise ProfileError(f"{path}: unknown key {key!r} in outlet profile; expected one"
                               f" of {', '.join(_FIELDS)}")
        if key in _LISTS:
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ProfileError(f"{path}: {key} must be a list of strings; got {value!r}")
            if any(not v.strip() for v in value):
                raise ProfileError(f"{path}: {key} holds an empty string")
            value = tuple(value)
        elif not isinstance(value, str):
            raise ProfileError(f"{path}: {key} must be a string; got {value!r}")
        values[key] = value
    for required in ("key", "name", "domains"):
        if not values.get(required):
            raise ProfileError(f"{path}: outlet profile needs {required!r}")
    if values["key"] != path.stem:
        raise ProfileError(f"{path}: key {values['key']!r} differs from the file name")
    if values.get("kind", "outlet") not in KINDS:
        raise ProfileError(f"{path}: kind must be one of {', '.join(KINDS)};"
                           f" got {values['kind']!r}")
    profile = OutletProfile(**values)
    problem = _problem(profile)
    if problem:
        raise ProfileError(f"{path}: {problem}")
    return profile


def _problem(p: OutletProfile) -> str | None:
    """What is wrong with a value of the profile, in words starting with its key; None
    when nothing is. The rules are the crawl config's (crawler/config.py, pipelines/urls.py)."""
    for key in ("domains", "regional"):
        for domain in getattr(p, key):
            if domain_problem(domain):
                return (f"{key} must hold domain names such as \"example.co.id\" (no scheme,"
                        f" port or path); got {domain!r}")
    # The crawl's scope is the outlets' domains with their subdomains: a host elsewhere is
    # refused as off-site, and a crawl of this outlet would quietly fetch nothing there.
    scope = {strip_www(d.lower()) for d in p.domains}
    for host in p.regional:
        if not in_scope(f"http://{host}/", scope):
            return f"regional {host!r} is outside the profile's domains ({', '.join(p.domains)})"
    if p.kind == "outlet" and not p.home:
        # Guessing "https://www.<domain>/" would start the crawl on a host that may not be.
        return (f"outlet profile needs 'home', its homepage URL (e.g."
                f" home = \"https://www.{p.domains[0]}/\")")
    if p.kind == "aggregator" and not p.search:
        return "an aggregator profile needs 'search', the URL template it is asked with"
    # (key, what it must be, the value, the URL it makes): a template is checked filled in.
    urls = [("home", "be an http(s) URL", p.home, p.home)] if p.home else []
    urls += [(key, "hold http(s) URLs", url, url) for key in _URL_LISTS for url in getattr(p, key)]
    for key, allowed in PLACEHOLDERS.items():
        template = getattr(p, key)
        if not template:
            continue
        if allowed[0] not in template:
            return f"{key} must be a URL template holding {allowed[0]}; got {template!r}"
        for found in _PLACEHOLDER.findall(template):
            if found not in allowed:
                return (f"{key} holds the placeholder {found}; a {key} template may hold"
                        f" {', '.join(allowed)}")
        if p.kind == "outlet" and any(d in template for d in _DATED):
            return ("search holds {after} or {before}, which only aggregators are given:"
                    " this outlet's search would never be asked")
        day = date(2022, 1, 31)
        urls.append((key, "be an http(s) URL template", template,
                     p.search_url("banjir", 2, day, day) if key == "search"
                     else p.tag_url("banjir")))
    for key, what, value, url in urls:
        if problem := url_problem(url or ""):
            return f"{key} must {what}; {value!r} is not one ({problem})"
        if not in_scope(url or "", scope):
            return (f"{key} {value!r} is outside the profile's domains ({', '.join(p.domains)}):"
                    " the crawl's scope would refuse it")
    try:
        re.compile(p.article_pattern)
    except re.error as exc:
        return f"article_pattern is not a valid regex ({exc})"
    if p.language and p.language not in LANGUAGES:
        return (f"language must be a language code the detector knows (ISO 639-1, such as"
                f" \"id\"; \"\" = any); got {p.language!r}")
    try:
        datetime.strptime(p.timezone, "%z")
    except ValueError:
        return f"timezone must be a UTC offset such as \"+07:00\"; got {p.timezone!r}"
    # Two days written alike: the search would ask the same window whatever the crawl's.
    if date(2001, 2, 3).strftime(p.date_format) == date(2004, 5, 6).strftime(p.date_format):
        return (f"date_format must be a strftime format that writes the date, such as"
                f" \"%Y-%m-%d\"; got {p.date_format!r}")
    if p.link_param and quote(p.link_param, safe="") != p.link_param:
        return f"link_param must be a query parameter name such as \"url\"; got {p.link_param!r}"
    if p.single_page and not p.single_page.startswith("?"):
        return f"single_page must be a query such as \"?page=all\"; got {p.single_page!r}"
    for key in p.unverified:
        if key not in _FIELDS:
            return f"unverified names {key!r}, which is not a key of outlet profiles"
    return None


def find_profiles(keys: list[str] | tuple[str, ...],
                  extra_dirs: list[Path] | tuple[Path, ...] = (),
                  kind: str = "outlet") -> list[OutletProfile]:
    """The profiles of `keys`, looked up in `extra_dirs` first, then crawler/sites/; each
    must be of `kind` (an outlet listed as an aggregator is a config mistake)."""
    found = []
    for key in keys:
        for folder in (*extra_dirs, SITES_DIR):
            path = folder / f"{key}.toml"
            if path.is_file():
                profile = load_profile(path)
                if profile.kind != kind:
                    where = "sources.aggregators" if profile.kind == "aggregator" else \
                        "sources.outlets"
                    raise ProfileError(f"{key!r} is an {profile.kind}: list it in {where}")
                found.append(profile)
                break
        else:
            known = ", ".join(p.key for p in all_profiles() if p.kind == kind)
            searched = ", ".join(str(f) for f in (*extra_dirs, SITES_DIR))
            raise ProfileError(f"no {kind} profile {key!r} in {searched}; known: {known}")
    return found


def all_profiles() -> list[OutletProfile]:
    return [load_profile(p) for p in sorted(SITES_DIR.glob("*.toml"))]


class OutletIndex:
    """Which outlet a URL belongs to, and whether it is a story or a page of lists.

    A focused crawl fetches stories as soon as they look promising; listings (tag, section,
    search pages it was not told to fetch) only name stories, mostly ones it already knows,
    so they wait until the promising stories are done. Hosts of no profile, and profiles
    without an article pattern, cannot tell: their pages count as stories.
    """

    def __init__(self, profiles: list[OutletProfile] | tuple[OutletProfile, ...]) -> None:
        self._by_domain: dict[str, OutletProfile] = {}
        for profile in profiles:
            for domain in (*profile.domains, *profile.regional):
                self._by_domain.setdefault(domain.lower(), profile)
        self._patterns = {p.key: re.compile(p.article_pattern) for p in profiles
                          if p.article_pattern}

    def profile_for(self, url: str) -> OutletProfile | None:
        host = (urlsplit(url).hostname or "").lower()
        while host:
            profile = self._by_domain.get(host)
            if profile is not None:
                return profile
            host = host.partition(".")[2]
        return None

    def boilerplate_for(self, url: str) -> tuple[str, ...]:
        """The furniture phrases of the outlet serving `url` (its profile's `boilerplate`),
        which extraction drops (pipelines.cleanup.clean_paragraphs); () for other hosts."""
        profile = self.profile_for(url)
        return profile.boilerplate if profile is not None else ()

    def is_story(self, url: str) -> bool:
        profile = self.profile_for(url)
        pattern = self._patterns.get(profile.key) if profile else None
        return pattern is None or pattern.match(url) is not None


@lru_cache(maxsize=1)
def _bundled() -> tuple[OutletProfile, ...]:
    return tuple(all_profiles())


def known_outlets(profiles: list[OutletProfile] | tuple[OutletProfile, ...] = ()) -> OutletIndex:
    """Every outlet Liputan knows: `profiles` (a crawl's own, which win for their hosts),
    then those of crawler/sites/. What extraction asks for an outlet's boilerplate."""
    return OutletIndex([*profiles, *_bundled()])
