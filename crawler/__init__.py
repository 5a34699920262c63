"""Liputan: an archival crawler for Indonesian news coverage (Scrapy side)."""

import os

__version__ = "0.1.0"

# Scrapy's cookie middleware builds a tldextract.TLDExtract when it is imported, which
# downloads the Public Suffix List on first use (publicsuffix.org, then a mirror): outside
# the crawl's proxy and scope, and failing with tracebacks offline. An empty URL list makes
# it use the snapshot tldextract ships. Set here, before any Scrapy component is imported,
# for `liputan crawl` and `scrapy crawl` alike; a value the user set is kept.
os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")
