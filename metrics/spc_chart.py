"""Altair chart for an SPC frame from :func:`metrics.spc.xmr`, ``pchart`` or ``uchart`` (Making Data Count style)."""

from __future__ import annotations

import altair as alt
import pandas as pd

from assets.palette import MDC_SHAPES, NHS_DARK_GREY, TARGET_LINE
from metrics.disclosure import chart_data
from metrics.spc import COMMON, CONCERN, IMPROVEMENT, NEUTRAL, RULE_LABELS

TARGET_COLOUR = TARGET_LINE  # NHS red
VARIATION_LABELS = {
    "common_cause": "Common cause",
    "improvement": "Improvement",
    "concern": "Concern",
    "neutral": "Neither improvement nor concern",
}
PROVISIONAL_LABEL = "Provisional (hollow)"
PROVISIONAL_CAPTION = ("Hollow points are provisional months (after the feed's complete-to date): "
                       "not used for the limits or signals until complete.")
_LEGEND_DOMAIN = list(VARIATION_LABELS.values())
_LEGEND_RANGE = [COMMON, IMPROVEMENT, CONCERN, NEUTRAL]
_LEGEND_SHAPES = [MDC_SHAPES[k] for k in VARIATION_LABELS]  # a shape per variation: not colour alone


def provisional_band(provisional_from, last_day) -> alt.Chart | None:
    """A light band over the provisional days of a trend chart (None when none is provisional)."""
    if provisional_from is None or last_day is None or pd.Timestamp(last_day) < pd.Timestamp(provisional_from):
        return None
    band = pd.DataFrame({"start": [pd.Timestamp(provisional_from)], "end": [pd.Timestamp(last_day)],
                         "label": ["Provisional: the feed is not complete for these dates"]})
    return alt.Chart(band).mark_rect(color="#AEB7BD", opacity=0.25).encode(
        x="start:T", x2="end:T", tooltip=[alt.Tooltip("label:N", title="Provisional")])


TREND_CAPTION = ("Shaded or hollow: provisional (after the feed's complete-to date); figures may still change "
                 "as late records arrive.")

MONTHLY_TICKS = {"interval": "month", "step": 1}  # one tick on the first of each month (not every 4 weeks)
SPC_COLUMNS = ["date", "value", "mean", "lower", "upper", "variation", "rule", "trial", "segment", "provisional"]


def _chart_data(frame: pd.DataFrame) -> pd.DataFrame:
    data = chart_data(frame, SPC_COLUMNS)  # nothing else of the frame (raw counts) reaches the browser
    data["variation_label"] = data["variation"].map(VARIATION_LABELS)
    data["rule_label"] = data["rule"].map(RULE_LABELS).fillna("None (common cause)")
    data.loc[data["value"].isna(), "rule_label"] = "Missing value"
    provisional = data["provisional"].astype(bool) if "provisional" in data else pd.Series(False, index=data.index)
    data["provisional"] = provisional
    data.loc[provisional, "rule_label"] = "Provisional month: not used for limits or signals"
    data.loc[provisional, "variation_label"] = PROVISIONAL_LABEL
    data["limits_label"] = data["trial"].map({True: "Trial limits", False: "Fixed limits"})
    data["segment"] = data["segment"].astype(int)
    return data


def spc_chart(
    frame: pd.DataFrame,
    title: str,
    y_title: str,
    target: float | None = None,
    value_format: str = ",.1f",
) -> alt.LayerChart:
    """A layered XmR chart.

    Grey line and points for the values; solid mean line and dashed process limits drawn per
    segment (so they step at a rebase); special-cause points coloured by variation with a legend;
    an optional labelled red dashed target line; a vertical rule at each rebase; tooltips.
    ``target`` defaults to ``frame.attrs["target"]`` when that was given to ``xmr``.
    """
    if target is None:
        target = frame.attrs.get("target")
    data = _chart_data(frame)
    temporal = pd.api.types.is_datetime64_any_dtype(data["date"])
    x_type = "temporal" if temporal else "quantitative"
    axis = alt.Axis(format="%b %Y", tickCount=MONTHLY_TICKS) if temporal else alt.Axis(format="d", tickMinStep=1)
    x = alt.X("date", type=x_type, title=None, axis=axis)
    y_scale = alt.Scale(zero=False)
    y_axis = alt.Axis(format=value_format)

    def y_field(field: str) -> alt.Y:
        return alt.Y(f"{field}:Q", title=y_title, scale=y_scale, axis=y_axis)

    y = y_field("value")
    date_tip = (alt.Tooltip("date:T", title="Date", format="%b %Y") if temporal
                else alt.Tooltip("date:Q", title="Point"))
    tooltip = [
        date_tip,
        alt.Tooltip("value:Q", title="Value", format=value_format),
        alt.Tooltip("mean:Q", title="Mean", format=value_format),
        alt.Tooltip("lower:Q", title="Lower process limit", format=value_format),
        alt.Tooltip("upper:Q", title="Upper process limit", format=value_format),
        alt.Tooltip("variation_label:N", title="Variation"),
        alt.Tooltip("rule_label:N", title="Special cause rule"),
        alt.Tooltip("limits_label:N", title="Limits"),
    ]

    base = alt.Chart(data).encode(x=x)
    line = base.mark_line(color=COMMON, strokeWidth=1.5).encode(y=y)
    mean = base.mark_line(color="#231f20", strokeWidth=1.5).encode(
        y=y_field("mean"), detail="segment:N")
    # p- and u-charts' limits vary with each point's denominator: drawn as steps centred on the points.
    step = {"interpolate": "step"} if frame.attrs.get("chart") in ("p", "u") else {}
    upper = base.mark_line(color=NHS_DARK_GREY, strokeDash=[6, 4], strokeWidth=1.2, **step).encode(
        y=y_field("upper"), detail="segment:N")
    lower = base.mark_line(color=NHS_DARK_GREY, strokeDash=[6, 4], strokeWidth=1.2, **step).encode(
        y=y_field("lower"), detail="segment:N")
    points = base.transform_filter("isValid(datum.value) && !datum.provisional").mark_point(
        size=60, opacity=1, filled=True, stroke="white", strokeWidth=0.5
    ).encode(
        y=y,
        color=alt.Color(
            "variation_label:N",
            title="Variation",
            scale=alt.Scale(domain=_LEGEND_DOMAIN, range=_LEGEND_RANGE),
            legend=alt.Legend(orient="bottom", labelLimit=0),
        ),
        shape=alt.Shape("variation_label:N", title="Variation",
                        scale=alt.Scale(domain=_LEGEND_DOMAIN, range=_LEGEND_SHAPES),
                        legend=alt.Legend(orient="bottom")),
        tooltip=tooltip,
    )
    layers = [upper, lower, mean, line, points]
    if data["provisional"].any():
        layers.append(base.transform_filter("isValid(datum.value) && datum.provisional").mark_point(
            size=70, filled=False, strokeWidth=2, color=COMMON, shape="circle").encode(y=y, tooltip=tooltip))
        title = alt.TitleParams(text=title, subtitle=[PROVISIONAL_CAPTION])

    starts = data.loc[data["segment"].diff().fillna(0) > 0, ["date"]]
    if not starts.empty:
        layers.append(alt.Chart(starts).mark_rule(color=NHS_DARK_GREY, strokeDash=[2, 2]).encode(
            x=alt.X("date", type=x_type, title=None), tooltip=[alt.Tooltip(
                "date:T" if temporal else "date:Q", title="Limits recalculated from",
                **({"format": "%b %Y"} if temporal else {}))]))

    if target is not None and not pd.isna(target):
        target_df = pd.DataFrame({"target": [float(target)], "label": ["Target"]})
        target_base = alt.Chart(target_df).encode(y=y_field("target"))
        layers.append(target_base.mark_rule(color=TARGET_COLOUR, strokeDash=[8, 4], strokeWidth=1.5)
                      .encode(tooltip=[alt.Tooltip("target:Q", title="Target", format=value_format)]))
        layers.append(target_base.mark_text(
            align="left", baseline="bottom", dx=4, dy=-2, color=TARGET_COLOUR, fontWeight="bold"
        ).encode(x=alt.value(0), text=alt.Text("label:N")))

    return alt.layer(*layers).properties(title=title, width="container").resolve_scale(y="shared")


def spc_table(frame: pd.DataFrame, value_format: str = "{:,.1f}") -> pd.DataFrame:
    """The chart's figures as a table (its text alternative): one row per point, in words."""
    data = _chart_data(frame)
    temporal = pd.api.types.is_datetime64_any_dtype(data["date"])

    def figure(value) -> str:
        return "–" if value is None or pd.isna(value) else value_format.format(float(value))

    return pd.DataFrame({
        "Month" if temporal else "Point": [f"{d:%b %Y}" if temporal else str(d) for d in data["date"]],
        "Value": [figure(v) for v in data["value"]],
        "Mean": [figure(v) for v in data["mean"]],
        "Lower process limit": [figure(v) for v in data["lower"]],
        "Upper process limit": [figure(v) for v in data["upper"]],
        "Variation": data["variation_label"].fillna("–"),
        "Special cause rule": data["rule_label"],
    })
