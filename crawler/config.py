"""Crawl configs: one TOML file per crawl, validated into frozen dataclasses.

Every error names the file, the key and what was expected, so an archivist can fix the
file without reading code.
"""

from __future__ import annotations

import hashlib
import math
import tomllib
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from crawler.relevance import DEFAULT_THRESHOLD
from pipelines.language import LANGUAGES
from pipelines.urls import host_problem, url_problem

MAX_RECHECK_DAYS = 36_500  # a century: more is a typo (and past datetime's range)
MAX_PAGES = 1 << 40  # more pages than any archive could hold: a typo
# The longest Liputan waits between two requests to one host: the delay a config may set,
# and the cap on a robots.txt Crawl-delay and on a server's Retry-After (a server cannot
# park a crawl for days, nor a typo stall it forever: `inf` once sent nothing at all).
MAX_DELAY_SECONDS = 3600.0
MAX_NAME_LENGTH = 100  # it names directories and WARC files
# Names a user types and Liputan shows, stores or makes a path of: a crawl's name, a
# schedule's, an outlet profile's key. One rule for all of them.
NAME_RULE = (f"may hold only letters, digits, '-', '_' and '.', start with a letter or digit"
             f" and be at most {MAX_NAME_LENGTH} characters long")


class ConfigError(ValueError):
    """A crawl config that cannot be used; the message is one line for the user."""


def name_ok(name: str) -> bool:
    """Whether `name` keeps NAME_RULE."""
    return (0 < len(name) <= MAX_NAME_LENGTH and name.isascii() and name[0].isalnum()
            and all(c.isalnum() or c in "-_." for c in name))


def quoted(value: str, limit: int = 60) -> str:
    """`value` as repr for an error line: escapes keep it on one line, and a long one is
    cut (a 10,000-character typo need not fill the terminal)."""
    return repr(value) if len(value) <= limit else f"{value[:limit]!r}... ({len(value)} characters)"


def domain_problem(domain: str) -> str | None:
    """Why `domain` is not a bare domain name (a scope entry); None when it is one."""
    if "/" in domain or ":" in domain:
        return "no scheme, port or path"
    return host_problem(domain)


def strip_www(host: str) -> str:
    return host[4:] if host.startswith("www.") else host


@dataclass(frozen=True)
class TopicConfig:
    seed_urls: tuple[str, ...] = ()
    seed_texts: tuple[str, ...] = ()  # globs, relative to the config file
    keywords: tuple[str, ...] = ()
    aliases: tuple[tuple[str, ...], ...] = ()  # spellings of one name: ["Tokayev", "Tokaev"]
    language: str = "id"
    published_after: date | None = None
    published_before: date | None = None
    threshold: float = DEFAULT_THRESHOLD  # relevance from which a page counts as coverage


@dataclass(frozen=True)
class SourcesConfig:
    outlets: tuple[str, ...] = ()  # outlet profiles in crawler/sites/
    aggregators: tuple[str, ...] = ()  # aggregator profiles (news search, GDELT) to query
    feeds: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()
    start_urls: tuple[str, ...] = ()
    domains: tuple[str, ...] = ()  # extra in-scope domains (subdomains included)
    sites_dir: str = ""  # more outlet profiles, relative to the config (searched first)
    search_queries: tuple[str, ...] = ()  # for the outlets' search pages; default: keywords
    tags: tuple[str, ...] = ()  # for the outlets' tag pages; default: the first keyword
    homepages: bool = True  # start from each outlet's homepage too


@dataclass(frozen=True)
class LimitsConfig:
    max_pages: int = 5000
    max_depth: int = 4
    tunnel_depth: int = 2  # off-topic pages in a row whose links are still followed


@dataclass(frozen=True)
class PolitenessConfig:
    obey_robots: bool = True
    delay_per_host: float = 2.0
    concurrent_per_host: int = 2
    user_agent: str = ""


@dataclass(frozen=True)
class RecrawlConfig:
    """What a new run of the crawl fetches again of what earlier runs archived."""

    enabled: bool = True  # false: every run fetches everything again
    # Stories published (or, undated, first captured) within this many days before the
    # run are fetched again, conditionally, to catch edits; older ones are not.
    recheck_days: int = 3


@dataclass(frozen=True)
class CrawlConfig:
    name: str
    topic: TopicConfig = field(default_factory=TopicConfig)
    sources: SourcesConfig = field(default_factory=SourcesConfig)
    limits: LimitsConfig = field(default_factory=LimitsConfig)
    politeness: PolitenessConfig = field(default_factory=PolitenessConfig)
    recrawl: RecrawlConfig = field(default_factory=RecrawlConfig)
    path: Path | None = None
    digest: str = ""  # sha1 of the file's bytes, recorded in every warcinfo

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name}
        for section in _SECTIONS:
            value = getattr(self, section)
            out[section] = {f.name: getattr(value, f.name) for f in fields(value)}
        return out

    def seed_urls_all(self) -> list[str]:
        """Every URL the crawl starts from, in config order, without repeats."""
        urls = [*self.sources.start_urls, *self.topic.seed_urls]
        return list(dict.fromkeys(urls))

    def seed_text_files(self, pattern: str | None = None) -> list[Path]:
        """The files the topic.seed_texts globs (or one of them) match, relative to the
        config file."""
        base = self.path.parent if self.path else Path.cwd()
        files: list[Path] = []
        for glob in [pattern] if pattern else self.topic.seed_texts:
            path = Path(glob)
            folder = path.parent if path.is_absolute() else base / path.parent
            files += sorted(m for m in folder.glob(path.name) if m.is_file())
        return list(dict.fromkeys(files))

    def profile_dirs(self) -> list[Path]:
        if not self.sources.sites_dir:
            return []
        base = self.path.parent if self.path else Path.cwd()
        return [base / self.sources.sites_dir]

    def search_queries(self) -> list[str]:
        return list(self.sources.search_queries or self.topic.keywords[:3])

    def tag_names(self) -> list[str]:
        # One tag by default: an outlet tags a story by its main name, and each tag page
        # that lists nothing costs a request per outlet of the budget.
        return list(self.sources.tags or self.topic.keywords[:1])

    def scope_domains(self, profiles: list[Any] | tuple[Any, ...] = ()) -> list[str]:
        """Registrable-ish domains the crawl may fetch from (subdomains included): the
        outlets' domains, the `domains` key, and the hosts of every configured URL."""
        hosts = [d for p in profiles for d in p.domains] + [*self.sources.domains]
        for url in (*self.seed_urls_all(), *self.sources.feeds, *self.sources.sitemaps):
            hosts.append(urlsplit(url).hostname or "")
        return list(dict.fromkeys(strip_www(h.lower()) for h in hosts if h))


_SECTIONS = {
    "topic": TopicConfig,
    "sources": SourcesConfig,
    "limits": LimitsConfig,
    "politeness": PolitenessConfig,
    "recrawl": RecrawlConfig,
}
_URL_LISTS = {("sources", "feeds"), ("sources", "sitemaps"), ("sources", "start_urls"),
              ("topic", "seed_urls")}
# Lists whose every entry must say something: an empty keyword or query matches anything.
_WORD_LISTS = {("topic", "keywords"), ("topic", "seed_texts"), ("sources", "search_queries"),
               ("sources", "tags"), ("sources", "outlets"), ("sources", "aggregators")}
# Numeric keys, (lowest, highest) inclusive: outside is a typo or a crawl that cannot work.
_RANGES: dict[str, tuple[float, float]] = {
    "limits.max_pages": (1, MAX_PAGES),
    "limits.max_depth": (0, 1000),
    "limits.tunnel_depth": (0, 1000),
    "politeness.delay_per_host": (0, MAX_DELAY_SECONDS),
    "politeness.concurrent_per_host": (1, 256),
    "recrawl.recheck_days": (0, MAX_RECHECK_DAYS),
}


def load_config(path: str | Path) -> CrawlConfig:
    """Read and validate a crawl config. Raises ConfigError with a one-line message."""
    path = Path(path)
    try:
        raw_bytes = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read crawl config ({exc.strerror})") from exc
    try:
        raw = tomllib.loads(raw_bytes.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML ({exc})") from exc
    return parse_config(raw, path=path, digest=hashlib.sha1(raw_bytes).hexdigest())


def parse_config(raw: dict[str, Any], *, path: Path | None = None, digest: str = "") -> CrawlConfig:
    where = str(path) if path else "config"
    unknown = set(raw) - {"name", *_SECTIONS}
    if unknown:
        raise ConfigError(
            f"{where}: unknown key {sorted(unknown)[0]!r}; expected name, "
            + ", ".join(f"[{s}]" for s in _SECTIONS)
        )
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ConfigError(f"{where}: key 'name' must be a non-empty string (the crawl's name)")
    if not name_ok(name):
        raise ConfigError(f"{where}: key 'name' {NAME_RULE} (it names WARC files);"
                          f" got {quoted(name)}")
    sections: dict[str, Any] = {}
    for section, cls in _SECTIONS.items():
        table = raw.get(section, {})
        if not isinstance(table, dict):
            raise ConfigError(f"{where}: [{section}] must be a table")
        sections[section] = _build(cls, table, section, where)
    config = CrawlConfig(name=name, path=path, digest=digest, **sections)
    _check(config, where)
    return config


def topic_from_stored(table: Any, where: str) -> TopicConfig:
    """The [topic] of a config stored as JSON (`CrawlConfig.as_dict()`, dates as ISO
    strings), validated like the TOML file's. Raises ConfigError."""
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: the stored config has no [topic] table")
    table = dict(table)
    for key in ("published_after", "published_before"):
        value = table.get(key)
        if value is None:
            table.pop(key, None)
        elif isinstance(value, str):
            try:
                table[key] = date.fromisoformat(value)
            except ValueError as exc:
                raise ConfigError(f"{where}: topic.{key} must be a date; got {value!r}"
                                  ) from exc
    return _build(TopicConfig, table, "topic", where)


def _build(cls: type, table: dict[str, Any], section: str, where: str) -> Any:
    known = {f.name: f for f in fields(cls)}
    values: dict[str, Any] = {}
    for key, value in table.items():
        if key not in known:
            raise ConfigError(
                f"{where}: unknown key {section}.{key}; expected one of {', '.join(known)}"
            )
        expected = known[key].type
        values[key] = _coerce(value, str(expected), f"{section}.{key}", where)
        _check_value(values[key], section, key, where)
    return cls(**values)


def _check_value(value: Any, section: str, key: str, where: str) -> None:
    """The rule of one key beyond its type: ranges, URLs, hosts, non-blank entries."""
    name = f"{section}.{key}"
    if name in _RANGES:
        low, high = _RANGES[name]
        if value < low:
            raise ConfigError(f"{where}: {name} must be at least {low:g}; got {value!r}")
        if value > high:
            raise ConfigError(f"{where}: {name} must be at most {high:g}; got {value!r}")
    if (section, key) in _URL_LISTS:
        for url in value:
            problem = url_problem(url)
            if problem:
                raise ConfigError(f"{where}: {name} must hold http(s) URLs; {url!r} is not"
                                  f" one ({problem})")
    if (section, key) in _WORD_LISTS and any(not v.strip() for v in value):
        raise ConfigError(f"{where}: {name} holds an empty string")
    if name in ("sources.outlets", "sources.aggregators"):
        for profile_key in value:
            if not name_ok(profile_key):  # a key names a file: no "../" out of the folder
                raise ConfigError(f"{where}: {name} holds {quoted(profile_key)}, which is"
                                  f" not a profile key (a key {NAME_RULE})")
    if name == "topic.aliases" and any(not group or any(not v.strip() for v in group)
                                       for group in value):
        raise ConfigError(f"{where}: topic.aliases holds an empty group or spelling")
    if name == "sources.domains":
        for domain in value:
            if domain_problem(domain):
                raise ConfigError(f"{where}: sources.domains must hold domain names such as"
                                  f" \"example.co.id\" (no scheme, port or path); got"
                                  f" {domain!r}")
    if name == "topic.language" and value and value not in LANGUAGES:
        raise ConfigError(f"{where}: topic.language must be a language code the detector"
                          f" knows (ISO 639-1, such as \"id\" or \"ms\"; \"\" = any"
                          f" language); got {value!r}")
    if name == "politeness.user_agent" and (
            len(value) > 512 or not all(32 <= ord(c) < 127 for c in value)):
        raise ConfigError(f"{where}: politeness.user_agent must be printable ASCII on one"
                          f" line, at most 512 characters; got {quoted(value)}")


def _coerce(value: Any, expected: str, key: str, where: str) -> Any:
    def fail(what: str) -> ConfigError:
        return ConfigError(f"{where}: {key} must be {what}; got {value!r}")

    if expected.startswith("tuple[tuple[str"):
        if not isinstance(value, list) or not all(
                isinstance(v, list) and all(isinstance(x, str) for x in v) for v in value):
            raise fail("a list of lists of strings, such as [[\"Tokayev\", \"Tokaev\"]]")
        return tuple(tuple(v) for v in value)
    if expected.startswith("tuple[str"):
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise fail("a list of strings")
        return tuple(value)
    if expected == "bool":
        if not isinstance(value, bool):
            raise fail("true or false")
        return value
    if expected == "int":
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise fail("a whole number >= 0")
        return value
    if expected == "float":
        # TOML has inf and nan: neither is a delay or a threshold.
        if (isinstance(value, bool) or not isinstance(value, int | float)
                or not math.isfinite(value) or value < 0):
            raise fail("a finite number >= 0")
        return float(value)
    if expected == "str":
        if not isinstance(value, str):
            raise fail("a string")
        return value
    if expected.startswith("date"):
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        raise fail("a date such as 2022-01-01 (no quotes)")
    raise fail(expected)  # pragma: no cover - a field type this parser does not know


def _check(config: CrawlConfig, where: str) -> None:
    topic = config.topic
    if (topic.published_after and topic.published_before
            and topic.published_after > topic.published_before):
        raise ConfigError(f"{where}: topic.published_after is later than topic.published_before")
    for pattern in topic.seed_texts:
        if not config.seed_text_files(pattern):
            raise ConfigError(f"{where}: topic.seed_texts {pattern!r} matches no file")
    if not 0 < topic.threshold <= 1:
        raise ConfigError(f"{where}: topic.threshold must be in (0, 1]; got {topic.threshold}")
    for folder in config.profile_dirs():
        if not folder.is_dir():
            what = "is not a folder" if folder.exists() else "does not exist"
            raise ConfigError(f"{where}: sources.sites_dir {config.sources.sites_dir!r}:"
                              f" {folder} {what}")
    # Profiles are read now, so a typo fails before anything is fetched.
    from crawler.outlets import ProfileError, find_profiles
    found = {}
    for key, kind in (("outlets", "outlet"), ("aggregators", "aggregator")):
        try:
            found[key] = find_profiles(getattr(config.sources, key), config.profile_dirs(), kind)
        except ProfileError as exc:
            raise ConfigError(f"{where}: sources.{key}: {exc}") from exc
    if found["aggregators"] and not config.scope_domains(found["outlets"]):
        raise ConfigError(f"{where}: sources.aggregators lead only into the crawl's scope, "
                          "which is empty; set sources.outlets or sources.domains")
    for profile in found["aggregators"]:
        for name, day in (("after", topic.published_after), ("before", topic.published_before)):
            if f"{{{name}}}" in profile.search and day is None:
                raise ConfigError(f"{where}: aggregator {profile.key!r} searches a date "
                                  f"window; set topic.published_{name}")
    if not (config.seed_urls_all() or config.sources.feeds or config.sources.sitemaps
            or config.sources.outlets or config.sources.aggregators):
        raise ConfigError(
            f"{where}: nothing to crawl; set sources.outlets, sources.start_urls, "
            "sources.feeds, sources.sitemaps or topic.seed_urls"
        )
