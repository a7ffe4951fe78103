"""Reporting periods: presets relative to the latest day of data, and parsing from the URL."""

import datetime as dt

from data_access.kpi_queries import financial_year

PRESETS = ("Financial year to date", "Last full month", "Last 3 full months", "Last 12 months",
           "Previous financial year", "Custom")
DEFAULT_PRESET = "Financial year to date"
EARLIEST = dt.date(2000, 1, 1)


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _months_back(first: dt.date, n: int) -> dt.date:
    year, month = divmod(first.year * 12 + first.month - 1 - n, 12)
    return dt.date(year, month + 1, 1)


def preset_range(name: str, latest: dt.date) -> tuple[dt.date, dt.date]:
    """The inclusive (start, end) of a preset, given the latest complete day of data."""
    this_month = month_start(latest)
    last_full_end = latest if (latest + dt.timedelta(days=1)).day == 1 else this_month - dt.timedelta(days=1)
    last_full_start = month_start(last_full_end)
    _, fy_start, _ = financial_year(latest)
    if name == "Last full month":
        return last_full_start, last_full_end
    if name == "Last 3 full months":
        return _months_back(last_full_start, 2), last_full_end
    if name == "Last 12 months":
        return latest - dt.timedelta(days=364), latest
    if name == "Previous financial year":
        return fy_start.replace(year=fy_start.year - 1), fy_start - dt.timedelta(days=1)
    return fy_start, latest


def previous_period(start: dt.date, end: dt.date) -> tuple[dt.date, dt.date]:
    """The period of the same length just before."""
    length = (end - start).days + 1
    return start - dt.timedelta(days=length), start - dt.timedelta(days=1)


class PeriodError(ValueError):
    pass


def parse(text_from: str | None, text_to: str | None, latest: dt.date) -> tuple[dt.date, dt.date]:
    """A period from URL text (YYYY-MM-DD); PeriodError with a plain message when it is not valid."""
    try:
        start = dt.date.fromisoformat(str(text_from)[:10])
        end = dt.date.fromisoformat(str(text_to)[:10])
    except ValueError as error:
        raise PeriodError("The period in the address is not a pair of dates (YYYY-MM-DD).") from error
    if start > end:
        raise PeriodError(f"The period in the address starts ({start}) after it ends ({end}).")
    if start < EARLIEST or end > latest:
        raise PeriodError(f"The period in the address must lie between {EARLIEST} and the latest data, {latest}.")
    return start, end


def describe(start: dt.date, end: dt.date) -> str:
    return f"{start:%d %b %Y} to {end:%d %b %Y}"
