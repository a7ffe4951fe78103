"""Women's pathway: indicators by sex from the aggregates of data_access/women.py, bands, flows, pilot, survey.

Pure arithmetic and disclosure (no SQL, no Streamlit). Values are computed from raw
figures, then every figure shown passes through metrics/disclosure.py.
"""

import pandas as pd

from data_access.women import DISTANCE_BAND_KM, IN_HOSPITAL, LOS_BAND_DAYS, NOT_RECORDED
from metrics.catalogue import KPIS
from metrics.disclosure import disclose
from metrics.kpis import ratio

SEXES = ("female", "male")
SEX_LABELS = {"female": "Women", "male": "Men"}
SMALL_GROUP = 10  # the pilot comparison warns when either group has fewer spells than this

# (id, label, kind, direction). Catalogue KPIs keep the catalogue's label; the others are this page's own.
INDICATORS = [
    ("women_share_pct", KPIS["women_share_pct"].label, "pct", "neutral"),
    ("women_median_los_days", KPIS["women_median_los_days"].label, "days", "down"),
    ("completed_los_days", "Median length of stay of completed stays (discharged in the last 12 months)", "days",
     "down"),
    ("women_median_distance_km", KPIS["women_median_distance_km"].label, "km", "down"),
    ("women_mean_hospitals", KPIS["women_mean_hospitals"].label, "mean", "down"),
    ("women_detained_over_3y_pct", KPIS["women_detained_over_3y_pct"].label, "pct", "down"),
    ("over_20y_pct", "In hospital over 20 years", "pct", "down"),
    ("out_of_area_now_pct", "Placed out of area (as of date)", "pct", "down"),
    ("independent_sector_pct", "In independent sector beds", "pct", "neutral"),
]
INDICATOR_IDS = [row[0] for row in INDICATORS]
# Like for like: the length-of-stay benchmark is a length of completed stays, so it is set against completed
# stays; the catalogue's women_median_los_days is of current inpatients (stays so far, biased to long stayers)
# and is shown separately, with this note and no benchmark.
BENCHMARKED = "completed_los_days"
NOTES = {"women_median_los_days": "current inpatients: stays so far (not compared with the benchmark)",
         "completed_los_days": "spells ended in the 12 months to the as-of date, compared with the benchmark"}
LABELS = {row[0]: row[1] for row in INDICATORS}
KINDS = {row[0]: row[2] for row in INDICATORS}

LOS_BANDS = ["0–1 years", "1–2 years", "2–5 years", "5–10 years", "10+ years"]
DISTANCE_BANDS = ["Under 20 km", "20–49 km", "50–99 km", "100+ km"]
LEVEL_LABELS = {"high": "High secure", "medium": "Medium secure", "low": "Low secure", "picu": "PICU",
                "general": "General", "locked_rehab": "Locked rehabilitation"}
STATE_LABELS = {IN_HOSPITAL: "Still in hospital", NOT_RECORDED: "Discharged (destination not recorded)",
                "community": "Community", "step_down": "Step-down", "prison": "Prison",
                "other_hospital": "Other hospital", "died": "Died", "other": "Other"}
assert len(LOS_BANDS) == len(LOS_BAND_DAYS) + 1 and len(DISTANCE_BANDS) == len(DISTANCE_BAND_KM) + 1


def _get(row, key):
    if row is None:
        return None
    value = row.get(key)
    return None if value is None or pd.isna(value) else value


def _int(row, key) -> int:
    value = _get(row, key)
    return 0 if value is None else int(value)


def _none(value):
    return None if value is None or pd.isna(value) else float(value)


def _float(value):
    return None if value is None else float(value)


def sex_values(row, secure_in_bed: int) -> dict[str, tuple]:
    """{indicator id: (value, numerator, denominator)} for one sex from its raw row (None = nobody)."""
    in_bed, current, home = _int(row, "in_bed"), _int(row, "current_n"), _int(row, "home_n")
    hospitals_sum, hospitals_n = _int(row, "hospitals_sum"), _int(row, "hospitals_n")
    return {
        "women_share_pct": (ratio(in_bed, secure_in_bed), in_bed, secure_in_bed),
        "women_median_los_days": (_float(_get(row, "median_los_days")), None, in_bed),
        "completed_los_days": (_float(_get(row, "completed_median_los_days")), None, _int(row, "completed_n")),
        "women_median_distance_km": (_float(_get(row, "median_distance_km")), None, _int(row, "distance_n")),
        "women_mean_hospitals": (ratio(hospitals_sum, hospitals_n, 1), hospitals_sum, hospitals_n),
        "women_detained_over_3y_pct": (ratio(_int(row, "over_3y"), current), _int(row, "over_3y"), current),
        "over_20y_pct": (ratio(_int(row, "over_20y"), current), _int(row, "over_20y"), current),
        "out_of_area_now_pct": (ratio(_int(row, "out_of_area_n"), home), _int(row, "out_of_area_n"), home),
        "independent_sector_pct": (ratio(_int(row, "independent_n"), home), _int(row, "independent_n"), home),
    }


def indicator_table(raw: pd.DataFrame, codes: list[str]) -> pd.DataFrame:
    """Long table (code, sex, kpi_id, label, kind, value, numerator, denominator) for women and men of each code."""
    rows = []
    for code in codes:
        mine = raw[raw["code"] == code] if not raw.empty else raw
        secure = int(pd.to_numeric(mine.get("in_bed", pd.Series(dtype=float))).fillna(0).sum()) if len(mine) else 0
        for sex in SEXES:
            found = mine[mine["sex"] == sex] if len(mine) else mine
            row = found.iloc[0].to_dict() if len(found) else None
            for kpi_id, value in sex_values(row, secure).items():
                rows.append((code, sex, kpi_id, LABELS[kpi_id], KINDS[kpi_id], *value))
    return pd.DataFrame(rows, columns=["code", "sex", "kpi_id", "label", "kind", "value", "numerator",
                                       "denominator"])


def disclosed(long: pd.DataFrame, rule: str, level: str) -> pd.DataFrame:
    """`long` with `shown` and `suppressed` columns (every figure through metrics.disclosure.disclose)."""
    out = long.copy()
    cells = [disclose(k, v, n, d, rule, level)
             for k, v, n, d in zip(out["kind"], out["value"], out["numerator"], out["denominator"])]
    out["shown"] = [c.value for c in cells]
    out["suppressed"] = [c.suppressed for c in cells]
    return out


def headline(long: pd.DataFrame, code: str, rule: str, level: str) -> pd.DataFrame:
    """One row per indicator: kpi_id, label, kind, women/men shown and suppressed."""
    shown = disclosed(long[long["code"] == code], rule, level)
    rows = []
    for kpi_id in INDICATOR_IDS:
        cell = {sex: shown[(shown["kpi_id"] == kpi_id) & (shown["sex"] == sex)].iloc[0] for sex in SEXES}
        rows.append({"kpi_id": kpi_id, "label": LABELS[kpi_id], "kind": KINDS[kpi_id],
                     "women": _none(cell["female"]["shown"]), "women_suppressed": bool(cell["female"]["suppressed"]),
                     "men": _none(cell["male"]["shown"]), "men_suppressed": bool(cell["male"]["suppressed"])})
    frame = pd.DataFrame(rows).astype(object)
    return frame.where(frame.notna(), None)


def women_in_bed(long: pd.DataFrame, code: str, rule: str, level: str):
    """The disclosed count of women in a secure bed (numerator of the share) for a code."""
    row = long[(long["code"] == code) & (long["kpi_id"] == "women_share_pct") & (long["sex"] == "female")]
    count = None if row.empty else row.iloc[0]["numerator"]
    return disclose("count", count, rule=rule, level=level)


def children_wide(long: pd.DataFrame, kids: list[tuple[str, str]], rule: str,
                  level: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(shown, suppressed): one row per child (code, name, women in bed, women's indicators)."""
    names = dict(kids)
    women = disclosed(long[long["sex"] == "female"], rule, level)
    shown = women.pivot(index="code", columns="kpi_id", values="shown")[INDICATOR_IDS]
    flags = women.pivot(index="code", columns="kpi_id", values="suppressed")[INDICATOR_IDS]
    counts = {code: women_in_bed(long, code, rule, level) for code in names}
    order = [code for code, _ in kids]
    shown, flags = shown.reindex(order), flags.reindex(order)
    shown.insert(0, "women_in_bed", [counts[c].value for c in order])
    flags.insert(0, "women_in_bed", [counts[c].suppressed for c in order])
    for frame in (shown, flags):
        frame.insert(0, "name", [names[c] for c in order])
    return shown.reset_index(), flags.reset_index()


def bands(raw: pd.DataFrame, labels: list[str] | None, rule: str, level: str) -> pd.DataFrame:
    """Patients per (sex, band) for women and men, disclosed, with the % of that sex's patients.

    `labels` names band indexes 0..n-1; None means the band is itself the value (number of hospitals).
    """
    raw = raw[raw["sex"].isin(SEXES)]
    if labels is None:
        top = int(raw["band"].max()) if len(raw) else 1
        index = list(range(1, top + 1))
        names = {i: str(i) for i in index}
    else:
        index = list(range(len(labels)))
        names = dict(enumerate(labels))
    rows = []
    for sex in SEXES:
        mine = raw[raw["sex"] == sex]
        total = int(mine["patients"].sum())
        counts = dict(zip(mine["band"].astype(int), mine["patients"].astype(int)))
        for i in index:
            n = counts.get(i, 0)
            count, pct = disclose("count", n, rule=rule, level=level), disclose("pct", ratio(n, total), n, total,
                                                                                rule, level)
            rows.append({"sex": SEX_LABELS[sex], "order": i, "band": names[i], "patients": count.value,
                         "pct": pct.value, "suppressed": count.suppressed or pct.suppressed})
    return pd.DataFrame(rows)


def flows(raw: pd.DataFrame, rule: str, level: str) -> pd.DataFrame:
    """Transitions with readable labels and disclosed patient counts (small flows suppressed)."""
    out = raw.copy()
    out["from"] = out["source"].map(lambda v: LEVEL_LABELS.get(v, v))
    out["to"] = out["target"].map(lambda v: LEVEL_LABELS.get(v, STATE_LABELS.get(v, v)))
    cells = [disclose("count", n, rule=rule, level=level) for n in out["patients"]]
    out["patients"] = [c.value for c in cells]
    out["suppressed"] = [c.suppressed for c in cells]
    out["flow"] = out["from"] + " → " + out["to"]
    return out[["step", "from", "to", "flow", "patients", "suppressed"]]


def stages(raw: pd.DataFrame, rule: str, level: str) -> pd.DataFrame:
    """Patients at each stage of the pathway (Move 1, 2, ...: the 1st, 2nd... security level, then where they
    are now), disclosed, in pathway order (`order`; stage_order gives the names in that order).

    Every level a woman passes through is the source of exactly one flow (to the next level or to her
    outcome), so a stage's counts are sums of the flows from it; outcomes form the last column.
    """
    if raw.empty:
        return pd.DataFrame(columns=["stage", "order", "state", "patients", "suppressed"])
    levels = raw.groupby(["step", "source"], as_index=False)["patients"].sum()
    levels["stage"] = levels["step"].map(lambda s: f"Move {int(s)}")
    levels["state"] = levels["source"].map(lambda v: LEVEL_LABELS.get(v, v))
    outcomes = raw[~raw["target"].isin(LEVEL_LABELS)].groupby("target", as_index=False)["patients"].sum()
    outcomes["step"] = int(raw["step"].max()) + 1
    outcomes["stage"] = "Now"
    outcomes["state"] = outcomes["target"].map(lambda v: STATE_LABELS.get(v, v))
    out = pd.concat([levels, outcomes])[["stage", "step", "state", "patients"]].rename(columns={"step": "order"})
    out = out.sort_values("order", kind="stable")
    cells = [disclose("count", n, rule=rule, level=level) for n in out["patients"]]
    out["patients"] = [c.value for c in cells]
    out["suppressed"] = [c.suppressed for c in cells]
    return out.reset_index(drop=True)


def stage_order(stage: pd.DataFrame) -> list[str]:
    """The stage names in pathway order (Move 1, Move 2, ..., Now) for the chart's axis."""
    return list(dict.fromkeys(stage.sort_values("order", kind="stable")["stage"]))


def survey_years(raw: pd.DataFrame) -> str:
    """The survey's year(s) in words ("2019", "2019 and 2023"); "year not recorded" when none is."""
    if raw.empty or "survey_year" not in raw:
        return "year not recorded"
    years = sorted({int(y) for y in raw["survey_year"] if y is not None and not pd.isna(y)})
    if not years:
        return "year not recorded"
    return " and ".join(str(y) for y in years) if len(years) <= 2 else f"{years[0]}–{years[-1]}"


def pilot_summary(raw: dict[str, pd.DataFrame], rule: str, level: str) -> tuple[pd.DataFrame, bool]:
    """(table with one row per group, caution) where caution means a group has fewer than SMALL_GROUP spells."""
    summary = raw["summary"].set_index("pilot") if len(raw["summary"]) else pd.DataFrame()
    rows, caution = [], False
    for flag, name in ((True, "Blended service pilot"), (False, "Comparable others")):
        row = summary.loc[flag].to_dict() if flag in summary.index else {}
        spells, discharged = _int(row, "spells"), _int(row, "discharged")
        caution |= spells < SMALL_GROUP
        cells = {
            "Spells": disclose("count", spells, rule=rule, level=level),
            "Discharged": disclose("count", discharged, rule=rule, level=level),
            "Median length of stay of discharged (days)": disclose(
                "days", _float(_get(row, "median_los_days")), None, discharged, rule, level),
            "Mean length of stay of discharged (days)": disclose(
                "days", _float(_get(row, "mean_los_days")), None, discharged, rule, level),
            "Still in hospital": disclose("count", _int(row, "in_hospital"), rule=rule, level=level),
            "Median days so far of those still in hospital": disclose(
                "days", _float(_get(row, "median_days_so_far")), None, _int(row, "in_hospital"), rule, level),
        }
        rows.append({"Group": name, **{k: ("*" if c.suppressed else c.value) for k, c in cells.items()}})
    return pd.DataFrame(rows), caution


def pilot_destinations(raw: dict[str, pd.DataFrame], rule: str, level: str) -> pd.DataFrame:
    """Discharges by destination for each group: disclosed counts and % of the group's discharges."""
    dest = raw["destinations"]
    rows = []
    for flag, name in ((True, "Blended service pilot"), (False, "Comparable others")):
        mine = dest[dest["pilot"] == flag]
        total = int(mine["spells"].sum())
        for destination, n in zip(mine["destination"], mine["spells"].astype(int)):
            count = disclose("count", n, rule=rule, level=level)
            pct = disclose("pct", ratio(n, total), n, total, rule, level)
            rows.append({"group": name, "destination": STATE_LABELS.get(destination, destination),
                         "spells": count.value, "pct": pct.value, "suppressed": count.suppressed or pct.suppressed})
    return pd.DataFrame(rows, columns=["group", "destination", "spells", "pct", "suppressed"])


def survey_tables(raw: pd.DataFrame, rule: str, level: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(headline figures, answers): cohorts side by side. Answers carry disclosed counts and % of respondents."""
    if raw.empty:
        return pd.DataFrame(), pd.DataFrame()
    is_headline = raw["question"].str.startswith("Headline:")
    heads = raw[is_headline].copy()
    heads["measure"] = heads["question"].str.removeprefix("Headline:").str.strip().str.capitalize()
    head_wide = heads.pivot_table(index="measure", columns="cohort", values="answer", aggfunc="first")
    answers = raw[~is_headline].copy()
    cells = [disclose("count", n, rule=rule, level=level) for n in answers["count"]]
    pcts = [disclose("pct", ratio(n, r), n, r, rule, level) for n, r in zip(answers["count"], answers["respondents"])]
    answers["shown"] = [("*" if c.suppressed or p.suppressed else f"{p.value:.0f}% ({c.value:,.0f})")
                        for c, p in zip(cells, pcts)]
    wide = answers.pivot_table(index=["question", "answer"], columns="cohort", values="shown", aggfunc="first")
    respondents = raw.groupby("cohort")["respondents"].max()
    wide.columns = [f"{cohort_label(c)} (n = {_respondents(respondents[c], rule, level)})" for c in wide.columns]
    head_wide.columns = [f"{cohort_label(c)} (n = {_respondents(respondents[c], rule, level)})"
                         for c in head_wide.columns]
    return head_wide.reset_index().fillna("–"), wide.reset_index().fillna("not asked")


def cohort_label(cohort: str) -> str:
    return {"england": "England", "east_midlands": "East Midlands"}.get(cohort, cohort.replace("_", " ").title())


def _respondents(n, rule: str, level: str) -> str:
    cell = disclose("count", int(n), rule=rule, level=level)
    return "*" if cell.suppressed else f"{cell.value:,.0f}"
