"""Outlet profiles: what Liputan knows about one news outlet, as data (crawler/sites/*.toml).

A profile holds the outlet's domains, its article URL pattern, and the URL templates of its
discovery sources (feeds, sitemaps, search and tag pages), so a crawl config only names the
outlets. Tests point the same machinery at the fixture web with profiles of its own.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, fields
from datetime import date
from pathlib import Path
from urllib.parse import quote_plus, urlsplit

SITES_DIR = Path(__file__).resolve().parent / "sites"


class ProfileError(ValueError):
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


def tag_slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


_LISTS = {f.name for f in fields(OutletProfile) if str(f.type).startswith("tuple")}


def load_profile(path: Path) -> OutletProfile:
    """One profile file; raises ProfileError naming the file and key."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ProfileError(f"{path}: cannot read outlet profile ({exc})") from exc
    known = {f.name for f in fields(OutletProfile)}
    values = {}
    for key, value in raw.items():
        if key not in known:
            raise ProfileError(f"{path}: unknown key {key!r} in outlet profile")
        if key in _LISTS:
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ProfileError(f"{path}: {key} must be a list of strings")
            value = tuple(value)
        elif not isinstance(value, str):
            raise ProfileError(f"{path}: {key} must be a string")
        values[key] = value
    for required in ("key", "name", "domains"):
        if not values.get(required):
            raise ProfileError(f"{path}: outlet profile needs {required!r}")
    if values["key"] != path.stem:
        raise ProfileError(f"{path}: key {values['key']!r} differs from the file name")
    try:
        re.compile(values.get("article_pattern", ""))
    except re.error as exc:
        raise ProfileError(f"{path}: article_pattern is not a valid regex ({exc})") from exc
    if values.get("kind", "outlet") not in KINDS:
        raise ProfileError(f"{path}: kind must be one of {', '.join(KINDS)}")
    if values.get("kind", "outlet") == "outlet" and not values.get("home", "").startswith(
            ("http://", "https://")):
        # Guessing "https://www.<domain>/" would start the crawl on a host that may not be.
        raise ProfileError(f"{path}: outlet profile needs 'home', its homepage URL (e.g."
                           f" home = \"https://www.{values['domains'][0]}/\")")
    for template, marker in (("search", "{query}"), ("tag", "{tag}")):
        if values.get(template) and marker not in values[template]:
            raise ProfileError(f"{path}: {template} must be a URL template holding {marker}")
    return OutletProfile(**values)


def find_profiles(keys: list[str] | tuple[str, ...],
                  extra_dirs: list[Path] | tuple[Path, ...] = (),
                  kind: str = "outlet") -> list[OutletProfile]:
    """The profiles of `keys`, looked up in `extra_dirs` first, then crawler/sites/; each
    must be of `kind` (an outlet listed as an aggregator is a config mistake)."""
    found = []
    for folder in extra_dirs:
        if not folder.is_dir():
            raise ProfileError(f"the profile folder {folder} (sources.sites_dir) does not exist")
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

    def is_story(self, url: str) -> bool:
        profile = self.profile_for(url)
        pattern = self._patterns.get(profile.key) if profile else None
        return pattern is None or pattern.match(url) is not None
