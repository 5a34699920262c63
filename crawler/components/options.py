"""Every LIPUTAN_* setting, read once into a frozen object (defaults in crawler/settings.py).

Components take their values from here instead of calling `settings.get…` on every use, so
a bad value fails once, at start-up, with the setting's name.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from crawler.config import MAX_DELAY_SECONDS, MAX_PAGES
from pipelines.pool import MAX_WORKERS
from pipelines.urls import url_problem

if TYPE_CHECKING:
    from scrapy.settings import BaseSettings

PROGRESS_MODES = ("auto", "always", "never")


class OptionsError(ValueError):
    """A LIPUTAN_* setting with a value Liputan cannot use."""


@dataclass(frozen=True)
class Options:
    archive_dir: Path
    capture: bool
    extract: bool
    extract_workers: int
    extract_niceness: int
    warc_max_bytes: int
    warc_gzip_level: int
    warc_operator: str
    warc_text: bool
    http_proxy: str
    progress: str
    progress_interval: float
    log_interval: float
    max_pages: int
    focus: bool
    best_first: bool
    resume: bool
    package: bool
    max_failure_share: float
    schedule_id: int | None
    delay_jitter: float
    max_host_wait: float
    allow_link_local: bool

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> Options:
        def number(name: str, kind: type, low: float, high: float) -> float:
            key = f"LIPUTAN_{name}"
            try:
                value = kind(settings.get(key))
            except (TypeError, ValueError) as exc:
                raise OptionsError(f"{key} must be a number; got {settings.get(key)!r}") from exc
            if not low <= value <= high:  # NaN fails both comparisons
                raise OptionsError(f"{key} must be between {low} and {high}; got {value}")
            return value

        def flag(name: str) -> bool:
            key = f"LIPUTAN_{name}"
            try:
                return settings.getbool(key)
            except ValueError as exc:
                raise OptionsError(f"{key} must be True or False; got {settings.get(key)!r}"
                                   ) from exc

        progress = str(settings.get("LIPUTAN_PROGRESS", "auto"))
        if progress not in PROGRESS_MODES:
            raise OptionsError(f"LIPUTAN_PROGRESS must be one of {', '.join(PROGRESS_MODES)};"
                               f" got {progress!r}")
        operator = " ".join(str(settings.get("LIPUTAN_WARC_OPERATOR") or "").split())
        if len(operator) > 500:
            raise OptionsError("LIPUTAN_WARC_OPERATOR must be one line of at most 500 characters")
        proxy = str(settings.get("LIPUTAN_HTTP_PROXY") or "")
        if proxy and url_problem(proxy):
            raise OptionsError(f"LIPUTAN_HTTP_PROXY (--proxy) must be an http(s) URL such as"
                               f" http://127.0.0.1:8080; {proxy!r} is not one"
                               f" ({url_problem(proxy)})")
        return cls(
            archive_dir=Path(settings.get("LIPUTAN_ARCHIVE_DIR") or "archive"),
            capture=flag("CAPTURE_ENABLED"),
            extract=flag("EXTRACT_ENABLED"),
            extract_workers=int(number("EXTRACT_WORKERS", int, 0, MAX_WORKERS)),
            extract_niceness=int(number("EXTRACT_NICENESS", int, 0, 19)),
            warc_max_bytes=int(number("WARC_MAX_BYTES", int, 1, 1 << 50)),
            warc_gzip_level=int(number("WARC_GZIP_LEVEL", int, 0, 9)),
            warc_operator=operator,
            warc_text=flag("WARC_TEXT"),
            http_proxy=proxy,
            progress=progress,
            progress_interval=number("PROGRESS_INTERVAL", float, 0.05, 3600),
            log_interval=number("LOG_INTERVAL", float, 0.05, 86400),
            max_pages=int(number("MAX_PAGES", int, 0, MAX_PAGES)),
            focus=flag("FOCUS"),
            best_first=flag("BEST_FIRST"),
            resume=flag("RESUME"),
            package=flag("PACKAGE"),
            max_failure_share=number("MAX_FAILURE_SHARE", float, 0, 1),
            schedule_id=int(number("SCHEDULE_ID", int, 0, 1 << 62)) or None,
            delay_jitter=number("DELAY_JITTER", float, 0, 10),
            max_host_wait=number("MAX_HOST_WAIT", float, 1, MAX_DELAY_SECONDS),
            allow_link_local=flag("ALLOW_LINK_LOCAL"),
        )
