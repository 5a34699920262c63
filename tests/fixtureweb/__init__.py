"""The fixture web: fictional Indonesian news outlets served locally as an HTTP proxy.

    from tests.fixtureweb import FixtureWeb
    with FixtureWeb() as web:            # the hand-written corpus in corpus/*.toml
        ...                              # crawl web.start_urls through web.proxy_url

Special behaviours (redirect, 404, gzip, chunked, two Set-Cookie lines, PDF, identical JPEGs at
two URLs, English edition, lying charset header, multi-page article, robots-disallowed link) are
listed in ``web.specials``. Generated webs (``outlets=N``) keep them: most live on the first
outlet, the chunked homepage is the first kompas-style outlet's (the second outlet).
"""

from .corpus import CorpusError
from .server import Headers, RequestLog
from .web import ArticleInfo, FixtureWeb

__all__ = ["ArticleInfo", "CorpusError", "FixtureWeb", "Headers", "RequestLog"]
