"""The crawl's frontier: what to fetch next (policy), and the Scrapy queue that serves it."""
