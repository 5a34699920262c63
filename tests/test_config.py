"""Crawl configs: valid files load; every mistake is one line naming file, key, expectation."""

from __future__ import annotations

from datetime import date

import pytest

from crawler.config import ConfigError, load_config

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


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (GOOD.replace("max_pages = 100", 'max_pages = "many"'),
         "limits.max_pages must be a whole number"),
        (GOOD.replace("[limits]", "[limits]\nmax_pagez = 3"), "unknown key limits.max_pagez"),
        (GOOD.replace('name = "kaz"', 'name = "a b/c"'), "key 'name' may hold only"),
        (GOOD.replace('feeds = ["http://news.harianlangit.test/rss"]', 'feeds = ["ftp://x"]'),
         "sources.feeds must hold http(s) URLs"),
        (GOOD.replace("published_after = 2022-01-01", "published_after = 2023-01-01"),
         "published_after is later"),
        (GOOD.replace("published_after = 2022-01-01", 'published_after = "Jan 2022"'),
         "must be a date"),
        ("name = [", "invalid TOML"),
        ('name = "x"\n', "nothing to crawl"),
        (GOOD.replace("[sources]", '[sources]\noutlets = ["nosuchoutlet"]'),
         "no outlet profile 'nosuchoutlet' in "),
        (GOOD.replace("[sources]", '[sources]\noutlets = ["detik"]\nsites_dir = "nowhere"'),
         "nowhere (sources.sites_dir) does not exist"),
        (GOOD.replace("[sources]", '[sources]\noutlets = ["gdelt"]'),
         "'gdelt' is an aggregator: list it in sources.aggregators"),
        (GOOD.replace("[sources]", '[sources]\naggregators = ["detik"]'),
         "'detik' is an outlet: list it in sources.outlets"),
        ('name = "x"\n[sources]\naggregators = ["bing-news"]\n', "scope, which is empty"),
        (GOOD.replace("[sources]", '[sources]\naggregators = ["gdelt"]').replace(
            "published_before = 2022-02-15\n", ""), "set topic.published_before"),
        (GOOD.replace("[topic]", '[topic]\nseed_texts = ["nothing/*.txt"]'), "matches no file"),
        (GOOD.replace("[topic]", '[topic]\naliases = ["Tokayev"]'), "a list of lists"),
        (GOOD.replace("[topic]", "[topic]\nthreshold = 2"), "topic.threshold must be in"),
        (GOOD + "[recrawl]\nrecheck_days = -1\n", "recrawl.recheck_days must be a whole"),
        (GOOD + "[recrawl]\nrecheck_days = 100000\n", "recrawl.recheck_days must be at most"),
        (GOOD + '[recrawl]\nenabled = "yes"\n', "recrawl.enabled must be true or false"),
        (GOOD + "[recrawl]\nrecheck = 3\n", "unknown key recrawl.recheck"),
        # Values of the right type that would break the crawl (issue 13): every key a rule.
        (GOOD.replace("delay_per_host = 0", "delay_per_host = inf"),
         "politeness.delay_per_host must be a finite number >= 0; got inf"),
        (GOOD.replace("delay_per_host = 0", "delay_per_host = nan"),
         "politeness.delay_per_host must be a finite number >= 0; got nan"),
        (GOOD.replace("delay_per_host = 0", "delay_per_host = -1.5"),
         "politeness.delay_per_host must be a finite number >= 0"),
        (GOOD.replace("delay_per_host = 0", "delay_per_host = 86400"),
         "politeness.delay_per_host must be at most 3600; got 86400.0"),
        (GOOD.replace("delay_per_host = 0", "concurrent_per_host = 0"),
         "politeness.concurrent_per_host must be at least 1"),
        (GOOD.replace("delay_per_host = 0", "concurrent_per_host = 5000"),
         "politeness.concurrent_per_host must be at most 256"),
        (GOOD.replace("delay_per_host = 0", 'user_agent = "bot\\r\\nX-Evil: 1"'),
         "politeness.user_agent must be printable ASCII on one line"),
        (GOOD.replace("[topic]", "[topic]\nthreshold = nan"), "topic.threshold must be a finite"),
        (GOOD.replace("[topic]", '[topic]\nlanguage = "ind"'),
         "topic.language must be a language code the detector knows (ISO 639-1, such as \"id\""),
        (GOOD.replace("[topic]", '[topic]\nlanguage = "xx"'), "got 'xx'"),
        (GOOD.replace('keywords = ["Kazakhstan", "Tokayev"]', 'keywords = ["Kazakhstan", " "]'),
         "topic.keywords holds an empty string"),
        (GOOD.replace("[topic]", "[topic]\naliases = [[]]"), "topic.aliases holds an empty group"),
        (GOOD.replace("max_pages = 100", "max_pages = 0"), "limits.max_pages must be at least 1"),
        (GOOD.replace("max_pages = 100", "max_pages = 99999999999999"),
         "limits.max_pages must be at most"),
        (GOOD.replace("max_pages = 100", "max_depth = 100000"), "limits.max_depth must be at most"),
        (GOOD.replace("max_pages = 100", "tunnel_depth = -1"),
         "limits.tunnel_depth must be a whole"),
        (GOOD.replace('name = "kaz"', 'name = ".."'), "key 'name' may hold only"),
        (GOOD.replace('name = "kaz"', 'name = "' + "k" * 101 + '"'), "at most 100 long"),
        (GOOD.replace("[sources]", '[sources]\ndomains = ["https://kabarku.id/"]'),
         "sources.domains must hold domain names such as \"example.co.id\""),
        (GOOD.replace("[sources]", '[sources]\ndomains = ["kabar..id"]'), "got 'kabar..id'"),
        (GOOD.replace("[sources]", '[sources]\ntags = [""]'), "sources.tags holds an empty"),
    ],
)
def test_mistakes_are_named(tmp_path, text, message):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert message in str(info.value)
    assert str(path) in str(info.value)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(("url", "problem"), [
    ("http://[::1", "a malformed IPv6 address or URL"),
    ("http://[::1]:99999/", "the port must be a whole number from 1 to 65535"),
    ("http://127.0.0.1:99999/", "the port must be a whole number from 1 to 65535"),
    ("http://127.0.0.1:0/", "the port must be a whole number from 1 to 65535"),
    ("http://127.0.0.1:-1/", "the port must be a whole number from 1 to 65535"),
    ("http://exa mple.test/", "it holds a space or control character"),
    ("http://:80/", "no host"),
    ("http://a..test/", "'a..test' is not a valid host name"),
    ("file:///etc/passwd", "only http and https URLs can be crawled"),
])
def test_a_url_that_cannot_be_fetched_is_named_with_the_reason(tmp_path, url, problem):
    text = GOOD.replace('"http://www.kabarnusantara.test/"', f'"{url}"')
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, text))
    assert str(info.value) == (f"{tmp_path / 'crawl.toml'}: sources.start_urls must hold"
                               f" http(s) URLs; {url!r} is not one ({problem})")


@pytest.mark.parametrize("url", ["http://[::1]:8080/", "https://bücher.test/berita",
                                 "http://127.0.0.1:65535/x?y=1#z", "http://a_b.test/"])
def test_urls_with_ip_literals_idn_hosts_and_ports_are_fine(tmp_path, url):
    text = GOOD.replace('"http://www.kabarnusantara.test/"', f'"{url}"')
    assert load_config(write(tmp_path, text)).sources.start_urls == (url,)


@pytest.mark.parametrize("language", ["", "id", "ms", "en", "jv", "ace"])
def test_every_language_the_detector_returns_is_accepted(tmp_path, language):
    text = GOOD.replace("[topic]", f'[topic]\nlanguage = "{language}"')
    assert load_config(write(tmp_path, text)).topic.language == language


def test_the_config_s_language_list_is_the_detector_s():
    # One list, in pipelines/language.py; it must name exactly what the classifier returns.
    from pipelines.language import LANGUAGES, _identifier

    assert set(_identifier().nb_classes) == LANGUAGES


def test_missing_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "nope.toml")


def test_an_outlet_profile_must_say_where_its_homepage_is(tmp_path):
    from crawler.outlets import ProfileError, load_profile

    path = tmp_path / "kabarku.toml"
    path.write_text('key = "kabarku"\nname = "Kabarku"\ndomains = ["kabarku.id"]\n',
                    encoding="utf-8")
    with pytest.raises(ProfileError, match=r"needs 'home'.*https://www\.kabarku\.id/"):
        load_profile(path)
    path.write_text(path.read_text() + 'home = "https://kabarku.id/"\n', encoding="utf-8")
    assert load_profile(path).homepage == "https://kabarku.id/"
