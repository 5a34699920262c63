"""Scrapy settings for Liputan, and every LIPUTAN_* default with what it controls."""

from scrapy.settings import default_settings as _scrapy_defaults

from crawler import __version__
from crawler.config import MAX_DELAY_SECONDS
from pipelines.decoding import MAX_BODY_BYTES

BOT_NAME = "liputan"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

# -- Liputan -------------------------------------------------------------------------------
LIPUTAN_ARCHIVE_DIR = "archive"  # root of WARC files (<crawl>/warcs/) and index.db
LIPUTAN_CAPTURE_ENABLED = True  # write every exchange to WARC and the index
LIPUTAN_EXTRACT_ENABLED = True  # extract articles (trafilatura) in a process pool
LIPUTAN_EXTRACT_WORKERS = 0  # extraction processes; 0 = one per available core
# Extraction workers run this much nicer than the crawl: the event loop is the one serial
# path, so it gets the CPU first (measured +20 % pages/s on 2 cores); workers catch up.
LIPUTAN_EXTRACT_NICENESS = 10
LIPUTAN_WARC_MAX_BYTES = 1_000_000_000  # roll over to a new WARC file past this size
LIPUTAN_WARC_GZIP_LEVEL = 6  # per-record gzip level; 9 costs ~1.7x the CPU for <1 % space
# Who ran the crawl (a person or institution and a contact), for every warcinfo's `operator`.
LIPUTAN_WARC_OPERATOR = ""
# Each indexed article's text also as a WARC conversion record (WARC-Refers-To its response):
# the archive alone then carries the text researchers cite.
LIPUTAN_WARC_TEXT = False
LIPUTAN_HTTP_PROXY = ""  # send every request through this HTTP proxy (the fixture web)
LIPUTAN_PROGRESS = "auto"  # live progress line: "auto" (on a terminal), "always", "never"
LIPUTAN_PROGRESS_INTERVAL = 1.0  # seconds between progress updates on a terminal
LIPUTAN_LOG_INTERVAL = 30.0  # seconds between progress log lines when not on a terminal
LIPUTAN_MAX_PAGES = 0  # page budget, spent at the downloader; crawl configs set it
LIPUTAN_FOCUS = True  # score pages and links by topic; gate coverage (language, window, topic)
LIPUTAN_BEST_FIRST = True  # request priority = link score; False = breadth-first (FIFO)
# Continue the crawl's last run if it was interrupted (killed, Ctrl-C): its frontier, budget
# and WARC files carry on. False starts a new run (the frontier restarts from discovery).
LIPUTAN_RESUME = True
# After every finished run: CDXJ beside its WARCs and <crawl>-run<N>.wacz (`liputan package`).
LIPUTAN_PACKAGE = False
# A run whose failed fetches pass this share of its requests is recorded "failed", exit 1.
LIPUTAN_MAX_FAILURE_SHARE = 0.5
LIPUTAN_SCHEDULE_ID = 0  # the schedule that started this run (set by `liputan scheduler`)
# Gaps between two requests to one host are drawn in DOWNLOAD_DELAY x [1, 1 + this]: above
# the configured delay, never below (crawler/politeness.py).
LIPUTAN_DELAY_JITTER = 0.5
# The longest a host is left alone: caps its robots.txt Crawl-delay and any backoff after a
# 429 or 503 (its Retry-After included).
LIPUTAN_MAX_HOST_WAIT = MAX_DELAY_SECONDS
# Link-local and cloud metadata addresses are refused (crawler/scope.py); True lets a crawl
# reach a device on the local link (never a metadata address). Never for a crawl of the web.
LIPUTAN_ALLOW_LINK_LOCAL = False

# -- Scrapy --------------------------------------------------------------------------------
USER_AGENT = f"Liputan/{__version__} (archival crawler for news research)"
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 32
CONCURRENT_REQUESTS_PER_DOMAIN = 2  # crawl configs raise it (politeness.concurrent_per_host)
DOWNLOAD_DELAY = 2.0  # per host, a floor; crawl configs set it (politeness.delay_per_host)
# Scrapy's +-50 % would go below the floor (0.56 s gaps under 1.0 s): LIPUTAN_DELAY_JITTER
# randomises above it instead (crawler/components/politeness.py).
DOWNLOAD_DELAY_JITTER = 0
DOWNLOAD_TIMEOUT = 60
# Bigger responses are dropped and logged as failures; what reads the archive later decodes
# no more of a body either (pipelines/decoding.py).
DOWNLOAD_MAXSIZE = MAX_BODY_BYTES
DOWNLOAD_WARNSIZE = 8 * 1024 * 1024
RETRY_TIMES = 2
# A page yields one item and a few requests; Scrapy starts this many tasks per response.
CONCURRENT_ITEMS = 16
COOKIES_ENABLED = True
TELNETCONSOLE_ENABLED = False  # opens no port
# Scrapy 2.19's remote control runs code sent to an HTTP port on localhost: not for a crawl
# that may run unattended from a scheduler.
REMOTE_CONTROL_ENABLED = False
# Host names that resolve to a link-local or metadata address are refused too. Newer Scrapy
# renamed DNS_RESOLVER to TWISTED_DNS_RESOLVER (the old name warns there).
if hasattr(_scrapy_defaults, "TWISTED_DNS_RESOLVER"):
    TWISTED_DNS_RESOLVER = "crawler.components.scope.ScopedResolver"
else:
    DNS_RESOLVER = "crawler.components.scope.ScopedResolver"
LOG_LEVEL = "INFO"
# Breadth within a priority level: discovery order, not depth-first.
DEPTH_PRIORITY = 1
SCHEDULER_DISK_QUEUE = "scrapy.squeues.PickleFifoDiskQueue"
SCHEDULER_MEMORY_QUEUE = "scrapy.squeues.FifoMemoryQueue"
# Start requests (feeds, sitemaps, search pages) compete by priority with the links they
# lead to, instead of waiting behind every scheduled link: best-first needs one ordering.
SCHEDULER_START_MEMORY_QUEUE = None
SCHEDULER_START_DISK_QUEUE = None

DOWNLOADER_MIDDLEWARES = {
    # every request, redirect hops and robots.txt included, kept to the crawl's scope;
    # Scrapy's own lets through whatever carries allow_offsite (see the component)
    "scrapy.downloadermiddlewares.offsite.OffsiteMiddleware": None,
    "crawler.components.scope.ScopeGuard": 50,
    # after robots.txt (100): a disallowed URL costs nothing
    "crawler.components.budget.PageBudget": 150,
    # a recheck's If-None-Match / If-Modified-Since, and its 304 let through to the spider
    "crawler.components.conditional.ConditionalRequests": 160,
    "crawler.components.proxy.FixedProxy": 740,  # before HttpProxyMiddleware (750)
    # at the wire: above compression (590) and redirects (600)
    "crawler.components.capture.WarcCapture": 950,
}
# None: the spider indexes each page itself, before it offers the page's links and marks
# it done, so a crash can never leave a page "done" with its article or links unrecorded.
ITEM_PIPELINES: dict[str, int] = {}
EXTENSIONS = {
    "scrapy.extensions.logstats.LogStats": None,  # replaced by the progress extension
    "crawler.components.progress.Progress": 500,
    "crawler.components.politeness.Politeness": 510,
}
