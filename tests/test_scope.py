"""The crawl's scope rules (crawler/scope.py), the resolver that applies them to addresses,
and the content rules a hostile page meets: binary served as HTML, 50,000 links."""

from __future__ import annotations

import random
import subprocess
import sys
import time

import pytest

from crawler.scope import Scope
from pipelines.extract import BINARY, analyse_page, not_text
from pipelines.links import MAX_PAGE_LINKS
from pipelines.urls import url_problem
from tests.conftest import REPO
from tests.faultweb import MANY_LINKS, article_html, many_links_body

SCOPE = Scope(frozenset({"kabar.test"}), frozenset({"kabar.test", "agregat.test"}))


@pytest.mark.parametrize(("url", "why"), [
    ("http://kabar.test/berita/1", None),
    ("https://regional.kabar.test/x", None),
    ("http://kabar.test./x", None),
    ("http://evilkabar.test/", "off-site"),
    ("http://agregat.test/search?q=x", "off-site"),  # the plan's scope only
    ("http://127.0.0.1/", "off-site"),
    ("ftp://kabar.test/x", "scheme"),
    ("file:///etc/passwd", "scheme"),
    ("javascript:alert(1)", "scheme"),
    ("http://kabar.test:99999/", "bad-url"),
    ("http://kabar.test:0/", "bad-url"),
    ("http://[::1/", "bad-url"),
    ("http:///no-host", "bad-url"),
    ("http://169.254.169.254/latest/meta-data/", "metadata"),
    ("http://[fd00:ec2::254]/", "metadata"),
    ("http://metadata.google.internal/computeMetadata/v1/", "metadata"),
    ("http://METADATA.google.internal./", "metadata"),
    ("http://100.100.100.200/", "metadata"),
    ("http://2852039166/", "metadata"),  # 169.254.169.254 as one decimal number
    ("http://0xa9fea9fe/", "metadata"),
    ("http://0251.0376.0251.0376/", "metadata"),  # octal
    ("http://[::ffff:169.254.169.254]/", "metadata"),
    ("http://[64:ff9b::a9fe:a9fe]/", "metadata"),  # NAT64
    ("http://169.254.1.1/", "link-local"),
    ("http://[fe80::1%25eth0]/", "link-local"),
])
def test_every_request_is_judged_by_one_rule(url, why):
    assert SCOPE.refusal(url) == why


@pytest.mark.parametrize("url", ["ftp://kabar.test/x", "file:///etc/passwd",
                                 "http://kabar.test:99999/", "http://kabar.test:0/",
                                 "http://[::1/", "http:///no-host"])
def test_a_url_the_crawl_refuses_is_one_the_config_check_refuses(url):
    # One rule (pipelines.urls.split_http): a start URL that passes the config check is
    # never refused at crawl time as malformed, nor the other way round.
    assert SCOPE.refusal(url) in ("scheme", "bad-url")
    assert url_problem(url) is not None


def test_the_plan_scope_adds_the_aggregators_hosts():
    assert SCOPE.refusal("http://agregat.test/search?q=x", plan=True) is None
    assert SCOPE.refusal("http://elsewhere.test/", plan=True) == "off-site"
    assert SCOPE.refusal("http://169.254.169.254/", plan=True) == "metadata"


def test_allowing_the_local_link_never_allows_metadata():
    local = Scope(allow_link_local=True)
    assert local.refusal("http://169.254.1.1/") is None
    assert local.refusal("http://169.254.169.254/") == "metadata"
    assert Scope().refusal("http://example.org/") is None  # no host rule without domains


RESOLVE = """
from scrapy.settings import Settings
from twisted.internet import reactor
from crawler.components.scope import ScopedResolver

class Process:  # what Scrapy hands a resolver: the settings
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")

resolver = ScopedResolver.from_crawler(Process(), reactor)
answers = {}
def done(result, name):
    answers[name] = getattr(result, "value", result)
    if len(answers) == 3:
        reactor.stop()
for name in ("localhost", "169.254.169.254", "2852039166"):
    resolver.getHostByName(name).addBoth(done, name)
reactor.run()
for name, answer in answers.items():
    print(name, type(answer).__name__, answer)
"""


def test_the_resolver_refuses_names_that_resolve_to_metadata():
    # Real resolution (the system's resolver answers numeric names itself), through the
    # component Scrapy installs (TWISTED_DNS_RESOLVER).
    result = subprocess.run([sys.executable, "-c", RESOLVE], cwd=REPO, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    lines = set(result.stdout.splitlines())
    assert "localhost str 127.0.0.1" in lines
    assert ("169.254.169.254 RefusedAddress 169.254.169.254 resolves to 169.254.169.254"
            " (metadata)") in lines
    assert "2852039166 RefusedAddress 2852039166 resolves to 169.254.169.254 (metadata)" in lines


@pytest.mark.parametrize("content_type", ["text/html; charset=utf-8", "text/html",
                                          "text/html; charset=iso-8859-1",
                                          "text/html; charset=x-no-such-charset"])
def test_random_bytes_served_as_html_are_binary(content_type):
    body = random.Random(8).randbytes(100_000)
    assert not_text(body, content_type).startswith("binary: ")
    analysis = analyse_page(b"<!doctype html><html><body>" + body, "http://k.test/x",
                            content_type)
    assert analysis.kind == BINARY and analysis.article is None and analysis.error


def test_text_in_any_declared_charset_is_not_binary():
    page = article_html("Banjir “Bandang”")
    assert not_text(page.encode(), "text/html; charset=utf-8") is None
    assert not_text(page.encode(), "text/html; charset=iso-8859-1") is None  # a lying header
    assert not_text(page.encode("cp1252"), "text/html; charset=utf-8") is None
    assert not_text(page.encode("utf-16"), "text/html; charset=utf-16") is None
    for path in sorted((REPO / "tests" / "golden").glob("*.html")):
        assert not_text(path.read_bytes(), "text/html") is None, path.name


def test_a_page_of_50k_links_is_read_capped_and_not_as_an_article():
    started = time.monotonic()
    analysis = analyse_page(many_links_body(), "http://k.test/indeks", "text/html",
                            with_outlinks=True)
    assert time.monotonic() - started < 5  # whole, trafilatura took 31 s and 430 MB
    assert analysis.kind == "page" and analysis.article is None
    assert len(analysis.outlinks) == MAX_PAGE_LINKS
    assert analysis.links_over_cap == MANY_LINKS - MAX_PAGE_LINKS
    assert analysis.outlinks[0].url == "http://k.test/item/0"

