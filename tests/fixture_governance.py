"""The fixture database plus known SPC signals for the governance (meeting pack) tests.

On top of tests/fixture_db.build_fixture:
- staffing of ward W1 (IMPACT) for Jan 2023 - Jan 2024, 1,000 planned hours a month and 950 / 970 actual in
  turn (95%, 97%, ...; Jan 2024 96%). With the fixture's Feb 2024 (W1 50%) and Mar 2024 (W1-W3:
  2,140 / 2,400 = 89.17%) IMPACT's monthly staffing fill rate Jan 2023 - Mar 2024 is
  95, 97, 95, 97, 95, 97, 95, 97, 95, 97, 95, 97, 96, 50, 89.17.
  XmR, limits from the first 12 points: mean 96, mean moving range 2, limits 96 ± 5.32 = 90.68 to 101.32.
  Feb (50) and Mar (89.17) are below the lower limit: special cause, concern (higher is better), so the
  latest point is "concern_low" (rule outside_limits). Target 95 (threshold green band) lies within the
  limits: assurance "hit_and_miss".
- the Board (F1) also reviews staffing_fill_rate_pct;
- IMPACT's variance to budget for FY 2023/24 to March 2024 is £10,500 of a £279,000 budget
  (tests/expected_fixture.py) = 3.76%: red under the dashboard's rule (±1% green, ±3% amber, metrics.rag),
  off track against plan.
So the Board's exceptions for March 2024 are staffing_fill_rate_pct (concern) and variance_gbp (red);
bed_occupancy_pct (neutral direction) and out_of_area_pct (no target, two months only) are not.
"""

import datetime as dt

import sqlalchemy as sa

from data_access import schema
from tests.fixture_db import build_fixture

MONTHS_2023 = [dt.date(2023, m, 1) for m in range(1, 13)]


def staffing_rows() -> list[dict]:
    rows = [{"ward_code": "W1", "month_start": m, "planned_hours": 1000.0, "actual_hours": 950.0 if i % 2 == 0
             else 970.0, "vacancy_rate_pct": None} for i, m in enumerate(MONTHS_2023)]
    rows.append({"ward_code": "W1", "month_start": dt.date(2024, 1, 1), "planned_hours": 1000.0,
                 "actual_hours": 960.0, "vacancy_rate_pct": None})
    return rows


def add_signals(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        conn.execute(sa.insert(schema.staffing), staffing_rows())
        conn.execute(sa.insert(schema.forum_kpi), [{"forum_id": "F1", "kpi_id": "staffing_fill_rate_pct"}])


def build_governance_fixture(engine: sa.Engine) -> None:
    build_fixture(engine)
    add_signals(engine)
