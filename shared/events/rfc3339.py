"""RFC 3339 timestamps as they travel in event headers and payloads.

Writing always produces UTC with a `Z` suffix. Reading accepts exactly the RFC 3339 `date-time`
production (date and time joined by `T` or `t`, never a space), any offset, and any number of
fractional digits; digits past the sixth are truncated because Python datetimes stop at
microseconds. `-00:00` ("offset unknown") reads as UTC. Leap seconds (`:60`) are rejected because a
datetime cannot hold them.
"""

import re
from datetime import UTC, datetime, timedelta, timezone

_DATE_TIME = re.compile(
    r"(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})[Tt]"
    r"(?P<hour>\d{2}):(?P<minute>\d{2}):(?P<second>\d{2})(?:\.(?P<fraction>\d+))?"
    r"(?P<offset>[Zz]|(?P<sign>[+-])(?P<off_hour>\d{2}):(?P<off_minute>\d{2}))",
    re.ASCII,
)


def format_utc(moment: datetime) -> str:
    """Render an aware datetime as RFC 3339 in UTC, e.g. `2024-05-01T12:00:00.250000Z`."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("a naive datetime has no instant; pass an aware datetime")
    return moment.astimezone(UTC).isoformat().removesuffix("+00:00") + "Z"


def parse(text: str) -> datetime:
    """Parse an RFC 3339 date-time into an aware datetime, keeping its offset.

    Raises ValueError naming what is wrong.
    """
    match = _DATE_TIME.fullmatch(text)
    if match is None:
        raise ValueError(f"{text!r} is not an RFC 3339 date-time")
    parts = match.groupdict()
    fraction = (parts["fraction"] or "")[:6].ljust(6, "0")
    try:
        return datetime(
            int(parts["year"]),
            int(parts["month"]),
            int(parts["day"]),
            int(parts["hour"]),
            int(parts["minute"]),
            int(parts["second"]),
            int(fraction),
            tzinfo=_offset(parts),
        )
    except ValueError as error:
        raise ValueError(f"{text!r} is not a valid instant: {error}") from None


def _offset(parts: dict[str, str | None]) -> timezone:
    if parts["sign"] is None:
        return UTC
    hours, minutes = int(parts["off_hour"] or 0), int(parts["off_minute"] or 0)
    if hours > 23 or minutes > 59:
        raise ValueError(f"offset {parts['offset']} is out of range")
    delta = timedelta(hours=hours, minutes=minutes)
    return timezone(-delta if parts["sign"] == "-" else delta)
