"""Liputan: an archival crawler for Indonesian news coverage (Scrapy side)."""

__version__ = "0.1.0"
