"""The lead provider's risk register and reserves: one validation for the app's form and the monthly return's
Risks and Reserves sheets (data_access/finance_import.py), and the audited writes of the form.

Who may write: access.allowed(viewer, "manage financial risks", ("collaborative", id)) (RIGHTS: lead providers
for their own collaboratives, national users). Every save, accepted or refused, writes one audit row
(data_access/audit) in the same transaction as the change. Tables: docs/finance.md.
"""

import datetime as dt
import math
import re
from decimal import Decimal

import sqlalchemy as sa

from data_access import access, audit
from data_access.schema import RISK_STATUSES, collaborative, financial_reserve, financial_risk

RISK_COLUMNS = ["risk_id", "collaborative_id", "description", "value_gbp", "likelihood_pct", "mitigation_gbp",
                "owner", "status", "raised_date", "review_date"]
RESERVE_COLUMNS = ["collaborative_id", "held_gbp", "committed_gbp"]
MAX_AMOUNT = 999_999_999_999.99  # Numeric(14, 2)
MAX_TEXT = 500  # a risk's description
RISK_ID = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
ACTION = "manage financial risks"


def blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def text(value) -> str | None:
    if blank(value):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def amount(value) -> Decimal:
    """A £ amount, 0 or more, to the penny; ValueError with the reason."""
    if isinstance(value, bool):
        raise ValueError("is not a number")
    if isinstance(value, (int, float, Decimal)):
        number = float(value)
    else:
        cleaned = str(value).strip().replace(",", "").replace("£", "")
        try:
            number = float(cleaned)
        except ValueError:
            raise ValueError(f"'{str(value)[:30]}' is not a number") from None
    if math.isnan(number) or math.isinf(number):
        raise ValueError("is not a number")
    if number < 0:
        raise ValueError(f"is negative ({number:,.2f}); amounts are 0 or more")
    if number > MAX_AMOUNT:
        raise ValueError("is too large")
    return Decimal(str(round(number, 2)))


def day(value) -> dt.date:
    """A date cell or text (YYYY-MM-DD or DD/MM/YYYY); ValueError otherwise."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    raw = str(value).strip()
    for parse in (dt.date.fromisoformat, lambda t: dt.datetime.strptime(t, "%d/%m/%Y").date()):
        try:
            return parse(raw[:10])
        except ValueError:
            continue
    raise ValueError(f"'{raw[:30]}' is not a date (use YYYY-MM-DD)")


def allowed_collaboratives(conn, viewer) -> set[str]:
    """The collaboratives whose risks and reserves this viewer may write."""
    if not access.allowed(viewer, ACTION):
        return set()
    ids = [r[0] for r in conn.execute(sa.select(collaborative.c.collaborative_id))]
    return {c for c in ids if access.allowed(viewer, ACTION, ("collaborative", c), conn)}


def _collab(raw, known: set, allowed: set, problem) -> str | None:
    collab = text(raw.get("collaborative_id"))
    if collab is None:
        problem("collaborative_id", "is required but empty")
    elif collab not in known:
        problem("collaborative_id", f"'{collab[:40]}' is not a known collaborative code")
    elif collab not in allowed:
        problem("collaborative_id", f"you may not record financial risks or reserves for '{collab}'")
    return collab


def _money(raw, column, row, problem, required=True) -> None:
    if blank(raw.get(column)):
        row[column] = None if not required else Decimal("0")
        if required:
            problem(column, "is required but empty")
        return
    try:
        row[column] = amount(raw[column])
    except ValueError as error:
        problem(column, str(error))


def check_risk(raw: dict, known: set, allowed: set, today: dt.date,
               owners: dict | None = None) -> tuple[dict, list[tuple[str, str]]]:
    """(clean row, [(column, problem)]) of one risk. `owners` ({risk_id: collaborative} already held) refuses a
    risk id that belongs to another collaborative."""
    problems: list[tuple[str, str]] = []

    def problem(column, message):
        problems.append((column, message))

    row = {"risk_id": text(raw.get("risk_id")), "collaborative_id": _collab(raw, known, allowed, problem)}
    if row["risk_id"] is None:
        problem("risk_id", "is required but empty")
    elif not RISK_ID.match(row["risk_id"]):
        problem("risk_id", "use up to 32 letters, digits, '-' or '_'")
    elif owners and owners.get(row["risk_id"]) not in (None, row["collaborative_id"]):
        problem("risk_id", f"'{row['risk_id']}' is another collaborative's risk")
    for column in ("description", "owner"):
        row[column] = text(raw.get(column))
        if row[column] is None:
            problem(column, "is required but empty")
        elif len(row[column]) > (MAX_TEXT if column == "description" else 200):
            problem(column, f"is longer than {MAX_TEXT if column == 'description' else 200} characters")
    _money(raw, "value_gbp", row, problem)
    _money(raw, "mitigation_gbp", row, problem)
    _likelihood(raw, row, problem)
    status = (text(raw.get("status")) or "").lower()
    row["status"] = status
    if status not in RISK_STATUSES:
        problem("status", f"'{status[:20]}' is not a status ({', '.join(RISK_STATUSES)})")
    _dates(raw, row, problem, today)
    return row, problems


def _likelihood(raw, row, problem) -> None:
    value = raw.get("likelihood_pct")
    if blank(value):
        problem("likelihood_pct", "is required but empty")
        return
    try:
        number = float(str(value).strip().rstrip("%")) if not isinstance(value, (int, float)) else float(value)
    except ValueError:
        problem("likelihood_pct", f"'{str(value)[:20]}' is not a number")
        return
    if math.isnan(number) or not 0 <= number <= 100:
        problem("likelihood_pct", "is a % from 0 to 100")
        return
    row["likelihood_pct"] = number


def _dates(raw, row, problem, today) -> None:
    for column in ("raised_date", "review_date"):
        row[column] = None
        if blank(raw.get(column)):
            if column == "raised_date":
                problem(column, "is required but empty")
            continue
        try:
            row[column] = day(raw[column])
        except ValueError as error:
            problem(column, str(error))
    if row["raised_date"] is not None and row["raised_date"] > today:
        problem("raised_date", f"{row['raised_date']:%d %b %Y} is in the future")
    if row["raised_date"] and row["review_date"] and row["review_date"] < row["raised_date"]:
        problem("review_date", "is before the date the risk was raised")


def check_reserve(raw: dict, known: set, allowed: set) -> tuple[dict, list[tuple[str, str]]]:
    problems: list[tuple[str, str]] = []

    def problem(column, message):
        problems.append((column, message))

    row = {"collaborative_id": _collab(raw, known, allowed, problem)}
    _money(raw, "held_gbp", row, problem)
    _money(raw, "committed_gbp", row, problem)
    return row, problems


def risk_owners(conn) -> dict[str, str]:
    return dict(conn.execute(sa.select(financial_risk.c.risk_id, financial_risk.c.collaborative_id)).all())


def write_risks(conn, rows: list[dict], fy_label: str) -> None:
    """Insert or replace each risk (by risk_id), in the caller's transaction."""
    ids = [r["risk_id"] for r in rows]
    if ids:
        conn.execute(sa.delete(financial_risk).where(financial_risk.c.risk_id.in_(ids)))
        conn.execute(sa.insert(financial_risk), [{**r, "financial_year": fy_label} for r in rows])


def write_reserves(conn, rows: list[dict], fy_label: str) -> None:
    """Insert or replace the reserve of each collaborative for the year, in the caller's transaction."""
    v = financial_reserve
    for r in rows:
        conn.execute(sa.delete(v).where(v.c.collaborative_id == r["collaborative_id"], v.c.financial_year == fy_label))
    if rows:
        conn.execute(sa.insert(v), [{**r, "financial_year": fy_label} for r in rows])


def _known(conn) -> set[str]:
    return {r[0] for r in conn.execute(sa.select(collaborative.c.collaborative_id))}


def save_risk(engine, viewer, raw: dict, fy_label: str, today: dt.date | None = None) -> list[tuple[str, str]]:
    """Validate and save one risk from the form: [] when saved, else the problems (nothing changed). Audited."""
    access.require(viewer, ACTION)
    today = today or dt.date.today()
    with engine.begin() as conn:
        row, problems = check_risk(raw, _known(conn), allowed_collaboratives(conn, viewer), today, risk_owners(conn))
        scope = f"collaborative:{row['collaborative_id']}" if row.get("collaborative_id") else "national"
        detail = {"risk_id": row.get("risk_id"), "financial_year": fy_label,
                  "status": "refused" if problems else "saved", "problems": len(problems)}
        if not problems:
            write_risks(conn, [row], fy_label)
            detail |= {"value_gbp": str(row["value_gbp"]), "likelihood_pct": row["likelihood_pct"],
                       "mitigation_gbp": str(row["mitigation_gbp"]), "risk_status": row["status"]}
        audit.write(conn, viewer, "edit", audit.target("Financial risk", scope), detail)
    return problems


def save_reserve(engine, viewer, raw: dict, fy_label: str) -> list[tuple[str, str]]:
    """Validate and save a collaborative's reserve for the year: [] when saved, else the problems. Audited."""
    access.require(viewer, ACTION)
    with engine.begin() as conn:
        row, problems = check_reserve(raw, _known(conn), allowed_collaboratives(conn, viewer))
        scope = f"collaborative:{row['collaborative_id']}" if row.get("collaborative_id") else "national"
        detail = {"financial_year": fy_label, "status": "refused" if problems else "saved"}
        if not problems:
            write_reserves(conn, [row], fy_label)
            detail |= {"held_gbp": str(row["held_gbp"]), "committed_gbp": str(row["committed_gbp"])}
        audit.write(conn, viewer, "edit", audit.target("Financial reserve", scope), detail)
    return problems
