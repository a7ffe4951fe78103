"""The one clock: times are stored in UTC (naive `timestamp` columns hold UTC) and shown in UK time.

`utc_now()` for every stored time (audit_log.at, load_log.loaded_at); `uk(at)` to show a stored time;
`utc_bounds(start, end)` turns a range of UK calendar dates into the UTC times that bound it.
"""

import datetime as dt
from zoneinfo import ZoneInfo

UK = ZoneInfo("Europe/London")


def utc_now() -> dt.datetime:
    """Now, in UTC, to the second, naive (as the database stores it)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)


def uk(at: dt.datetime | None) -> dt.datetime | None:
    """A stored (naive UTC) time as UK wall-clock time (GMT or BST), naive."""
    if at is None:
        return None
    return at.replace(tzinfo=dt.UTC).astimezone(UK).replace(tzinfo=None)


def uk_now() -> dt.datetime:
    return uk(utc_now())


def uk_today() -> dt.date:
    return uk_now().date()


def utc_bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[from, to) in naive UTC for the UK days start..end inclusive."""
    def utc(day: dt.date) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(), UK).astimezone(dt.UTC).replace(tzinfo=None)
    return utc(start), utc(end + dt.timedelta(days=1))
