"""A meeting pack as a PDF a Board secretary can circulate (reportlab; charts drawn by vl-convert, no browser).

`pack_pdf(content)` renders the dict of metrics.governance.build_content (a live or a published pack):
cover and contents, one page per exception (its SPC chart, figures against last year and target, the
narrative), the KPI summary table with Making Data Count icons, actions and decisions. Every page carries
the disclosure rule and the data-as-of date. Text from the database is escaped (reportlab reads markup).
"""

import datetime as dt
import io
from xml.sax.saxutils import escape

import vl_convert
from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Image, PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from data_access import clock
from metrics.governance import chart_frame, exceptions
from metrics.spc import icon_svg
from metrics.spc_chart import spc_chart
from ui.formatting import format_value

NHS_BLUE = colors.HexColor("#005EB8")
NHS_DARK_BLUE = colors.HexColor("#003087")
NHS_GREY = colors.HexColor("#425563")
NHS_PALE_GREY = colors.HexColor("#E8EDEE")
PAGE = landscape(A4)
MARGIN = 15 * mm


def _styles() -> dict:
    base = getSampleStyleSheet()
    body = ParagraphStyle("body", parent=base["BodyText"], fontName="Helvetica", fontSize=10.5, leading=14,
                          alignment=TA_LEFT)
    return {
        "title": ParagraphStyle("title", parent=body, fontName="Helvetica-Bold", fontSize=28, leading=34,
                                textColor=NHS_BLUE, spaceAfter=10),
        "h1": ParagraphStyle("h1", parent=body, fontName="Helvetica-Bold", fontSize=18, leading=22,
                             textColor=NHS_DARK_BLUE, spaceAfter=6),
        "h2": ParagraphStyle("h2", parent=body, fontName="Helvetica-Bold", fontSize=13, leading=16,
                             textColor=NHS_DARK_BLUE, spaceBefore=6, spaceAfter=4),
        "body": body,
        "small": ParagraphStyle("small", parent=body, fontSize=8.5, leading=11, textColor=NHS_GREY),
        "cell": ParagraphStyle("cell", parent=body, fontSize=9, leading=11),
    }


def _day(text) -> str:
    return f"{dt.date.fromisoformat(str(text)[:10]):%d %b %Y}" if text else "–"


def _uk(text) -> str:
    return f"{clock.uk(dt.datetime.fromisoformat(str(text))):%d %b %Y %H:%M}"


def _month(text) -> str:
    return f"{dt.date.fromisoformat(str(text)[:10]):%B %Y}" if text else "–"


def _value(kpi: dict, field: str) -> str:
    return format_value(kpi["kind"], kpi.get(field), bool(kpi.get(f"{field}_suppressed")))


def _footer(content: dict):
    text = (f"Disclosure: {content['rule_label']} · Data as of {_day(content['data_as_of'])} · "
            f"{content['forum']['name']}, {content['scope']['name']} · meeting {_day(content['meeting_date'])}")

    def draw(canvas, doc):
        canvas.saveState()
        canvas.setFillColor(NHS_BLUE)
        canvas.rect(0, PAGE[1] - 8 * mm, PAGE[0], 8 * mm, stroke=0, fill=1)
        canvas.setFont("Helvetica", 8)
        canvas.setFillColor(NHS_GREY)
        canvas.drawString(MARGIN, 8 * mm, text[:190])
        canvas.drawRightString(PAGE[0] - MARGIN, 8 * mm, f"Page {doc.page}")
        canvas.restoreState()
    return draw


def _icon(name) -> Image | str:
    if not isinstance(name, str):
        return ""
    png = vl_convert.svg_to_png(icon_svg(name), scale=2)
    return Image(io.BytesIO(png), width=9 * mm, height=9 * mm)


def _chart(content: dict, kpi: dict) -> Image | None:
    frame = chart_frame(content, kpi["kpi_id"])
    if frame["value"].notna().sum() == 0:
        return None
    chart = spc_chart(frame, kpi["label"], kpi["unit"] or kpi["label"], value_format=",.1f").properties(
        width=620, height=230)
    png = vl_convert.vegalite_to_png(chart.to_json(), scale=2)
    width = 230 * mm
    return Image(io.BytesIO(png), width=width, height=width * 0.45, kind="proportional")


def _cover(content: dict, s: dict) -> list:
    items = exceptions(content)
    flow = [Spacer(1, 20 * mm), Paragraph("Meeting pack", s["title"]),
            Paragraph(escape(content["forum"]["name"]), s["h1"]),
            Paragraph(f"{escape(content['scope']['name'])} · meeting {_day(content['meeting_date'])} · "
                      f"figures for {_month(content['month'])} (to {_day(content['period_end'])})", s["body"])]
    if content.get("published"):
        flow.append(Paragraph(f"Published by {escape(content['published']['by'])} on "
                              f"{escape(str(content['published']['at'])[:16])} UTC: the pack as presented.",
                              s["small"]))
    flow += [Spacer(1, 8 * mm), Paragraph("Contents", s["h2"])]
    entries = [f"Exception: {k['label']}" for k in items] + ["KPI summary", "Actions", "Decisions"]
    flow += [Paragraph(f"{i}. {escape(e)}", s["body"]) for i, e in enumerate(entries, 1)]
    flow.append(Spacer(1, 6 * mm))
    flow.append(Paragraph(f"{len(items)} exception(s) out of {len(content['kpis'])} KPIs: special-cause "
                          "concern, a target the process will not meet, off track against plan, or flagged.",
                          s["small"]))
    return flow + [PageBreak()]


def _exception(content: dict, kpi: dict, s: dict) -> list:
    flow = [Paragraph(f"Exception: {escape(kpi['label'])}", s["h1"]),
            Paragraph(escape(kpi["reasons"]), s["body"])]
    figures = [["Latest month", "Value", "Same month last year", "Target", "Variation", "Assurance"],
               [_month(kpi["latest_month"]), _value(kpi, "latest"), _value(kpi, "last_year"),
                format_value(kpi["kind"], kpi.get("target")), kpi["variation_label"], kpi["assurance_label"]]]
    flow.append(_table([[Paragraph(escape(str(c)), s["cell"]) for c in row] for row in figures],
                       [30 * mm, 28 * mm, 40 * mm, 24 * mm, 70 * mm, 70 * mm]))
    chart = _chart(content, kpi)
    if chart is not None:
        flow += [Spacer(1, 3 * mm), chart]
    note = content["narratives"].get(kpi["kpi_id"])
    flow.append(Paragraph("Narrative", s["h2"]))
    if note:
        flow += [Paragraph(escape(note["text"]).replace("\n", "<br/>"), s["body"]),
                 Paragraph(f"{escape(note['author'])}, {_uk(note['written_at'])} (UK time)", s["small"])]
    else:
        flow.append(Paragraph("No narrative written.", s["small"]))
    return flow + [PageBreak()]


def _table(rows: list, widths: list) -> Table:
    table = Table(rows, colWidths=widths, repeatRows=1)
    table.setStyle(TableStyle([
        ("BACKGROUND", (0, 0), (-1, 0), NHS_PALE_GREY), ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("LINEBELOW", (0, 0), (-1, -1), 0.4, NHS_GREY), ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"),
    ]))
    return table


def _summary(content: dict, s: dict) -> list:
    header = ["", "", "KPI", "Latest", "Same month last year", "Target", "Variation / assurance", "Exception"]
    rows = [[Paragraph(h, s["cell"]) for h in header]]
    for kpi in content["kpis"]:
        words = f"{kpi['variation_label']} / {kpi['assurance_label']}"
        rows.append([_icon(kpi["variation"]), _icon(kpi["assurance"]), Paragraph(escape(kpi["label"]), s["cell"]),
                     _value(kpi, "latest"), _value(kpi, "last_year"), format_value(kpi["kind"], kpi.get("target")),
                     Paragraph(escape(words), s["cell"]), "Yes" if kpi["exception"] else ""])
    widths = [12 * mm, 12 * mm, 58 * mm, 24 * mm, 34 * mm, 22 * mm, 83 * mm, 22 * mm]
    return [Paragraph("KPI summary", s["h1"]), _table(rows, widths)]


def _log(title: str, records: list, columns: list[tuple[str, str, float]], s: dict) -> list:
    flow = [Paragraph(title, s["h1"])]
    if not records:
        return flow + [Paragraph(f"No {title.lower()} recorded.", s["small"])]
    rows = [[Paragraph(label, s["cell"]) for _, label, _ in columns]]
    for record in records:
        rows.append([Paragraph(escape(_text(record.get(key), key)), s["cell"]) for key, _, _ in columns])
    return flow + [_table(rows, [w * mm for _, _, w in columns])]


def _text(value, key: str) -> str:
    if value is None:
        return "–"
    return _day(value) if key.endswith("date") else str(value)


def pack_pdf(content: dict) -> bytes:
    """The pack as PDF bytes (A4 landscape)."""
    s = _styles()
    flow = _cover(content, s)
    for kpi in exceptions(content):
        flow += _exception(content, kpi, s)
    flow += _summary(content, s) + [Spacer(1, 6 * mm)]
    flow += _log("Actions", content["actions"], [("state", "State", 22), ("text", "Action", 110),
                                                 ("owner", "Owner", 50), ("due_date", "Due", 28),
                                                 ("meeting_date", "From meeting", 30)], s)
    flow += [Spacer(1, 6 * mm)] + _log("Decisions", content["decisions"], [
        ("meeting_date", "Meeting", 30), ("text", "Decision", 180), ("recorded_by", "Recorded by", 50)], s)
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=PAGE, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=14 * mm,
                            bottomMargin=16 * mm, title=f"Meeting pack: {content['forum']['name']}",
                            author="Provider Collaborative Dashboard")
    footer = _footer(content)
    doc.build(flow, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()
