"""Crawl configs and outlet profiles: valid files load; every mistake is one line naming
the file, the key and what was expected. Each case is one row of a table."""

from __future__ import annotations

from datetime import date
from operator import attrgetter

import pytest

from crawler.config import ConfigError, load_config
from tests.conftest import liputan

GOOD = """
name = "kaz"
[topic]
keywords = ["Kazakhstan", "Tokayev"]
published_after = 2022-01-01
published_before = 2022-02-15
[sources]
start_urls = ["http://www.kabarnusantara.test/"]
feeds = ["http://news.harianlangit.test/rss"]
[limits]
max_pages = 100
[politeness]
delay_per_host = 0
"""
START = '"http://www.kabarnusantara.test/"'


def swap(old: str, new: str) -> str:
    """GOOD with one piece replaced."""
    assert old in GOOD
    return GOOD.replace(old, new)


def under(table: str, *lines: str) -> str:
    """GOOD with lines added to one of its tables."""
    return swap(f"[{table}]", "\n".join([f"[{table}]", *lines]))


def write(tmp_path, text):
    path = tmp_path / "crawl.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_valid_config_loads_into_dataclasses(tmp_path):
    config = load_config(write(tmp_path, GOOD))
    assert config.name == "kaz"
    assert config.topic.published_after == date(2022, 1, 1)
    assert config.limits.max_pages == 100 and config.limits.max_depth == 4
    assert config.politeness.delay_per_host == 0.0
    assert config.scope_domains() == ["kabarnusantara.test", "news.harianlangit.test"]
    assert len(config.digest) == 40
    # Without a [recrawl] table a new run rechecks the last three days' stories.
    assert config.recrawl.enabled and config.recrawl.recheck_days == 3
    assert load_config(write(tmp_path, GOOD + "[recrawl]\nenabled = false\nrecheck_days = 0\n")
                       ).recrawl == type(config.recrawl)(enabled=False, recheck_days=0)


# (id, config text, what the one-line error says)
MISTAKES = [
    # types, unknown keys, the file itself
    ("max-pages-a-string", swap("max_pages = 100", 'max_pages = "many"'),
     "limits.max_pages must be a whole number"),
    ("unknown-limits-key", under("limits", "max_pagez = 3"), "unknown key limits.max_pagez"),
    ("date-a-string", swap("published_after = 2022-01-01", 'published_after = "Jan 2022"'),
     "must be a date"),
    ("aliases-flat", under("topic", 'aliases = ["Tokayev"]'), "a list of lists"),
    ("recrawl-enabled-a-string", GOOD + '[recrawl]\nenabled = "yes"\n',
     "recrawl.enabled must be true or false"),
    ("unknown-recrawl-key", GOOD + "[recrawl]\nrecheck = 3\n", "unknown key recrawl.recheck"),
    ("invalid-toml", "name = [", "invalid TOML"),
    ("nothing-to-crawl", 'name = "x"\n', "nothing to crawl"),
    # the crawl's name
    ("name-space-slash", swap('name = "kaz"', 'name = "a b/c"'), "key 'name' may hold only"),
    ("name-dots", swap('name = "kaz"', 'name = ".."'), "key 'name' may hold only"),
    ("name-101-long", swap('name = "kaz"', 'name = "' + "k" * 101 + '"'),
     "at most 100 characters long (it names WARC files); got 'kkkkk"),
    ("name-10000-long-is-cut", swap('name = "kaz"', 'name = "' + "k" * 10_000 + '"'),
     "'... (10000 characters)"),
    # URLs and domains
    ("feed-ftp", swap('feeds = ["http://news.harianlangit.test/rss"]', 'feeds = ["ftp://x"]'),
     "sources.feeds must hold http(s) URLs"),
    ("domain-a-url", under("sources", 'domains = ["https://kabarku.id/"]'),
     "sources.domains must hold domain names such as \"example.co.id\""),
    ("domain-empty-label", under("sources", 'domains = ["kabar..id"]'), "got 'kabar..id'"),
    # the topic
    ("window-reversed", swap("published_after = 2022-01-01", "published_after = 2023-01-01"),
     "published_after is later"),
    ("seed-texts-match-nothing", under("topic", 'seed_texts = ["nothing/*.txt"]'),
     "matches no file"),
    ("threshold-2", under("topic", "threshold = 2"), "topic.threshold must be in"),
    ("threshold-nan", under("topic", "threshold = nan"), "topic.threshold must be a finite"),
    ("language-ind", under("topic", 'language = "ind"'),
     "topic.language must be a language code the detector knows (ISO 639-1, such as \"id\""),
    ("language-xx", under("topic", 'language = "xx"'), "got 'xx'"),
    ("keyword-blank", swap('"Kazakhstan", "Tokayev"]', '"Kazakhstan", " "]'),
     "topic.keywords holds an empty string"),
    ("alias-group-empty", under("topic", "aliases = [[]]"), "topic.aliases holds an empty group"),
    ("tag-empty", under("sources", 'tags = [""]'), "sources.tags holds an empty"),
    # numbers in range (issue 13): every key a rule
    ("recheck-days-negative", GOOD + "[recrawl]\nrecheck_days = -1\n",
     "recrawl.recheck_days must be a whole"),
    ("recheck-days-huge", GOOD + "[recrawl]\nrecheck_days = 100000\n",
     "recrawl.recheck_days must be at most"),
    ("delay-inf", swap("delay_per_host = 0", "delay_per_host = inf"),
     "politeness.delay_per_host must be a finite number >= 0; got inf"),
    ("delay-nan", swap("delay_per_host = 0", "delay_per_host = nan"),
     "politeness.delay_per_host must be a finite number >= 0; got nan"),
    ("delay-negative", swap("delay_per_host = 0", "delay_per_host = -1.5"),
     "politeness.delay_per_host must be a finite number >= 0"),
    ("delay-a-day", swap("delay_per_host = 0", "delay_per_host = 86400"),
     "politeness.delay_per_host must be at most 3600; got 86400.0"),
    ("concurrency-0", swap("delay_per_host = 0", "concurrent_per_host = 0"),
     "politeness.concurrent_per_host must be at least 1"),
    ("concurrency-5000", swap("delay_per_host = 0", "concurrent_per_host = 5000"),
     "politeness.concurrent_per_host must be at most 256"),
    ("user-agent-two-lines", swap("delay_per_host = 0", 'user_agent = "bot\\r\\nX-Evil: 1"'),
     "politeness.user_agent must be printable ASCII on one line"),
    ("user-agent-600-long-is-cut", swap("delay_per_host = 0", f'user_agent = "{"b" * 600}"'),
     "'... (600 characters)"),
    ("max-pages-0", swap("max_pages = 100", "max_pages = 0"),
     "limits.max_pages must be at least 1"),
    ("max-pages-huge", swap("max_pages = 100", "max_pages = 99999999999999"),
     "limits.max_pages must be at most"),
    ("max-depth-huge", swap("max_pages = 100", "max_depth = 100000"),
     "limits.max_depth must be at most"),
    ("tunnel-depth-negative", swap("max_pages = 100", "tunnel_depth = -1"),
     "limits.tunnel_depth must be a whole"),
    # profiles and where they are found
    ("unknown-outlet", under("sources", 'outlets = ["nosuchoutlet"]'),
     "no outlet profile 'nosuchoutlet' in "),
    ("outlet-key-a-path", under("sources", 'outlets = ["../crawls/demo"]'),
     "sources.outlets holds '../crawls/demo', which is not a profile key (a key may hold only"),
    ("aggregator-key-with-space", under("sources", 'aggregators = ["bing news"]'),
     "sources.aggregators holds 'bing news', which is not a profile key"),
    ("sites-dir-missing", under("sources", 'outlets = ["detik"]', 'sites_dir = "nowhere"'),
     "sources.sites_dir 'nowhere': "),
    ("sites-dir-a-file", under("sources", 'outlets = ["detik"]', 'sites_dir = "crawl.toml"'),
     "crawl.toml is not a folder"),
    ("outlet-as-aggregator", under("sources", 'outlets = ["gdelt"]'),
     "'gdelt' is an aggregator: list it in sources.aggregators"),
    ("aggregator-as-outlet", under("sources", 'aggregators = ["detik"]'),
     "'detik' is an outlet: list it in sources.outlets"),
    ("aggregator-without-scope", 'name = "x"\n[sources]\naggregators = ["bing-news"]\n',
     "scope, which is empty"),
    ("aggregator-window-open", under("sources", 'aggregators = ["gdelt"]').replace(
        "published_before = 2022-02-15\n", ""), "set topic.published_before"),
]


@pytest.mark.parametrize(("text", "message"), [pytest.param(t, m, id=i) for i, t, m in MISTAKES])
def test_mistakes_are_named(tmp_path, text, message):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert message in str(info.value)
    assert str(path) in str(info.value)
    assert "\n" not in str(info.value)


def test_a_missing_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "nope.toml")


# (id, start URL, why it cannot be fetched)
BAD_URLS = [
    ("ipv6-unclosed", "http://[::1", "a malformed IPv6 address or URL"),
    ("ipv6-port-99999", "http://[::1]:99999/", "the port must be a whole number from 1 to 65535"),
    ("port-99999", "http://127.0.0.1:99999/", "the port must be a whole number from 1 to 65535"),
    ("port-0", "http://127.0.0.1:0/", "the port must be a whole number from 1 to 65535"),
    ("port-negative", "http://127.0.0.1:-1/", "the port must be a whole number from 1 to 65535"),
    ("space-in-host", "http://exa mple.test/", "it holds a space or control character"),
    ("no-host", "http://:80/", "no host"),
    ("empty-label", "http://a..test/", "'a..test' is not a valid host name"),
    ("file-scheme", "file:///etc/passwd", "only http and https URLs can be crawled"),
]


@pytest.mark.parametrize(("url", "problem"), [pytest.param(u, p, id=i) for i, u, p in BAD_URLS])
def test_a_url_that_cannot_be_fetched_is_named_with_the_reason(tmp_path, url, problem):
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, swap(START, f'"{url}"')))
    assert str(info.value) == (f"{tmp_path / 'crawl.toml'}: sources.start_urls must hold"
                               f" http(s) URLs; {url!r} is not one ({problem})")


# (id, config text, the value read, what it must be)
ACCEPTED = [
    *[(i, swap(START, f'"{u}"'), "sources.start_urls", (u,)) for i, u in [
        ("ipv6-with-port", "http://[::1]:8080/"), ("idn-host", "https://bücher.test/berita"),
        ("port-65535-query-fragment", "http://127.0.0.1:65535/x?y=1#z"),
        ("underscore-host", "http://a_b.test/")]],
    # Every language the detector returns, and "" for any.
    *[(f"language-{code or 'any'}", under("topic", f'language = "{code}"'), "topic.language", code)
      for code in ["", "id", "ms", "en", "jv", "ace"]],
    ("name-100-long", swap('name = "kaz"', 'name = "' + "k" * 100 + '"'), "name", "k" * 100),
]


@pytest.mark.parametrize(("text", "key", "value"),
                         [pytest.param(t, k, v, id=i) for i, t, k, v in ACCEPTED])
def test_good_values_are_accepted(tmp_path, text, key, value):
    assert attrgetter(key)(load_config(write(tmp_path, text))) == value


def test_the_config_s_language_list_is_the_detector_s():
    # One list, in pipelines/language.py; it must name exactly what the classifier returns.
    from pipelines.language import LANGUAGES, _identifier

    assert set(_identifier().nb_classes) == LANGUAGES


# -- outlet profiles (crawler/sites/*.toml and a config's sites_dir) ------------------------
PROFILE = {"key": '"kabarku"', "name": '"Kabarku"', "domains": '["kabarku.id"]',
           "home": '"https://www.kabarku.id/"'}
AGGREGATOR = {"kind": '"aggregator"', "home": None}


def crawl_of_profile(tmp_path, **values: str | None):
    """A config crawling one outlet (or aggregator) from its own sites_dir, whose profile is
    PROFILE changed by `values` (None drops a key). Returns (config, profile) paths."""
    sites = tmp_path / "sites"
    sites.mkdir(exist_ok=True)
    fields = {k: v for k, v in {**PROFILE, **values}.items() if v is not None}
    profile = sites / "kabarku.toml"
    profile.write_text("".join(f"{k} = {v}\n" for k, v in fields.items()), encoding="utf-8")
    section = "aggregators" if fields.get("kind") == '"aggregator"' else "outlets"
    config = tmp_path / "crawl.toml"
    config.write_text(f'name = "t"\n[topic]\nkeywords = ["banjir"]\n'
                      f'published_after = 2022-01-01\npublished_before = 2022-02-01\n'
                      f'[sources]\n{section} = ["kabarku"]\nsites_dir = "sites"\n'
                      f'domains = ["kabarku.id"]\n', encoding="utf-8")
    return config, profile


# (id, keys changed in PROFILE, what the one-line error says)
PROFILE_MISTAKES = [
    # types and keys
    ("not-toml", {"name": '"Kabarku'}, "cannot read outlet profile ("),
    ("domains-a-string", {"domains": '"kabarku.id"'},
     "domains must be a list of strings; got 'kabarku.id'"),
    ("search-a-number", {"search": "3"}, "search must be a string; got 3"),
    ("search-a-table", {"search": "{ q = 1 }"}, "search must be a string; got {'q': 1}"),
    ("unknown-key", {"colour": '"red"'},
     "unknown key 'colour' in outlet profile; expected one of key, name, domains, regional"),
    ("key-not-the-file-name", {"key": '"kabar"'}, "key 'kabar' differs from the file name"),
    ("no-name", {"name": None}, "outlet profile needs 'name'"),
    ("no-domains", {"domains": "[]"}, "outlet profile needs 'domains'"),
    ("kind-misspelt", {"kind": '"aggregatr"'},
     "kind must be one of outlet, aggregator; got 'aggregatr'"),
    # hosts
    ("domain-a-url", {"domains": '["https://kabarku.id/"]'},
     "domains must hold domain names such as \"example.co.id\" (no scheme, port or path);"
     " got 'https://kabarku.id/'"),
    ("domain-empty", {"domains": '["kabarku.id", ""]'}, "domains holds an empty string"),
    ("regional-not-a-host", {"regional": '["daerah kabarku.id"]'},
     "regional must hold domain names such as"),
    ("regional-elsewhere", {"regional": '["kabarku.co.id"]'},
     "regional 'kabarku.co.id' is outside the profile's domains (kabarku.id)"),
    # the homepage
    ("no-home", {"home": None},
     "outlet profile needs 'home', its homepage URL (e.g. home = \"https://www.kabarku.id/\")"),
    ("home-ipv6-unclosed", {"home": '"https://[::1"'},
     "home must be an http(s) URL; 'https://[::1' is not one (a malformed IPv6 address or URL)"),
    ("home-without-scheme", {"home": '"www.kabarku.id"'},
     "home must be an http(s) URL; 'www.kabarku.id' is not one (only http and https URLs"),
    ("home-without-host", {"home": '"https://"'}, "'https://' is not one (no host)"),
    ("home-elsewhere", {"home": '"https://kabarku.com/"'},
     "home 'https://kabarku.com/' is outside the profile's domains (kabarku.id): the crawl's"
     " scope would refuse it"),
    # feeds and sitemaps
    ("feed-relative", {"feeds": '["/rss"]'},
     "feeds must hold http(s) URLs; '/rss' is not one (only http and https URLs"),
    ("sitemap-ftp", {"sitemaps": '["ftp://kabarku.id/sitemap.xml"]'},
     "sitemaps must hold http(s) URLs; 'ftp://kabarku.id/sitemap.xml' is not one"),
    ("news-sitemap-port", {"news_sitemaps": '["https://kabarku.id:99999/news.xml"]'},
     "(the port must be a whole number from 1 to 65535)"),
    ("feed-elsewhere", {"feeds": '["https://feeds.example.com/kabarku"]'},
     "feeds 'https://feeds.example.com/kabarku' is outside the profile's domains"),
    # search and tag templates
    ("search-without-query", {"search": '"https://kabarku.id/cari"'},
     "search must be a URL template holding {query}; got 'https://kabarku.id/cari'"),
    ("tag-without-tag", {"tag": '"https://kabarku.id/tag/"'},
     "tag must be a URL template holding {tag}"),
    ("search-misspelt-placeholder", {"search": '"https://kabarku.id/cari?q={query}&p={pgae}"'},
     "search holds the placeholder {pgae}; a search template may hold {query}, {page},"
     " {after}, {before}"),
    ("tag-with-page", {"tag": '"https://kabarku.id/tag/{tag}?p={page}"'},
     "tag holds the placeholder {page}; a tag template may hold {tag}"),
    ("outlet-search-with-dates", {"search": '"https://kabarku.id/cari?q={query}&dari={after}"'},
     "search holds {after} or {before}, which only aggregators are given"),
    ("search-malformed", {"search": '"https://[kabarku.id/cari?q={query}"'},
     "search must be an http(s) URL template; 'https://[kabarku.id/cari?q={query}' is not one"
     " (a malformed IPv6 address or URL)"),
    ("tag-without-scheme", {"tag": '"kabarku.id/tag/{tag}"'},
     "tag must be an http(s) URL template; 'kabarku.id/tag/{tag}' is not one"),
    ("search-elsewhere", {"search": '"https://cari.example.com/?q={query}"'},
     "search 'https://cari.example.com/?q={query}' is outside the profile's domains"),
    ("aggregator-without-search", AGGREGATOR,
     "an aggregator profile needs 'search', the URL template it is asked with"),
    ("aggregator-date-format-writes-no-date",
     {**AGGREGATOR, "search": '"https://kabarku.id/cari?q={query}&dari={after}"',
      "date_format": '"%Q"'},
     "date_format must be a strftime format that writes the date, such as \"%Y-%m-%d\";"
     " got '%Q'"),
    # the other values
    ("regex-unclosed", {"article_pattern": r"'https://kabarku\.id/(\d+'"},
     "article_pattern is not a valid regex (missing ), unterminated subpattern"),
    ("language-ind", {"language": '"ind"'},
     "language must be a language code the detector knows (ISO 639-1, such as \"id\""),
    ("timezone-a-name", {"timezone": '"WIB"'},
     "timezone must be a UTC offset such as \"+07:00\"; got 'WIB'"),
    ("link-param-with-space", {"link_param": '"u rl"'},
     "link_param must be a query parameter name such as \"url\"; got 'u rl'"),
    ("single-page-not-a-query", {"single_page": '"page=all"'},
     "single_page must be a query such as \"?page=all\"; got 'page=all'"),
    ("unverified-unknown-key", {"unverified": '["serch"]'},
     "unverified names 'serch', which is not a key of outlet profiles"),
    ("boilerplate-empty", {"boilerplate": '["Baca juga:", ""]'},
     "boilerplate holds an empty string"),
]


@pytest.mark.parametrize(("values", "message"),
                         [pytest.param(v, m, id=i) for i, v, m in PROFILE_MISTAKES])
def test_a_bad_profile_value_is_one_line_naming_file_and_key(tmp_path, values, message):
    config, profile = crawl_of_profile(tmp_path, **values)
    result = liputan("crawl", str(config), "--dry-run", "--archive", str(tmp_path / "a"))
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    (line,) = result.stderr.splitlines()
    section = "aggregators" if values.get("kind") == '"aggregator"' else "outlets"
    assert line.startswith(f"Error: {config}: sources.{section}: {profile}: "), line
    assert message in line
    assert result.stdout == "" and not (tmp_path / "a").exists()


@pytest.mark.parametrize(("folder", "says"), [
    pytest.param("nowhere", "does not exist", id="missing"),
    pytest.param("crawl.toml", "is not a folder", id="a-file")])
def test_a_bad_sites_dir_is_one_line_naming_the_folder(tmp_path, folder, says):
    config, _ = crawl_of_profile(tmp_path)
    config.write_text(config.read_text().replace('"sites"', f'"{folder}"'), encoding="utf-8")
    result = liputan("crawl", str(config), "--dry-run")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.splitlines() == [
        f"Error: {config}: sources.sites_dir {folder!r}: {tmp_path / folder} {says}"]


def test_a_profile_with_every_key_set_is_planned(tmp_path):
    config, _ = crawl_of_profile(
        tmp_path, regional='["daerah.kabarku.id"]', feeds='["https://www.kabarku.id/rss"]',
        sitemaps='["https://www.kabarku.id/sitemap.xml"]',
        news_sitemaps='["https://www.kabarku.id/news.xml"]',
        search='"https://cari.kabarku.id/?q={query}&p={page}"',
        tag='"https://www.kabarku.id/tag/{tag}"',
        article_pattern=r"'https://[a-z.]*kabarku\.id/\d+'",
        timezone='"+08:00"', language='"ms"', single_page='"?page=all"', page_param='"page"',
        boilerplate='["Baca juga:"]', unverified='["regional", "search"]', link_param='"url"')
    result = liputan("crawl", str(config), "--dry-run")
    assert result.returncode == 0, result.stderr
    for url in ("https://www.kabarku.id/rss", "https://cari.kabarku.id/?q=banjir&p=1",
                "https://www.kabarku.id/tag/banjir", "https://www.kabarku.id/"):
        assert url in result.stdout


def test_every_shipped_profile_keeps_the_rules():
    from crawler.outlets import SITES_DIR, all_profiles

    assert len(all_profiles()) == len(list(SITES_DIR.glob("*.toml"))) > 20
