"""Scrapy adapters only: every class here wraps plain code from crawler/ or pipelines/."""
