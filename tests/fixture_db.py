"""A small hand-built reporting database whose KPI values are worked out by hand.

`build_fixture(engine)` fills an engine that already has the schema. Every KPI of
tests/expected_fixture.py is derived from the rows below by hand; change a row here
and the working there must change too.

The world, in one paragraph. Two regions (Y60 Midlands, Y63 North East and Yorkshire);
three collaboratives: IMPACT (adult secure, Y60), NORTH (adult secure, Y63) and CAMHS
(children's, Y60). Four providers, four units, seven wards. Every locality and unit
lies on the meridian 1.125 deg W, so a haversine distance is exactly R x (delta lat in
radians) = 111.194927 km per degree of latitude. Coordinates are multiples of 1/8 degree,
exact even in a 32-bit float (DuckDB maps SQLAlchemy Float to REAL). The periods tested are
2024-03-01..2024-03-10 and 2024-03-01..2024-03-05; finance is FY 2023/24 with January and
February 2024 closed and March 2024 open.
"""

from datetime import date, datetime, timedelta

import sqlalchemy as sa

from data_access import facts, schema
from demo.reference import national_service

D = date
T = datetime


def _calendar_rows(first: date, last: date) -> list[dict]:
    """One row per date: financial year April-March, month start, Monday week start."""
    rows = []
    day = first
    while day <= last:
        fy_start = day.year if day.month >= 4 else day.year - 1
        rows.append({
            "date": day,
            "financial_year": f"{fy_start}/{str(fy_start + 1)[-2:]}",
            "month_start": day.replace(day=1),
            "week_start": day - timedelta(days=day.weekday()),
            "is_weekday": day.weekday() < 5,
        })
        day += timedelta(days=1)
    return rows


REGIONS = [
    {"region_code": "Y60", "name": "Midlands"},
    {"region_code": "Y63", "name": "North East and Yorkshire"},
]

PROVIDERS = [
    {"provider_code": "RHA", "name": "Nottinghamshire Healthcare NHS Foundation Trust", "sector": "nhs",
     "cqc_rating": "good"},
    {"provider_code": "NQ1", "name": "St Andrew's Healthcare", "sector": "independent",
     "cqc_rating": "requires_improvement"},
    {"provider_code": "RX4", "name": "Cumbria, Northumberland, Tyne and Wear NHS Foundation Trust",
     "sector": "nhs", "cqc_rating": "outstanding"},
    {"provider_code": "NPR", "name": "Priory Healthcare", "sector": "independent", "cqc_rating": None},
]

COLLABORATIVES = [
    {"collaborative_id": "IMPACT", "name": "IMPACT", "region_code": "Y60", "service_line": "adult_secure",
     "lead_provider_code": "RHA", "go_live_date": D(2020, 10, 1)},
    {"collaborative_id": "NORTH", "name": "North East and Yorkshire Adult Secure", "region_code": "Y63",
     "service_line": "adult_secure", "lead_provider_code": "RX4", "go_live_date": D(2021, 4, 1)},
    {"collaborative_id": "CAMHS", "name": "Midlands CAMHS", "region_code": "Y60", "service_line": "camhs",
     "lead_provider_code": "NQ1", "go_live_date": D(2021, 10, 1)},
]

MEMBERS = [
    {"collaborative_id": "IMPACT", "provider_code": "RHA"},
    {"collaborative_id": "IMPACT", "provider_code": "NQ1"},
    {"collaborative_id": "NORTH", "provider_code": "RX4"},
    {"collaborative_id": "NORTH", "provider_code": "NPR"},
    {"collaborative_id": "CAMHS", "provider_code": "NQ1"},  # NQ1 is in two collaboratives
]

# All on longitude -1.125: distance = 111.194927 km per degree of latitude difference.
UNITS = [
    {"unit_code": "U1", "name": "Arnold Lodge", "provider_code": "RHA", "postcode": "LE5 0LE",
     "latitude": 52.5, "longitude": -1.125},
    {"unit_code": "U2", "name": "St Andrew's Northampton", "provider_code": "NQ1", "postcode": "NN1 5DG",
     "latitude": 52.0, "longitude": -1.125},
    {"unit_code": "U3", "name": "Northgate Hospital", "provider_code": "RX4", "postcode": "NE61 3BP",
     "latitude": 54.75, "longitude": -1.125},
    {"unit_code": "U4", "name": "Priory York", "provider_code": "NPR", "postcode": "YO10 4AA",
     "latitude": 54.0, "longitude": -1.125},
]


def _ward(code, unit, name, collab, line, level, gender, specialism, beds, opened, closed=None):
    # Nationally commissioned (never out of area): women's enhanced medium secure (W2), as in the demo.
    return {"ward_code": code, "unit_code": unit, "name": name, "collaborative_id": collab,
            "service_line": line, "security_level": level, "gender": gender, "specialism": specialism,
            "commissioned_beds": beds, "opened_date": opened, "closed_date": closed,
            "nationally_commissioned": national_service(specialism, level)}


WARDS = [
    _ward("W1", "U1", "Low secure men", "IMPACT", "adult_secure", "low", "male", "mi", 4, D(2010, 1, 1)),
    _ward("W2", "U1", "Medium secure women", "IMPACT", "adult_secure", "medium", "female", "wems", 3,
          D(2010, 1, 1)),
    # W3 closes part-way: open on 2024-03-01..03-05 only (d < closed_date).
    _ward("W3", "U2", "Low secure women", "IMPACT", "adult_secure", "low", "female", "pd", 3,
          D(2015, 4, 1), D(2024, 3, 6)),
    _ward("W4", "U2", "CAMHS general adolescent", "CAMHS", "camhs", "general", "mixed", "general", 3,
          D(2012, 1, 1)),
    _ward("W5", "U3", "Medium secure men", "NORTH", "adult_secure", "medium", "male", "mi", 4, D(2000, 1, 1)),
    # W6 opens part-way: open on 2024-03-04..03-10.
    _ward("W6", "U4", "Low secure women", "NORTH", "adult_secure", "low", "female", "mi", 3, D(2024, 3, 4)),
    _ward("W7", "U3", "Medium secure women", "NORTH", "adult_secure", "medium", "female", "mi", 2,
          D(1995, 1, 1)),
]

LOCALITIES = [
    {"locality_code": "L1", "name": "Nottingham and Nottinghamshire", "region_code": "Y60",
     "latitude": 53.0, "longitude": -1.125, "population": 1_200_000},
    {"locality_code": "L2", "name": "Leicester, Leicestershire and Rutland", "region_code": "Y60",
     "latitude": 52.5, "longitude": -1.125, "population": 1_100_000},
    {"locality_code": "L3", "name": "Tees Valley", "region_code": "Y63",
     "latitude": 54.5, "longitude": -1.125, "population": 700_000},
]

# L3 has no camhs row: a L3 child on a camhs ward has no home collaborative -> out of area.
LOCALITY_COLLABORATIVES = [
    {"locality_code": "L1", "service_line": "adult_secure", "collaborative_id": "IMPACT"},
    {"locality_code": "L1", "service_line": "camhs", "collaborative_id": "CAMHS"},
    {"locality_code": "L2", "service_line": "adult_secure", "collaborative_id": "IMPACT"},
    {"locality_code": "L2", "service_line": "camhs", "collaborative_id": "CAMHS"},
    {"locality_code": "L3", "service_line": "adult_secure", "collaborative_id": "NORTH"},
]


def _patient(pid, sex, born, ethnic, home, ld=False, care=None):
    return {"patient_id": pid, "sex": sex, "birth_year": born, "ethnic_group": ethnic,
            "home_locality_code": home, "ld_autism": ld, "care_experienced": care}


PATIENTS = [
    _patient("P01", "female", 1985, "white", "L1", care=True),  # three hospitals since 2019
    _patient("P02", "female", 1960, "black", "L3"),  # in hospital since 1998
    _patient("P03", "male", 1990, "white", "L1"),  # out of area at W5, repatriated to W1 on 03-07
    _patient("P04", "male", 1988, "asian", "L2", ld=True),  # discharged 03-06, readmitted 03-08
    _patient("P05", "male", 1979, "white", "L2"),  # leave; ready for discharge 03-06
    _patient("P06", "female", 1995, "mixed", "L2"),  # discharged 03-04 (ready since 02-20)
    _patient("P07", "female", 1992, "white", "L1"),  # W3 (NQ1) then W2 (RHA) from 03-05
    _patient("P08", "male", 1983, "black", "L3"),  # prison transfer admitted 03-02
    _patient("P09", "male", 1975, "white", "L3"),  # discharged to prison 03-08 after 788 days
    _patient("P10", "female", 1998, "white", "L1"),  # IMPACT woman placed in NORTH's W6 (out of area)
    _patient("P11", "female", 2008, "white", "L2"),  # CAMHS inpatient
    _patient("P12", "male", 2007, "asian", "L3"),  # CAMHS, no camhs home collaborative
    _patient("P13", "male", 1970, "other", "L3"),  # long stay W5
    _patient("P14", "male", 2009, "not_stated", "L1"),  # referral only (accepted, awaiting admission)
    _patient("P15", "male", 1986, "white", "L3"),  # referrals only (prison)
    _patient("P16", "female", 1993, "white", "L3"),  # referral only (open)
]


def _ref(rid, pid, collab, line, level, source, urgency, received, assessed=None, decision=None,
         decided=None, admitted=None, ward=None, disputed=False):
    return {"referral_id": rid, "patient_id": pid, "collaborative_id": collab, "service_line": line,
            "security_level": level, "source": source, "urgency": urgency, "received_date": received,
            "assessment_date": assessed, "decision": decision, "decision_date": decided,
            "admission_date": admitted, "admitted_ward_code": ward, "disputed": disputed}


AS, CA = "adult_secure", "camhs"
# Day counts in comments: received->assessed / assessed->decided / received->admitted.
REFERRALS = [
    # 5 / 5 / 21 (prison, admitted within 28 days)
    _ref("R01", "P08", "NORTH", AS, "medium", "prison", "urgent", D(2024, 2, 10), D(2024, 2, 15),
         "accepted", D(2024, 2, 20), D(2024, 3, 2), "W5"),
    # 10 / 7 / 49 (prison, beyond 28 days; IMPACT's referral admitted to NORTH's W6)
    _ref("R02", "P10", "IMPACT", AS, "low", "prison", "urgent", D(2024, 1, 15), D(2024, 1, 25),
         "accepted", D(2024, 2, 1), D(2024, 3, 4), "W6"),
    # 10 (routine, within 14) / 3 / 16
    _ref("R03", "P03", "IMPACT", AS, "low", "other_secure", "routine", D(2024, 2, 20), D(2024, 3, 1),
         "accepted", D(2024, 3, 4), D(2024, 3, 7), "W1"),
    # 1 (urgent, within 7) / 2 / 4
    _ref("R04", "P07", "IMPACT", AS, "medium", "other_secure", "urgent", D(2024, 3, 1), D(2024, 3, 2),
         "accepted", D(2024, 3, 4), D(2024, 3, 5), "W2"),
    # 0 (urgent, within) / 0 / 1
    _ref("R05", "P04", "IMPACT", AS, "low", "community", "urgent", D(2024, 3, 7), D(2024, 3, 7),
         "accepted", D(2024, 3, 7), D(2024, 3, 8), "W1"),
    # 3 (emergency, over 2) / 0 / 3
    _ref("R06", "P12", "CAMHS", CA, "general", "acute_hospital", "emergency", D(2024, 3, 3), D(2024, 3, 6),
         "accepted", D(2024, 3, 6), D(2024, 3, 6), "W4"),
    # 33 (routine, over 14) / 3, declined 03-08
    _ref("R07", "P15", "NORTH", AS, "medium", "prison", "routine", D(2024, 2, 1), D(2024, 3, 5),
         "declined", D(2024, 3, 8)),
    # 7 (urgent, exactly on target: within) / no decision: open
    _ref("R08", "P16", "NORTH", AS, "low", "community", "urgent", D(2024, 3, 2), D(2024, 3, 9)),
    # never assessed; withdrawn 03-06 (not in any assessment-to-decision median)
    _ref("R09", "P06", "IMPACT", AS, "low", "court", "routine", D(2024, 3, 3), None,
         "withdrawn", D(2024, 3, 6), disputed=True),
    # received only: open from 03-08
    _ref("R10", "P15", "NORTH", AS, "medium", "prison", "emergency", D(2024, 3, 8)),
    # 2 (emergency, exactly on target: within) / 3, accepted, awaiting admission
    _ref("R11", "P14", "CAMHS", CA, "general", "community", "emergency", D(2024, 2, 28), D(2024, 3, 1),
         "accepted", D(2024, 3, 4)),
    # 8 (urgent, over 7) / 5, accepted 03-09, awaiting admission
    _ref("R12", "P13", "NORTH", AS, "low", "other_secure", "urgent", D(2024, 2, 25), D(2024, 3, 4),
         "accepted", D(2024, 3, 9)),
    # received only: open from 03-09
    _ref("R13", "P06", "IMPACT", AS, "low", "community", "urgent", D(2024, 3, 9)),
    # long closed (P09's admission in 2022)
    _ref("R14", "P09", "NORTH", AS, "medium", "court", "routine", D(2021, 12, 1), D(2021, 12, 5),
         "accepted", D(2021, 12, 20), D(2022, 1, 10), "W5"),
]


def _spell(sid, pid, provider, admitted, discharged=None, destination=None, ready=None, referral=None,
           wsbs=False):
    return {"spell_id": sid, "patient_id": pid, "referral_id": referral, "provider_code": provider,
            "admission_date": admitted, "discharge_date": discharged, "ready_for_discharge_date": ready,
            "discharge_destination": destination, "wsbs_pilot": wsbs}


SPELLS = [
    # P01: three hospitals with no gap between spells (continuous stay since 2019-05-01)
    _spell("S01a", "P01", "NQ1", D(2019, 5, 1), D(2021, 6, 30), "other_hospital"),
    _spell("S01b", "P01", "RX4", D(2021, 7, 1), D(2023, 12, 31), "other_hospital"),
    _spell("S01c", "P01", "RHA", D(2024, 1, 1)),
    _spell("S02", "P02", "RX4", D(1998, 6, 15)),  # open since 1998: 9,400 days on 2024-03-10
    _spell("S03a", "P03", "RX4", D(2024, 2, 1), D(2024, 3, 7), "other_hospital"),  # 35 days
    _spell("S03b", "P03", "RHA", D(2024, 3, 7), referral="R03"),
    _spell("S04a", "P04", "RHA", D(2023, 9, 1), D(2024, 3, 6), "community"),  # 187 days
    _spell("S04b", "P04", "RHA", D(2024, 3, 8), referral="R05"),  # readmission 2 days later
    _spell("S05", "P05", "RHA", D(2023, 11, 10), ready=D(2024, 3, 6)),
    _spell("S06", "P06", "NQ1", D(2023, 12, 1), D(2024, 3, 4), "step_down", ready=D(2024, 2, 20)),  # 94
    _spell("S07a", "P07", "NQ1", D(2024, 2, 15), D(2024, 3, 5), "other_hospital"),  # 19 days
    _spell("S07b", "P07", "RHA", D(2024, 3, 5), referral="R04"),
    _spell("S08", "P08", "RX4", D(2024, 3, 2), referral="R01"),
    _spell("S09", "P09", "RX4", D(2022, 1, 10), D(2024, 3, 8), "prison", ready=D(2024, 3, 1),
           referral="R14"),  # 788 days
    _spell("S10", "P10", "NPR", D(2024, 3, 4), referral="R02", wsbs=True),
    _spell("S11", "P11", "NQ1", D(2024, 2, 20)),
    _spell("S12", "P12", "NQ1", D(2024, 3, 6), D(2024, 3, 9), "community", referral="R06"),  # 3 days
    _spell("S13", "P13", "RX4", D(2023, 6, 1)),
    # Readmission cohorts (discharges 365 days before the period; 2024 is a leap year, so 2024-03-01 - 365 d
    # = 2023-03-02 and 2024-03-10 - 365 d = 2023-03-11). No bed day in 2024.
    # S03h (W5): discharged 2023-03-01 (the February 2024 cohort, not March's); readmitted as S03a 2024-02-01
    # (<= 2023-03-01 + 365 = 2024-02-29).
    _spell("S03h", "P03", "RX4", D(2023, 1, 20), D(2023, 3, 1), "community"),
    # S05h: discharged 2023-03-03 (both March cohorts); readmitted as S05 2023-11-10.
    _spell("S05h", "P05", "RHA", D(2023, 1, 10), D(2023, 3, 3), "community"),
    # S15h: discharged 2023-03-08 (the 03-01..03-10 cohort only); never readmitted.
    _spell("S15h", "P15", "RX4", D(2023, 2, 1), D(2023, 3, 8), "prison"),
]


def _stay(wsid, sid, ward, start, end=None):
    return {"ward_stay_id": wsid, "spell_id": sid, "ward_code": ward, "start_date": start, "end_date": end}


# Bed days in 2024-03-01..10 (and in 03-01..05) noted per stay: a stay occupies d when start <= d < end.
WARD_STAYS = [
    _stay("WS01a", "S01a", "W3", D(2019, 5, 1), D(2021, 6, 30)),  # 0 (history: unit U2)
    _stay("WS01b", "S01b", "W7", D(2021, 7, 1), D(2023, 12, 31)),  # 0 (history: unit U3)
    _stay("WS01c", "S01c", "W2", D(2024, 1, 1)),  # 10 (5)
    _stay("WS02", "S02", "W7", D(1998, 6, 15)),  # 10 (5)
    _stay("WS03a", "S03a", "W5", D(2024, 2, 1), D(2024, 3, 7)),  # 6: 03-01..06 (5) out of area
    _stay("WS03b", "S03b", "W1", D(2024, 3, 7)),  # 4: 03-07..10 (0) repatriation
    _stay("WS04a", "S04a", "W1", D(2023, 9, 1), D(2024, 3, 6)),  # 5: 03-01..05 (5)
    _stay("WS04b", "S04b", "W1", D(2024, 3, 8)),  # 3: 03-08..10 (0)
    _stay("WS05", "S05", "W1", D(2023, 11, 10)),  # 10 (5)
    _stay("WS06", "S06", "W3", D(2023, 12, 1), D(2024, 3, 4)),  # 3: 03-01..03 (3)
    _stay("WS07a", "S07a", "W3", D(2024, 2, 15), D(2024, 3, 5)),  # 4: 03-01..04 (4)
    _stay("WS07b", "S07b", "W2", D(2024, 3, 5)),  # 6: 03-05..10 (1)
    _stay("WS08", "S08", "W5", D(2024, 3, 2)),  # 9: 03-02..10 (4)
    _stay("WS09", "S09", "W5", D(2022, 1, 10), D(2024, 3, 8)),  # 7: 03-01..07 (5)
    _stay("WS10", "S10", "W6", D(2024, 3, 4)),  # 7: 03-04..10 (2) out of area
    _stay("WS11", "S11", "W4", D(2024, 2, 20)),  # 10 (5)
    _stay("WS12", "S12", "W4", D(2024, 3, 6), D(2024, 3, 9)),  # 3: 03-06..08 (0) out of area (no home)
    _stay("WS13", "S13", "W5", D(2023, 6, 1)),  # 10 (5)
    _stay("WS03h", "S03h", "W5", D(2023, 1, 20), D(2023, 3, 1)),  # 0 (2023 only; U3, as S03a: no new hospital)
    _stay("WS05h", "S05h", "W1", D(2023, 1, 10), D(2023, 3, 3)),  # 0 (2023 only)
    _stay("WS15h", "S15h", "W5", D(2023, 2, 1), D(2023, 3, 8)),  # 0 (2023 only)
]

LEAVE = [
    {"leave_id": "LV1", "ward_stay_id": "WS05", "start_date": D(2024, 3, 2), "end_date": D(2024, 3, 4)},
    # 2 leave days: 03-02, 03-03
    {"leave_id": "LV2", "ward_stay_id": "WS05", "start_date": D(2024, 3, 9), "end_date": None},
    # 2 leave days in 03-01..10: 03-09, 03-10
    {"leave_id": "LV3", "ward_stay_id": "WS09", "start_date": D(2024, 3, 7), "end_date": None},
    # left open after discharge: counts only 03-07 (the stay's last occupied day)
]

# Several rows a day on some days: the latest row of a day gives that day's closed beds.
BED_STATE = [
    # ward, reported_at, commissioned, occupied, on_leave, closed
    ("W1", T(2024, 3, 2, 8, 0), 4, 3, 0, 1),
    ("W1", T(2024, 3, 2, 20, 0), 4, 3, 1, 0),  # latest of 03-02: 0 closed
    ("W1", T(2024, 3, 3, 9, 0), 4, 2, 1, 1),  # 03-03: 1 closed
    ("W1", T(2024, 3, 5, 12, 0), 4, 2, 0, 0),  # latest by 03-05: 2 available
    ("W1", T(2024, 3, 10, 8, 0), 4, 3, 1, 1),
    ("W1", T(2024, 3, 10, 16, 0), 4, 3, 1, 0),  # latest by 03-10: 1 available
    ("W1", T(2024, 3, 11, 8, 0), 4, 4, 0, 0),  # after both periods
    ("W2", T(2024, 3, 1, 10, 0), 3, 1, 0, 0),  # latest by 03-05: 2 available
    ("W2", T(2024, 3, 8, 10, 0), 3, 2, 0, 1),  # 03-08: 1 closed; latest by 03-10: 0 available
    ("W3", T(2024, 3, 4, 9, 0), 3, 2, 0, 0),
    ("W3", T(2024, 3, 5, 18, 0), 3, 0, 0, 2),  # 03-05: 2 closed; latest by 03-05: 1 available
    ("W3", T(2024, 3, 7, 9, 0), 3, 0, 0, 3),  # ward already closed: ignored
    ("W4", T(2024, 3, 1, 9, 0), 3, 1, 0, 0),  # latest by 03-05: 2 available
    ("W4", T(2024, 3, 8, 12, 0), 3, 2, 0, 0),  # latest by 03-10: 1 available
    ("W5", T(2024, 3, 4, 9, 0), 4, 4, 0, 0),  # latest by 03-05: 0 available
    ("W5", T(2024, 3, 8, 7, 0), 4, 3, 0, 2),
    ("W5", T(2024, 3, 8, 19, 0), 4, 2, 0, 1),  # latest of 03-08: 1 closed
    ("W5", T(2024, 3, 10, 9, 0), 5, 2, 0, 0),  # surge bed: row's own 5 beds -> 3 available by 03-10
    ("W6", T(2024, 3, 4, 9, 0), 3, 1, 0, 0),  # latest by 03-05: 2 available
    ("W6", T(2024, 3, 9, 9, 0), 3, 1, 0, 2),  # 03-09: 2 closed
    ("W6", T(2024, 3, 10, 0, 0), 3, 1, 0, 0),  # midnight belongs to 03-10: 0 closed; 2 available
    ("W7", T(2024, 3, 1, 11, 0), 2, 1, 0, 0),  # latest by 03-05: 1 available
    ("W7", T(2024, 3, 9, 10, 0), 2, 1, 0, 2),  # 03-09: 2 closed; 2-1-2 < 0 -> 0 available by 03-10
]

STAFFING = [
    # ward, month_start, planned, actual, vacancy %
    ("W1", D(2024, 2, 1), 1000.0, 500.0, 20.0),  # February: outside both periods
    ("W1", D(2024, 3, 1), 1000.0, 900.0, 10.0),
    ("W2", D(2024, 3, 1), 800.0, 760.0, 5.0),
    ("W3", D(2024, 3, 1), 600.0, 480.0, None),
    ("W4", D(2024, 3, 1), 700.0, 700.0, 0.0),
    ("W5", D(2024, 3, 1), 1200.0, 1260.0, 8.0),
    ("W6", D(2024, 3, 1), 500.0, 400.0, 30.0),
    ("W7", D(2024, 3, 1), 400.0, 380.0, 12.0),
    ("W5", D(2024, 4, 1), 1200.0, 600.0, 8.0),  # April: outside both periods
]

RESTRICTIVE = [
    # id, ward, patient, started_at, kind, ended_at (None = still going on)
    ("RI1", "W5", "P08", T(2024, 3, 3, 14, 0), "prone_restraint", T(2024, 3, 3, 14, 10)),
    # still in seclusion: 03-03 14:30 to the end of the period (03-10: 177.5 h; 03-05: 57.5 h)
    ("RI2", "W5", "P08", T(2024, 3, 3, 14, 30), "seclusion", None),
    ("RI3", "W5", "P13", T(2024, 3, 8, 9, 0), "rapid_tranquillisation", T(2024, 3, 8, 9, 0)),
    ("RI4", "W1", "P05", T(2024, 3, 6, 22, 0), "prone_restraint", T(2024, 3, 6, 22, 5)),
    # last second of 03-10
    ("RI5", "W2", "P01", T(2024, 3, 10, 23, 59, 59), "other_restraint", T(2024, 3, 11, 0, 4, 59)),
    ("RI6", "W2", "P01", T(2024, 3, 11, 0, 0), "seclusion", T(2024, 3, 11, 6, 0)),  # outside both periods
    # outside both periods (started), still going on: open on both as-of dates
    ("RI7", "W4", "P11", T(2024, 2, 29, 23, 0), "segregation", None),
    ("RI8", "W7", "P02", T(2024, 3, 1, 0, 0), "mechanical_restraint", T(2024, 3, 1, 0, 20)),  # first instant of 03-01
    # Long-term segregation started before the SPC series of the tests (January 2024), so no monthly count changes:
    ("RI9", "W5", "P13", T(2023, 12, 4, 10, 0), "segregation", None),  # open on 03-05 and 03-10
    ("RI10", "W1", "P05", T(2023, 12, 20, 12, 0), "segregation", T(2024, 3, 7, 12, 0)),  # open on 03-05 only
]

INCIDENTS = [
    # id, ward, occurred_at, kind, harm
    ("I1", "W1", T(2024, 3, 2, 10, 0), "assault_on_staff", "low"),
    ("I2", "W3", T(2024, 3, 4, 15, 0), "self_harm", "moderate"),
    ("I3", "W5", T(2024, 3, 7, 3, 0), "assault_on_patient", "none"),
    ("I4", "W6", T(2024, 3, 9, 12, 0), "absconsion", "none"),
    ("I5", "W4", T(2024, 3, 10, 20, 0), "self_harm", "low"),
    ("I6", "W1", T(2024, 2, 28, 10, 0), "other", "none"),  # outside both periods
]

# FY 2023/24: January and February 2024 closed (actual), March 2024 open (actual NULL, forecast).
FINANCE = [
    # collaborative, month_start, category, provider (None = collaborative-level line),
    # budget, actual (None = month not closed), forecast
    ("IMPACT", D(2024, 1, 1), "nhs_inpatient", "RHA", 50000, 52000, 52000),
    ("IMPACT", D(2024, 1, 1), "independent_inpatient", "NQ1", 30000, 28000, 28000),
    ("IMPACT", D(2024, 1, 1), "out_of_area", None, 10000, 15000, 15000),
    ("IMPACT", D(2024, 1, 1), "community", None, 5000, 4000, 4000),
    ("IMPACT", D(2024, 2, 1), "nhs_inpatient", "RHA", 50000, 51000, 51000),
    ("IMPACT", D(2024, 2, 1), "independent_inpatient", "NQ1", 30000, 29000, 29000),
    ("IMPACT", D(2024, 2, 1), "out_of_area", None, 10000, 12000, 12000),
    ("IMPACT", D(2024, 2, 1), "reinvestment", None, 2000, 2500, 2500),
    ("IMPACT", D(2024, 3, 1), "nhs_inpatient", "RHA", 50000, None, 53000),
    ("IMPACT", D(2024, 3, 1), "independent_inpatient", "NQ1", 30000, None, 31000),
    ("IMPACT", D(2024, 3, 1), "out_of_area", None, 10000, None, 9000),
    ("IMPACT", D(2024, 3, 1), "reinvestment", None, 2000, None, 3000),
    ("IMPACT", D(2024, 4, 1), "nhs_inpatient", "RHA", 55000, None, 55000),  # FY 2024/25: ignored
    ("NORTH", D(2023, 3, 1), "nhs_inpatient", "RX4", 58000, 58000, 58000),  # FY 2022/23: ignored
    ("NORTH", D(2024, 1, 1), "nhs_inpatient", "RX4", 60000, 61000, 61000),
    ("NORTH", D(2024, 1, 1), "out_of_area", None, 8000, 7000, 7000),
    ("NORTH", D(2024, 2, 1), "nhs_inpatient", "RX4", 60000, 59000, 59000),
    ("NORTH", D(2024, 2, 1), "community", None, 6000, 6500, 6500),
    ("NORTH", D(2024, 2, 1), "reinvestment", None, 1500, 1000, 1000),
    ("NORTH", D(2024, 2, 1), "other", "NPR", 5000, 4500, 4500),  # mobilising the new ward W6
    ("NORTH", D(2024, 3, 1), "nhs_inpatient", "RX4", 60000, None, 60000),
    ("NORTH", D(2024, 3, 1), "independent_inpatient", "NPR", 20000, None, 18000),
    ("CAMHS", D(2024, 1, 1), "independent_inpatient", "NQ1", 25000, 24000, 24000),
    ("CAMHS", D(2024, 1, 1), "reinvestment", None, 1000, 800, 800),
    ("CAMHS", D(2024, 2, 1), "independent_inpatient", "NQ1", 25000, 26000, 26000),
    ("CAMHS", D(2024, 2, 1), "out_of_area", None, 5000, 6000, 6000),
    ("CAMHS", D(2024, 3, 1), "independent_inpatient", "NQ1", 25000, None, 25500),
]

RISK_SHARE = [
    ("IMPACT", "RHA", "2023/24", 60.0), ("IMPACT", "NQ1", "2023/24", 40.0),
    ("NORTH", "RX4", "2023/24", 80.0), ("NORTH", "NPR", "2023/24", 20.0),
    ("CAMHS", "NQ1", "2023/24", 100.0),
]

# Financial risk (docs/finance.md). Forecast history: each return's full-year outturn per line.
FORECAST_HISTORY = [
    # collaborative, provider, category, return month, financial year, forecast outturn
    ("IMPACT", "RHA", "nhs_inpatient", D(2024, 1, 1), "2023/24", 150000),
    ("IMPACT", "NQ1", "independent_inpatient", D(2024, 1, 1), "2023/24", 88000),
    ("IMPACT", None, "out_of_area", D(2024, 1, 1), "2023/24", 34000),
    ("IMPACT", None, "community", D(2024, 1, 1), "2023/24", 4000),
    ("IMPACT", None, "reinvestment", D(2024, 1, 1), "2023/24", 5000),  # Jan return: 281000
    ("IMPACT", "RHA", "nhs_inpatient", D(2024, 2, 1), "2023/24", 156000),
    ("IMPACT", "NQ1", "independent_inpatient", D(2024, 2, 1), "2023/24", 88000),
    ("IMPACT", None, "out_of_area", D(2024, 2, 1), "2023/24", 36000),
    ("IMPACT", None, "community", D(2024, 2, 1), "2023/24", 4000),
    ("IMPACT", None, "reinvestment", D(2024, 2, 1), "2023/24", 5500),  # Feb return: 289500 (= the ledger)
    ("IMPACT", "RHA", "nhs_inpatient", D(2024, 3, 1), "2023/24", 170000),  # March return: after 10 March
    ("NORTH", "RX4", "nhs_inpatient", D(2024, 2, 1), "2023/24", 217000),  # NORTH: one return only
]

RISKS = [
    # id, collaborative, year, description, value, likelihood %, mitigation, owner, status, raised, review
    ("FR1", "IMPACT", "2023/24", "Two out-of-area placements above tariff", 20000, 50.0, 4000, "Head of finance",
     "open", D(2024, 1, 15), D(2024, 4, 1)),
    ("FR2", "IMPACT", "2023/24", "Agency staffing on the women's ward", 10000, 25.0, 0, "Director of nursing",
     "open", D(2024, 2, 1), None),
    ("FR3", "IMPACT", "2023/24", "Closed: estates work", 50000, 100.0, 0, "Estates", "closed", D(2023, 11, 1), None),
    ("FR4", "IMPACT", "2023/24", "Raised after 10 March", 8000, 100.0, 0, "Head of finance", "open",
     D(2024, 3, 20), None),
    ("FR5", "NORTH", "2023/24", "Independent sector price uplift", 12000, 50.0, 1000, "Lead provider CFO", "open",
     D(2024, 2, 10), D(2024, 5, 1)),
    ("FR6", "NORTH", "2022/23", "Last year's risk", 9000, 100.0, 0, "Lead provider CFO", "open", D(2023, 1, 10),
     None),
]

RESERVES = [
    ("IMPACT", "2023/24", 15000, 6000), ("NORTH", "2023/24", 5000, 5000), ("IMPACT", "2024/25", 99999, 0),
]

RISK_SHARE_TIERS = [
    # collaborative, year, direction, tier, up to £, up to % of budget, carried by
    ("IMPACT", "2023/24", "overspend", 1, None, 1.0, "lead"),  # lead provider: first 1% of budget (2,790)
    ("IMPACT", "2023/24", "overspend", 2, 10000, None, "partners"),  # partners by share up to a £10,000 cap
    ("IMPACT", "2023/24", "underspend", 1, None, None, "reinvestment"),  # underspend: the reinvestment pot
    ("NORTH", "2023/24", "overspend", 1, None, None, "partners"),
    ("NORTH", "2023/24", "underspend", 1, None, None, "partners"),  # NORTH's agreement shares an underspend
]

FORUMS = [
    {"forum_id": "F0", "collaborative_id": None, "name": "Improved Admissions task and finish group",
     "parent_forum_id": None},
    {"forum_id": "F1", "collaborative_id": "IMPACT", "name": "Provider Collaboration Board",
     "parent_forum_id": None},
    {"forum_id": "F2", "collaborative_id": "IMPACT", "name": "Clinical Reference Group",
     "parent_forum_id": "F1"},
    {"forum_id": "F3", "collaborative_id": "NORTH", "name": "Provider Collaboration Board",
     "parent_forum_id": None},
]

FORUM_KPIS = [
    ("F0", "median_referral_to_admission_days"), ("F0", "prison_transfer_within_28_days_pct"),
    ("F1", "bed_occupancy_pct"), ("F1", "variance_gbp"), ("F1", "out_of_area_pct"),
    ("F2", "restrictive_interventions_per_1000_obd"), ("F2", "prone_restraint_per_1000_obd"),
    ("F3", "bed_occupancy_pct"), ("F3", "women_median_los_days"),
]

THRESHOLDS = [
    # kpi_id, collaborative (None = default), green, amber
    ("bed_occupancy_pct", None, 85.0, 95.0),
    ("bed_occupancy_pct", "IMPACT", 90.0, 95.0),
    ("prone_restraint_per_1000_obd", None, 5.0, 10.0),
    ("staffing_fill_rate_pct", None, 95.0, 90.0),
]

SURVEY = [
    ("WSS2023", "england", "Do you feel safe on your ward?", "Yes", 120, 78),
    ("WSS2023", "england", "Do you feel safe on your ward?", "No", 120, 42),
    ("WSS2023", "east_midlands", "Do you feel safe on your ward?", "Yes", 20, 11),
    ("WSS2023", "east_midlands", "Do you feel safe on your ward?", "No", 20, 9),
]

LOADED_AT = T(2024, 3, 10, 18, 0)
SOURCE = "fixture: hand-built test data"
LOAD_LOG = [
    ("LD1", "bed_state", LOADED_AT, len(BED_STATE), "ok", None),
    ("LD2", "mhsds", LOADED_AT, len(WARD_STAYS), "ok", None),
    ("LD3", "finance", LOADED_AT, len(FINANCE), "ok", None),
]


def build_fixture(engine: sa.Engine) -> None:
    """Insert the hand-built world into `engine` (schema already created, tables empty)."""
    s = schema
    rows = [
        (s.region, REGIONS),
        (s.provider, PROVIDERS),
        (s.collaborative, COLLABORATIVES),
        (s.collaborative_member, MEMBERS),
        (s.unit, UNITS),
        (s.ward, WARDS),
        (s.locality, LOCALITIES),
        (s.locality_collaborative, LOCALITY_COLLABORATIVES),
        # dates used: the finance months and their bed days (Jan-Feb 2024), both periods, spares
        (s.calendar, _calendar_rows(D(2023, 1, 1), D(2024, 12, 31))),
        (s.patient, PATIENTS),
        (s.referral, REFERRALS),
        (s.hospital_spell, SPELLS),
        (s.ward_stay, WARD_STAYS),
        (s.leave_episode, LEAVE),
        (s.bed_state, [
            {"ward_code": w, "reported_at": at, "commissioned_beds": c, "occupied": o, "on_leave": lv,
             "closed": cl, "reported_by": "ward manager"}
            for w, at, c, o, lv, cl in BED_STATE
        ]),
        (s.staffing, [
            {"ward_code": w, "month_start": m, "planned_hours": p, "actual_hours": a, "vacancy_rate_pct": v}
            for w, m, p, a, v in STAFFING
        ]),
        (s.restrictive_intervention, [
            {"intervention_id": i, "ward_code": w, "patient_id": p, "started_at": at, "kind": k, "ended_at": e}
            for i, w, p, at, k, e in RESTRICTIVE
        ]),
        (s.incident, [
            {"incident_id": i, "ward_code": w, "occurred_at": at, "kind": k, "harm": h}
            for i, w, at, k, h in INCIDENTS
        ]),
        (s.finance_ledger, [
            {"collaborative_id": c, "month_start": m, "category": cat, "provider_code": p,
             "budget_gbp": b, "actual_gbp": a, "forecast_gbp": f}
            for c, m, cat, p, b, a, f in FINANCE
        ]),
        (s.risk_share, [
            {"collaborative_id": c, "provider_code": p, "financial_year": fy, "share_pct": pct}
            for c, p, fy, pct in RISK_SHARE
        ]),
        (s.finance_forecast_history, [
            {"collaborative_id": c, "provider_code": p, "category": cat, "return_month": m, "financial_year": fy,
             "forecast_outturn_gbp": v} for c, p, cat, m, fy, v in FORECAST_HISTORY
        ]),
        (s.financial_risk, [dict(zip(
            ["risk_id", "collaborative_id", "financial_year", "description", "value_gbp", "likelihood_pct",
             "mitigation_gbp", "owner", "status", "raised_date", "review_date"], r)) for r in RISKS]),
        (s.financial_reserve, [
            {"collaborative_id": c, "financial_year": fy, "held_gbp": h, "committed_gbp": k} for c, fy, h, k in RESERVES
        ]),
        (s.risk_share_tier, [dict(zip(
            ["collaborative_id", "financial_year", "direction", "tier", "up_to_gbp", "up_to_pct", "carried_by"], r))
            for r in RISK_SHARE_TIERS]),
        (s.governance_forum, FORUMS),
        (s.forum_kpi, [{"forum_id": f, "kpi_id": k} for f, k in FORUM_KPIS]),
        (s.kpi_threshold, [
            {"kpi_id": k, "collaborative_id": c, "green": g, "amber": a} for k, c, g, a in THRESHOLDS
        ]),
        (s.survey_response, [
            {"survey_id": i, "survey_year": 2023, "cohort": c, "question": q, "answer": a, "respondents": r,
             "count": n}
            for i, c, q, a, r, n in SURVEY
        ]),
        (s.load_log, [
            {"load_id": i, "feed": f, "loaded_at": at, "rows": n, "source": SOURCE, "status": st,
             "message": m}
            for i, f, at, n, st, m in LOAD_LOG
        ]),
    ]
    with engine.begin() as conn:
        for table, data in rows:
            if table is s.governance_forum:
                # refers to itself: one statement per row, parents first (as listed)
                for row in data:
                    conn.execute(sa.insert(table), [row])
            else:
                conn.execute(sa.insert(table), data)
        facts.refresh(conn)  # the pre-aggregated facts, as every load path writes them
