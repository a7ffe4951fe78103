"""Disclosure control: the one function every table, chart, map layer, pack and export passes through.

Raw numbers (metrics.kpis) and what may be shown are kept apart: `disclose` takes a raw
value with its numerator and denominator and returns what to show. Rules, from
../shared/kpi-catalogue.md:
- `mhsds`: below national level a count under 5 shows `*`, other counts are rounded to
  the nearest 5; a percentage shows `*` when its numerator or denominator is under 5;
  a rate per 1,000 bed days shows `*` when bed days < 100.
- `hes`: below national level counts 1–7 show `*`, others rounded to the nearest 5;
  means, medians and percentages over 1–7 people show `*`; rates as mhsds.
- `none`: exact figures.
Percentages are computed from unrounded values, then suppressed.

The rule comes from the viewer's role (data_access.access.rule_for, shown as ctx.rule). A
long table may carry a `rule` column (one rule per row, e.g. children where a lead provider
has patient-level access and children where it has not): a row's rule replaces `none` only,
so a row is never shown more exactly than the table's rule allows.

Secondary suppression (`disclose_counts_with_total`): when a table shows parts and their
total, a single suppressed part could be recovered by subtraction, so the next smallest part
is suppressed too (or, with no other part to hide, the total).
"""

from dataclasses import dataclass

import pandas as pd

RULES = ("mhsds", "hes", "none")
RULE_LABELS = {
    "mhsds": "NHS Digital MHSDS rule: counts under 5 suppressed (*), others rounded to the nearest 5",
    "hes": "NHS Digital HES rule: counts 1–7 suppressed (*), others rounded to the nearest 5",
    "none": "No disclosure control: exact figures (patient-level access)",
}
SUPPRESSED = "*"
MIN_RATE_BED_DAYS = 100
# Kinds whose numbers are people or events (counted), not money or distances.
PEOPLE_KINDS = ("count", "pct", "rate", "days", "km", "mean")


@dataclass(frozen=True)
class Shown:
    value: float | None  # what may be shown (rounded); None when suppressed or not available
    suppressed: bool


def _small(n, rule: str) -> bool:
    if n is None:
        return False
    return n < 5 if rule == "mhsds" else 1 <= n <= 7


def _round5(n):
    return int(5 * round(float(n) / 5))


def disclose(kind: str, value, numerator=None, denominator=None, rule: str = "mhsds",
             level: str = "collaborative") -> Shown:
    """What may be shown of one raw figure under `rule` at hierarchy `level`."""
    if rule not in RULES:
        raise ValueError(f"Unknown disclosure rule '{rule}'")
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return Shown(None, False)
    if rule == "none" or kind == "gbp":
        return Shown(value, False)
    if kind == "rate":
        return Shown(None, True) if (denominator or 0) < MIN_RATE_BED_DAYS else Shown(value, False)
    if level == "national":
        return Shown(value, False)
    if kind == "count":
        return Shown(None, True) if _small(value, rule) else Shown(_round5(value), False)
    if kind == "pct":
        return Shown(None, True) if _small(numerator, rule) or _small(denominator, rule) else Shown(value, False)
    if kind in ("days", "km", "mean") and rule == "hes":
        return Shown(None, True) if _small(denominator, rule) else Shown(value, False)
    return Shown(value, False)


def chart_data(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """The data a chart (or map layer) may carry: only the named columns of already disclosed `frame`.

    A chart sends its whole DataFrame to the browser, not only what it draws, so raw numerators,
    denominators and counts kept beside the shown figures (for arithmetic or ranking) would leak.
    Every chart builds its data with this function: what is not named stays on the server."""
    return frame.loc[:, [c for c in dict.fromkeys(columns) if c in frame.columns]].copy()


def row_rule(table_rule: str, row_rule_value) -> str:
    """The rule for one row: the row's own rule may only make a `none` table stricter."""
    if table_rule == "none" and isinstance(row_rule_value, str) and row_rule_value in RULES:
        return row_rule_value
    return table_rule


def disclose_table(raw: pd.DataFrame, rule: str, level: str, kinds: dict[str, str]) -> pd.DataFrame:
    """A copy of a long KPI table (kpi_id, value, numerator, denominator) with `shown` and `suppressed` columns.

    An optional `rule` column gives a row its own rule (see `row_rule`)."""
    out = raw.copy()
    rules = [row_rule(rule, r) for r in out["rule"]] if "rule" in out.columns else [rule] * len(out)
    cells = [disclose(kinds[k], v, n, d, r, level)
             for k, v, n, d, r in zip(out["kpi_id"], out["value"], out["numerator"], out["denominator"], rules)]
    out["shown"] = [c.value for c in cells]
    out["suppressed"] = [c.suppressed for c in cells]
    return out


def disclose_counts(frame: pd.DataFrame, columns: list[str], rule: str, level: str) -> pd.DataFrame:
    """A copy of `frame` with each count column disclosed (suppressed cells become None) and a `suppressed` flag."""
    out = frame.copy()
    flags = pd.Series(False, index=out.index)
    for column in columns:
        cells = [disclose("count", v, rule=rule, level=level) for v in out[column]]
        out[column] = [c.value for c in cells]
        flags |= pd.Series([c.suppressed for c in cells], index=out.index)
    out["suppressed"] = flags
    return out


def secondary_suppression(parts: list, primary: list[bool], total_suppressed: bool = False) -> tuple[list[bool], bool]:
    """(part flags, total flag) so that no suppressed part can be recovered as total minus the others.

    `parts` are the raw values, `primary` their primary suppression. When exactly one part is
    suppressed and the total is shown, the next smallest shown part is suppressed as well; when
    there is no other part to hide, the total is suppressed instead.
    """
    flags = list(primary)
    if total_suppressed or sum(flags) != 1:
        return flags, total_suppressed
    candidates = [(v if v is not None and not pd.isna(v) else 0, i) for i, (v, f) in enumerate(zip(parts, flags))
                  if not f]
    if not candidates:
        return flags, True
    flags[min(candidates)[1]] = True
    return flags, False


def disclose_counts_with_total(frame: pd.DataFrame, columns: list[str], rule: str, level: str,
                               is_total: pd.Series) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(shown, flags) for a table of count columns whose rows are parts plus one total row (`is_total`).

    Primary suppression per `disclose`, then `secondary_suppression` per column. `shown` has
    None in suppressed cells; `flags` has True there (for `ui.excel.with_stars`).
    """
    shown = frame.copy()
    flags = pd.DataFrame(False, index=frame.index, columns=columns)
    total_mask = is_total.reindex(frame.index).fillna(False).astype(bool)
    for column in columns:
        cells = {i: disclose("count", v, rule=rule, level=level) for i, v in frame[column].items()}
        part_index = [i for i in frame.index if not total_mask[i]]
        total_index = [i for i in frame.index if total_mask[i]]
        total_flag = any(cells[i].suppressed for i in total_index)
        part_flags, total_flag = secondary_suppression([frame.at[i, column] for i in part_index],
                                                       [cells[i].suppressed for i in part_index], total_flag)
        for i, flag in zip(part_index, part_flags):
            flags.at[i, column] = flag
        for i in total_index:
            flags.at[i, column] = total_flag
        shown[column] = pd.Series([None if flags.at[i, column] else cells[i].value for i in frame.index],
                                  index=frame.index, dtype=object)
    return shown, flags
