"""Publication dates as Indonesian outlets write them, to ISO 8601 in the outlet's zone.

Outlets state dates in ISO 8601 (JSON-LD, meta), in the URL (/2022/01/06/), and in visible
lines: "Kamis, 06 Jan 2022 14:30 WIB", "16 Januari 2022, 08:47 WITA", "Senin, 21 Nop 2022",
"6/1/2022 10:05", or relative "2 jam lalu". dateparser mis-reads several of these (see
FACTS.md), so the grammar here is explicit. Results are strings: a timestamp with seconds and
offset when a time is known, else a bare day ("2022-01-06").
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone

WIB = timezone(timedelta(hours=7))
ZONES = {"wib": WIB, "wita": timezone(timedelta(hours=8)), "wit": timezone(timedelta(hours=9))}

MONTHS = {
    "januari": 1, "jan": 1, "january": 1,
    "februari": 2, "feb": 2, "pebruari": 2, "peb": 2, "february": 2,
    "maret": 3, "mar": 3, "march": 3,
    "april": 4, "apr": 4,
    "mei": 5, "may": 5,
    "juni": 6, "jun": 6, "june": 6,
    "juli": 7, "jul": 7, "july": 7,
    "agustus": 8, "agu": 8, "agt": 8, "ags": 8, "agus": 8, "aug": 8, "august": 8,
    "september": 9, "sep": 9, "sept": 9,
    "oktober": 10, "okt": 10, "oct": 10, "october": 10,
    "november": 11, "nov": 11, "nop": 11, "nopember": 11,
    "desember": 12, "des": 12, "dec": 12, "december": 12,
}
_MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))
_TIME = r"(?:pukul\s+|jam\s+|at\s+)?(\d{1,2})[:.](\d{2})(?:[:.](\d{2}))?(?:\s*(am|pm))?"
_ZONE = r"(?:\s*(wib|wita|wit)\b)?"
_SEP = r"[\s,|/\-–—:]*"
# "06 Jan 2022 14:30 WIB", "16 Januari 2022, 08:47 WITA", "21 Nop 2022 - 07:05"
_DAY_MONTH_YEAR = re.compile(
    rf"\b(\d{{1,2}})\s+({_MONTH})\.?\s+(\d{{4}})(?:{_SEP}{_TIME})?{_ZONE}", re.I)
# "January 6, 2022 10:05"
_MONTH_DAY_YEAR = re.compile(
    rf"\b({_MONTH})\.?\s+(\d{{1,2}}),?\s+(\d{{4}})(?:{_SEP}{_TIME})?{_ZONE}", re.I)
# "06/01/2022 14:30 WIB", "6-1-2022" (day first, as Indonesia writes them)
_NUMERIC = re.compile(
    rf"\b(\d{{1,2}})[/.-](\d{{1,2}})[/.-](\d{{4}})(?:{_SEP}{_TIME})?{_ZONE}", re.I)
# "2022-01-06 14:30:00"
_ISO_LIKE = re.compile(rf"\b(\d{{4}})-(\d{{2}})-(\d{{2}})(?:[T\s]+{_TIME})?{_ZONE}", re.I)
_RELATIVE = re.compile(
    r"\b(\d+|se)\s*(detik|menit|jam|hari|minggu|pekan|bulan|tahun)\s+(?:yang\s+)?lalu\b", re.I)
_URL_DATE = re.compile(
    r"/((?:19|20)\d{2})[/-]?(0[1-9]|1[0-2])[/-]?(0[1-9]|[12]\d|3[01])(?=[/_-]|\d{2,}|$)")
_ZONE_WORD = re.compile(r"\b(WIB|WITA|WIT)\b")


def zone_in(text: str | None) -> timezone | None:
    """The Indonesian time zone a visible date line names, if any."""
    match = _ZONE_WORD.search(text or "")
    return ZONES[match.group(1).lower()] if match else None


def _stamp(moment: datetime, tz: timezone) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)
    return moment.astimezone(tz).isoformat(timespec="seconds")


def _plausible(year: int) -> bool:
    return 1990 <= year <= 2100


def parse_iso(value: str | None, tz: timezone = WIB) -> str | None:
    """A machine-readable date (JSON-LD, meta) in the outlet's zone; None when unreadable."""
    if not value:
        return None
    value = value.strip()
    # Seen on Indonesian outlets: "2019-09-28WIB19:17:34+07:00", "2022-01-06 14:30:00 WIB".
    value = re.sub(r"(\d)\s*(WIB|WITA|WIT)\s*(\d)", r"\1T\3", value, flags=re.I)
    zone = zone_in(value.upper())
    value = _ZONE_WORD.sub("", value.upper()).strip().replace("Z", "+00:00")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return parse_text(value, tz)
    if not _plausible(moment.year):
        return None
    if len(value) <= 10:
        return moment.date().isoformat()
    return _stamp(moment if moment.tzinfo or not zone else moment.replace(tzinfo=zone), tz)


def _build(year: int, month: int, day: int, hour: str | None, minute: str | None,
           second: str | None, ampm: str | None, zone: str | None, tz: timezone) -> str | None:
    try:
        if not _plausible(year):
            return None
        if hour is None:
            return date(year, month, day).isoformat()
        h = int(hour)
        if ampm:
            h = h % 12 + (12 if ampm.lower() == "pm" else 0)
        local = ZONES[zone.lower()] if zone else tz
        moment = datetime(year, month, day, h, int(minute), int(second or 0), tzinfo=local)
    except ValueError:
        return None
    return moment.isoformat(timespec="seconds")


def parse_text(text: str | None, tz: timezone = WIB) -> str | None:
    """The first absolute date in a visible line such as "Kamis, 06 Jan 2022 14:30 WIB".

    A date line that names WITA or WIT keeps that zone (the outlet writes local time);
    otherwise the time is taken as the outlet's zone `tz`.
    """
    if not text:
        return None
    candidates = []
    for pattern, order in ((_DAY_MONTH_YEAR, "dmy"), (_MONTH_DAY_YEAR, "mdy"),
                           (_ISO_LIKE, "ymd"), (_NUMERIC, "dmy-numeric")):
        match = pattern.search(text)
        if match:
            candidates.append((match.start(), order, match))
    for _start, order, match in sorted(candidates, key=lambda c: c[0]):
        g = match.groups()
        if order == "dmy":
            day, month, year = int(g[0]), MONTHS[g[1].lower()], int(g[2])
        elif order == "mdy":
            month, day, year = MONTHS[g[0].lower()], int(g[1]), int(g[2])
        elif order == "ymd":
            year, month, day = int(g[0]), int(g[1]), int(g[2])
        else:
            day, month, year = int(g[0]), int(g[1]), int(g[2])
        found = _build(year, month, day, *g[3:8], tz)
        if found:
            return found
    return None


_UNITS = {"detik": "seconds", "menit": "minutes", "jam": "hours", "hari": "days",
          "minggu": "weeks", "pekan": "weeks", "bulan": "months", "tahun": "years"}


def parse_relative(text: str | None, captured_at: datetime | None,
                   tz: timezone = WIB) -> str | None:
    """ "2 jam lalu" against the capture time: a timestamp for seconds to hours, a day beyond."""
    if not text or captured_at is None:
        return None
    match = _RELATIVE.search(text)
    if not match:
        return None
    amount = 1 if match.group(1).lower() == "se" else int(match.group(1))
    unit = _UNITS[match.group(2).lower()]
    if captured_at.tzinfo is None:
        captured_at = captured_at.replace(tzinfo=UTC)
    if unit == "months":
        delta = timedelta(days=30 * amount)
    elif unit == "years":
        delta = timedelta(days=365 * amount)
    else:
        delta = timedelta(**{unit: amount})
    moment = (captured_at - delta).astimezone(tz)
    if unit in ("seconds", "minutes", "hours"):
        return moment.isoformat(timespec="seconds")
    return moment.date().isoformat()


def date_from_url(url: str) -> str | None:
    """A day from the URL path (/read/2022/01/06/..., /2022-01-06/, /20220106...)."""
    path = url.split("?", 1)[0].split("#", 1)[0]
    path = path.split("://", 1)[-1]
    path = path[path.find("/"):] if "/" in path else ""
    match = _URL_DATE.search(path)
    if not match:
        return None
    try:
        return date(int(match.group(1)), int(match.group(2)), int(match.group(3))).isoformat()
    except ValueError:
        return None
