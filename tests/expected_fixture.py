"""Hand-worked KPI values for the fixture of tests/fixture_db.py.

Each case: scope, period and {kpi_id: (value, numerator, denominator)}, following
docs/kpi-definitions.md. The working is written above each number; only the
haversine constant was computed with Python (every locality and unit is on the meridian
1.125 deg W, so a distance is R x delta-latitude in radians: 111.194927 km per degree).

Conventions: pct = num/den x 100; rate per 1,000 bed days = num/den x 1000; counts
(count, count, None); medians and means (value, None, n); women_mean_hospitals
(mean, sum of hospitals, n); money (value, value, None); cost_per_obd_gbp (value,
inpatient actual, OBD). ANY = not checked. None = cannot be computed.

Decisions where docs/kpi-definitions.md leaves a choice (see also the notes in the cases):
1. Rates per 1,000 bed days are returned unsuppressed even when bed days < 100: the
   catalogue's "suppressed when bed days < 100" is disclosure control, applied later by
   the one suppression function, not by `kpi_table` (which returns numerator and
   denominator).
2. women_* KPIs: the catalogue makes the women's *distance, hospitals and out-of-area*
   figures follow home patients at region/collaborative level; so women_median_distance_km
   and women_mean_hospitals follow home patients there (female home patients in an
   adult_secure bed anywhere on the as-of date), while women_share_pct,
   women_median_los_days (current_los_days restricted to women) and
   women_detained_over_3y_pct follow the wards under the node. At provider/unit/ward level
   all follow the node's beds; at national level all patients.
3. readmission_12m_pct at collaborative level: the collaborative's home patients (for its
   service line) and their spells discharged in the period from a ward of that service line.
4. A scope with no adult_secure wards (CAMHS) has no women_* figures (None).
5. Money at provider level: out_of_area and reinvestment lines carry no provider_code, so
   out_of_area_spend_pct and reinvestment_gbp are not checked for providers (0 or None are
   both defensible). Closed months = months of the financial year whose ledger rows have an
   actual (here January and February 2024 for every collaborative).
6. A referral count of nothing is 0 (not None); a median over nothing is None.
"""

from datetime import date
from math import pi

ANY = object()

KM_PER_DEGREE = 6371 * pi / 180  # 111.19492664455873 km: haversine along a meridian


def pct(num, den):
    return (num / den * 100, num, den)


def per_1000(num, den):
    return (num / den * 1000, num, den)


def count(n):
    return (n, n, None)


def median(value, n):
    return (value, None, n)


def money(value):
    return (value, value, None)


def km(degrees, n):
    return (degrees * KM_PER_DEGREE, None, n)


NONE = (None, ANY, ANY)

P1 = (date(2024, 3, 1), date(2024, 3, 10))  # as of 2024-03-10 (a Sunday)
P2 = (date(2024, 3, 1), date(2024, 3, 5))  # as of 2024-03-05

# ---------------------------------------------------------------------------------------
# Shared working.
#
# Bed days (OBD) per ward stay in P1 (03-01..03-10) and [P2 (03-01..03-05)]:
#   W1: WS05 10 [5], WS04a 03-01..05 5 [5], WS04b 03-08..10 3 [0], WS03b 03-07..10 4 [0] = 22 [10]
#   W2: WS01c 10 [5], WS07b 03-05..10 6 [1]                                        = 16 [6]
#   W3: WS06 03-01..03 3 [3], WS07a 03-01..04 4 [4]                                = 7 [7]
#   W4: WS11 10 [5], WS12 03-06..08 3 [0]                                          = 13 [5]
#   W5: WS03a 03-01..06 6 [5], WS08 03-02..10 9 [4], WS09 03-01..07 7 [5], WS13 10 [5] = 32 [19]
#   W6: WS10 03-04..10 7 [2]                                                       = 7 [2]
#   W7: WS02 10 [5]                                                                = 10 [5]
#   all = 107 [54]
#
# Available bed days = beds x open days - closed(d) (latest bed_state row of day d):
#   W1 4x10 - 1 (03-03; 03-02's latest row says 0, 03-10's latest says 0) = 39 [4x5 - 1 = 19]
#   W2 3x10 - 1 (03-08) = 29 [15]
#   W3 3x5 (open 03-01..05) - 2 (03-05; the 03-07 row falls after closure) = 13 [13]
#   W4 3x10 = 30 [15]
#   W5 4x10 - 1 (03-08: 19:00 row says 1) = 39 [20]
#   W6 3x7 (open 03-04..10) - 2 (03-09; the 03-10 00:00 row says 0) = 19 [3x2 = 6]
#   W7 2x10 - 2 (03-09) = 18 [10]
#   all = 187 [98]
#
# Leave bed days: LV1 (WS05, W1) 03-02, 03-03 = 2 [2]; LV2 (WS05, W1) 03-09, 03-10 = 2 [0];
#   LV3 (WS09, W5) open from 03-07, but WS09 occupies only up to 03-07: 1 [0]. All 5 [2].
#
# beds_available_now, latest row before end + 1 day, max(commissioned - occupied - closed, 0):
#   by 03-10: W1 4-3-0=1, W2 3-2-1=0, W3 closed (excluded), W4 3-2-0=1, W5 5-2-0=3 (row's own 5),
#             W6 3-1-0=2 (00:00 row), W7 2-1-2<0 -> 0
#   by 03-05: W1 4-2-0=2, W2 3-1-0=2, W3 3-0-2=1, W4 3-1-0=2, W5 4-4-0=0, W6 3-1-0=2, W7 2-1-0=1
#
# Patients in a bed on 03-10 (ward, home, distance in degrees, as_of - admission):
#   P05 W1 L2 0.0 121 | P04 W1 L2 0.0 2 | P03 W1 L1 0.5 3 | P01 W2 L1 0.5 69 | P07 W2 L1 0.5 5
#   P11 W4 L2 0.5 19 | P08 W5 L3 0.25 8 | P13 W5 L3 0.25 283 | P10 W6 L1 1.0 6 | P02 W7 L3 0.25 9400
# On 03-05:
#   P05 W1 0.0 116 | P04 W1 0.0 186 | P01 W2 0.5 64 | P07 W2 0.5 0 | P11 W4 0.5 14
#   P03 W5 (L1 53.0 -> U3 54.75) 1.75 33 | P08 W5 0.25 3 | P09 W5 0.25 785 | P13 W5 0.25 278
#   P10 W6 1.0 1 | P02 W7 0.25 9395
# (9400 = 2024-03-10 - 1998-06-15: 25 years + 6 leap days = 9131 to 2023-06-15, + 269.)
#
# Discharges (LOS days, destination): S06 03-04 (94, step_down, W3), S07a 03-05 (19, other_hospital, W3),
#   S04a 03-06 (187, community, W1), S03a 03-07 (35, other_hospital, W5), S09 03-08 (788, prison, W5),
#   S12 03-09 (3, community, W4).
# Readmission cohorts (docs/kpi-definitions.md: discharges dated start - 365 d .. end - 365 d; 2024 is a leap
#   year, so P1 -> 2023-03-02..2023-03-11 and P2 -> 2023-03-02..2023-03-06), worked by hand:
#   S05h 2023-03-03 (community, W1, P05 home L2 = IMPACT, Y60) readmitted as S05 2023-11-10 (<= 2024-03-02);
#   S15h 2023-03-08 (prison, W5, P15 home L3 = NORTH, Y63) never readmitted;
#   S03h 2023-03-01 (W5, P03 home L1) is in neither: 2023-03-01 + 365 d = 2024-02-29 (the February cohort).
#   P1: S05h, S15h. P2: S05h. The 2024 discharges (S04a readmitted 03-08 ...) wait for their year: in no cohort.
# Admissions: S08 03-02 (W5), S10 03-04 (W6), S07b 03-05 (W2), S12 03-06 (W4), S03b 03-07 (W1),
#   S04b 03-08 (W1).
# Out-of-area bed days: WS03a (P03, IMPACT home, NORTH ward) 6 [5]; WS10 (P10, IMPACT home, NORTH
#   ward) 7 [2]; WS12 (P12, L3 has no camhs collaborative) 3 [0].
# Clinically ready bed days: S05 from 03-06: 5 [0]; S06 from 02-20: 3 [3]; S09 from 03-01: 7 [5].
#
# Referral day counts (received->assessed, assessed->decided, received->admitted), dates 2024:
#   R01 NORTH prison:  a 02-15 (5)  d 02-20 (5)  adm 03-02 W5 (21)
#   R02 IMPACT prison: a 01-25 (10) d 02-01 (7)  adm 03-04 W6 (49)
#   R03 IMPACT routine: a 03-01 (10 within) d 03-04 (3) adm 03-07 W1 (16)
#   R04 IMPACT urgent: recv 03-01 a 03-02 (1 within) d 03-04 (2) adm 03-05 W2 (4)
#   R05 IMPACT urgent: recv 03-07 a 03-07 (0 within) d 03-07 (0) adm 03-08 W1 (1)
#   R06 CAMHS emergency: recv 03-03 a 03-06 (3 over) d 03-06 (0) adm 03-06 W4 (3)
#   R07 NORTH routine: recv 02-01 a 03-05 (33 over) declined 03-08 (3)
#   R08 NORTH urgent: recv 03-02 a 03-09 (7 within), undecided
#   R09 IMPACT: recv 03-03, no assessment, withdrawn 03-06
#   R10 NORTH: recv 03-08 only.   R13 IMPACT: recv 03-09 only.
#   R11 CAMHS emergency: recv 02-28 a 03-01 (2 within) accepted 03-04 (3), not admitted
#   R12 NORTH urgent: recv 02-25 a 03-04 (8 over) accepted 03-09 (5), not admitted
#   R14 NORTH: 2021-22, closed.
# Open as of 03-10: R08, R10, R11, R12, R13. As of 03-05: R03 (admitted 03-07), R06 (decided 03-06),
#   R07 (decided 03-08), R08, R09 (decided 03-06), R11, R12 (decided 03-09).
#
# Finance FY 2023/24 (closed months Jan, Feb; March open), per collaborative:
#   IMPACT budget 95000+92000+92000 = 279000; actual Jan 99000 + Feb 94500 = 193500;
#          outturn 193500 + Mar forecast 96000 = 289500; variance 10500;
#          inpatient actual 95000+92000 = 187000; out_of_area actual 15000+12000 = 27000;
#          reinvestment 2500 (March actual is NULL)
#   NORTH  budget 68000+72500+80000 = 220500; actual 68000+71000 = 139000; outturn +78000 = 217000;
#          variance -3500; inpatient 61000+7000+59000 = 127000; out_of_area 7000; reinvestment 1000
#          (the March 2023 and April 2024 rows are other financial years)
#   CAMHS  budget 81000; actual 24000+800+26000+6000 = 56800; outturn +25500 = 82300; variance 1300;
#          inpatient 24000+26000+6000 = 56000; out_of_area 6000; reinvestment 800
# OBD in the closed months (2024-01-01..2024-02-29, 60 days): W1 60+60 = 120, W2 60, W3 60+15 = 75,
#   W4 10 (from 02-20), W5 29+60+60 = 149, W6 0, W7 60 (WS01b ended 2023-12-31). All 474.
#
# Staffing, March 2024 (planned/actual): W1 1000/900, W2 800/760, W3 600/480, W4 700/700,
#   W5 1200/1260, W6 500/400, W7 400/380 (the February and April rows are outside).
#
# Women (adult_secure wards only), current female inpatients on 03-10:
#   P01 W2 (units U2, U3, U1 = 3 hospitals; continuous since 2019-05-01: 1775 days > 1095)
#   P07 W2 (U2, U1 = 2; continuous since 02-15), P10 W6 (U4 = 1), P02 W7 (U3 = 1; 9400 days).
#   P11 (W4, camhs) never counts.
# ---------------------------------------------------------------------------------------

CASES = [
    {
        "scope_level": "national", "scope_id": None, "start": P1[0], "end": P1[1],
        "expected": {
            # 107 / 187
            "bed_occupancy_pct": pct(107, 187),
            # (107 - 5 leave) / 187
            "bed_occupancy_excl_leave_pct": pct(102, 187),
            # 1 + 0 + 1 + 3 + 2 + 0
            "beds_available_now": count(7),
            "occupied_bed_days": count(107),
            # 6 + 7 + 3 out-of-area bed days of all 107
            "out_of_area_pct": pct(16, 107),
            # on 03-10 only P10 (W6); P12 left 03-09, P03 moved 03-07
            "out_of_area_patients": count(1),
            # degrees 0,0,0.25,0.25,0.25,0.5,0.5,0.5,0.5,1.0 -> (0.25 + 0.5) / 2
            "median_distance_km": km(0.375, 10),
            # 3, 19, 35, 94, 187, 788 -> (35 + 94) / 2
            "median_los_days": median(64.5, 6),
            # 1126 / 6
            "mean_los_days": median(1126 / 6, 6),
            # 2,3,5,6,8,19,69,121,283,9400 -> (8 + 19) / 2
            "current_los_days": median(13.5, 10),
            "admissions": count(6),
            "discharges": count(6),
            # P03: WS03b on W1 (in area) on 03-07 after WS03a on W5 (NORTH)
            "repatriations": count(1),
            # R04, R05, R06, R08, R09, R10, R13
            "referrals_received": count(7),
            # assessed in period: R03 10, R04 1, R05 0, R06 3, R07 33, R08 7, R11 2, R12 8
            # -> 0,1,2,3,7,8,10,33 -> (3 + 7) / 2
            "median_referral_to_assessment_days": median(5.0, 8),
            # decided in period with an assessment (R09 has none): R03 3, R04 2, R05 0, R06 0, R07 3,
            # R11 3, R12 5 -> 0,0,2,3,3,3,5
            "median_assessment_to_decision_days": median(3.0, 7),
            # admitted: R01 21, R02 49, R03 16, R04 4, R05 1, R06 3 -> 1,3,4,16,21,49 -> (4 + 16) / 2
            "median_referral_to_admission_days": median(10.0, 6),
            # within: R03, R04, R05, R08 (7 = target), R11 (2 = target); over: R06, R07, R12
            "assessment_within_target_pct": pct(5, 8),
            # R01 21 days (within), R02 49 days
            "prison_transfer_within_28_days_pct": pct(1, 2),
            # R08, R10, R11, R12, R13
            "open_referrals": count(5),
            # 5 + 3 + 7 ready-for-discharge bed days
            "delayed_discharge_days_pct": pct(15, 107),
            # cohort 2023-03-02..11: S05h (readmitted), S15h (not)
            "readmission_12m_pct": pct(1, 2),
            # RI1, RI2, RI3, RI4, RI5 (23:59:59 on 03-10), RI8 (00:00 on 03-01); not RI6, RI7
            "restrictive_interventions_per_1000_obd": per_1000(6, 107),
            # RI1, RI4
            "prone_restraint_per_1000_obd": per_1000(2, 107),
            # I1..I5 (not I6, 02-28)
            "incidents_per_1000_obd": per_1000(5, 107),
            # 4880 / 5200
            "staffing_fill_rate_pct": pct(4880, 5200),
            # 279000 + 220500 + 81000
            "budget_gbp": money(580500),
            # 193500 + 139000 + 56800
            "actual_gbp": money(389300),
            # 289500 + 217000 + 82300
            "forecast_outturn_gbp": money(588800),
            # 588800 - 580500
            "variance_gbp": money(8300),
            # (187000 + 127000 + 56000) / 474
            "cost_per_obd_gbp": (370000 / 474, 370000, 474),
            # (27000 + 7000 + 6000) / 370000
            "out_of_area_spend_pct": pct(40000, 370000),
            # 2500 + 1000 + 800
            "reinvestment_gbp": money(4300),
            # adult_secure beds on 03-10: P05 P04 P03 P01 P07 P08 P13 P10 P02; women P01 P07 P10 P02
            "women_share_pct": pct(4, 9),
            # 5, 6, 69, 9400 -> (6 + 69) / 2
            "women_median_los_days": median(37.5, 4),
            # 0.25, 0.5, 0.5, 1.0 degrees
            "women_median_distance_km": km(0.5, 4),
            # (3 + 2 + 1 + 1) / 4
            "women_mean_hospitals": (1.75, 7, 4),
            # P01 (1775 days continuous), P02 (9400)
            "women_detained_over_3y_pct": pct(2, 4),
        },
    },
    {
        "scope_level": "national", "scope_id": None, "start": P2[0], "end": P2[1],
        "expected": {
            # 54 / 98
            "bed_occupancy_pct": pct(54, 98),
            # (54 - 2) / 98
            "bed_occupancy_excl_leave_pct": pct(52, 98),
            # 2 + 2 + 1 + 2 + 0 + 2 + 1 (W3 still open on 03-05)
            "beds_available_now": count(10),
            "occupied_bed_days": count(54),
            # WS03a 5 + WS10 2
            "out_of_area_pct": pct(7, 54),
            # P03 (W5 until 03-07), P10
            "out_of_area_patients": count(2),
            # 0,0,0.25,0.25,0.25,0.25,0.5,0.5,0.5,1.0,1.75 -> 6th of 11
            "median_distance_km": km(0.25, 11),
            # S06 94, S07a 19
            "median_los_days": median(56.5, 2),
            "mean_los_days": median(56.5, 2),
            # 0,1,3,14,33,64,116,186,278,785,9395 -> 6th of 11
            "current_los_days": median(64.0, 11),
            # S08, S10, S07b
            "admissions": count(3),
            "discharges": count(2),
            # P03 moves on 03-07, after this period
            "repatriations": count(0),
            # R04, R06, R08, R09
            "referrals_received": count(4),
            # R03 10, R04 1, R07 33, R11 2, R12 8 -> 1,2,8,10,33
            "median_referral_to_assessment_days": median(8.0, 5),
            # R03 3, R04 2, R11 3
            "median_assessment_to_decision_days": median(3.0, 3),
            # R01 21, R02 49, R04 4
            "median_referral_to_admission_days": median(21.0, 3),
            # R03, R04, R11 within; R07, R12 over
            "assessment_within_target_pct": pct(3, 5),
            "prison_transfer_within_28_days_pct": pct(1, 2),
            # R03, R06, R07, R08, R09, R11, R12
            "open_referrals": count(7),
            # S06 3 + S09 5 (S05 ready only from 03-06)
            "delayed_discharge_days_pct": pct(8, 54),
            # cohort 2023-03-02..06: S05h (readmitted)
            "readmission_12m_pct": pct(1, 1),
            # RI1, RI2, RI8
            "restrictive_interventions_per_1000_obd": per_1000(3, 54),
            "prone_restraint_per_1000_obd": per_1000(1, 54),
            # I1, I2
            "incidents_per_1000_obd": per_1000(2, 54),
            "staffing_fill_rate_pct": pct(4880, 5200),
            # same financial year as P1
            "budget_gbp": money(580500),
            "forecast_outturn_gbp": money(588800),
            "cost_per_obd_gbp": (370000 / 474, 370000, 474),
            # adult_secure beds on 03-05: P05 P04 P01 P07 P03 P08 P09 P13 P10 P02
            "women_share_pct": pct(4, 10),
            # 0 (P07 S07b), 1 (P10), 64 (P01), 9395 (P02)
            "women_median_los_days": median(32.5, 4),
            "women_median_distance_km": km(0.5, 4),
            # P07's W2 stay starts 03-05, on or before the as-of date: still 2 units
            "women_mean_hospitals": (1.75, 7, 4),
            "women_detained_over_3y_pct": pct(2, 4),
        },
    },
    {
        # Y60 = IMPACT + CAMHS: wards W1-W4; home patients from L1, L2.
        "scope_level": "region", "scope_id": "Y60", "start": P1[0], "end": P1[1],
        "expected": {
            # 22 + 16 + 7 + 13 over 39 + 29 + 13 + 30
            "bed_occupancy_pct": pct(58, 111),
            # minus LV1, LV2 (4)
            "bed_occupancy_excl_leave_pct": pct(54, 111),
            # W1 1 + W2 0 + W4 1
            "beds_available_now": count(2),
            "occupied_bed_days": count(58),
            # home bed days: P01 10, P03 6+4, P04 5+3, P05 10, P06 3, P07 4+6, P10 7, P11 10 = 68;
            # out: WS03a 6 + WS10 7
            "out_of_area_pct": pct(13, 68),
            "out_of_area_patients": count(1),
            # home patients in bed 03-10: P05 0, P04 0, P03 .5, P01 .5, P07 .5, P11 .5, P10 1.0
            "median_distance_km": km(0.5, 7),
            # discharges from W1-W4: S12 3, S07a 19, S06 94, S04a 187
            "median_los_days": median(56.5, 4),
            # 303 / 4
            "mean_los_days": median(75.75, 4),
            # W1-W4 on 03-10: 2, 3, 5, 19, 69, 121 -> (5 + 19) / 2
            "current_los_days": median(12.0, 6),
            # S07b, S12, S03b, S04b
            "admissions": count(4),
            "discharges": count(4),
            "repatriations": count(1),
            # R04, R05, R09, R13 (IMPACT) + R06 (CAMHS)
            "referrals_received": count(5),
            # R03 10, R04 1, R05 0, R06 3, R11 2 -> 0,1,2,3,10
            "median_referral_to_assessment_days": median(2.0, 5),
            # R03 3, R04 2, R05 0, R06 0, R11 3 -> 0,0,2,3,3
            "median_assessment_to_decision_days": median(2.0, 5),
            # R02 49, R03 16, R04 4, R05 1, R06 3 -> 1,3,4,16,49
            "median_referral_to_admission_days": median(4.0, 5),
            # over: R06 only
            "assessment_within_target_pct": pct(4, 5),
            # R02 only, 49 days
            "prison_transfer_within_28_days_pct": pct(0, 1),
            # R11, R13
            "open_referrals": count(2),
            # S05 5 + S06 3
            "delayed_discharge_days_pct": pct(8, 58),
            # home patients in the cohort: S05h (P05, L2; readmitted); S15h is a L3 patient
            "readmission_12m_pct": pct(1, 1),
            # RI4, RI5
            "restrictive_interventions_per_1000_obd": per_1000(2, 58),
            "prone_restraint_per_1000_obd": per_1000(1, 58),
            # I1, I2, I5
            "incidents_per_1000_obd": per_1000(3, 58),
            # (900+760+480+700) / (1000+800+600+700)
            "staffing_fill_rate_pct": pct(2840, 3100),
            "budget_gbp": money(360000),
            "actual_gbp": money(250300),
            "forecast_outturn_gbp": money(371800),
            "variance_gbp": money(11800),
            # (187000 + 56000) / (120 + 60 + 75 + 10)
            "cost_per_obd_gbp": (243000 / 265, 243000, 265),
            # (27000 + 6000) / 243000
            "out_of_area_spend_pct": pct(33000, 243000),
            "reinvestment_gbp": money(3300),
            # adult_secure wards W1-W3 on 03-10: P05 P04 P03 P01 P07
            "women_share_pct": pct(2, 5),
            # wards: P01 69, P07 5
            "women_median_los_days": median(37.0, 2),
            # home women (decision 2): P01 .5, P07 .5, P10 1.0
            "women_median_distance_km": km(0.5, 3),
            # home women: P01 3, P07 2, P10 1
            "women_mean_hospitals": (2.0, 6, 3),
            # wards: P01 yes, P07 no
            "women_detained_over_3y_pct": pct(1, 2),
        },
    },
    {
        # Y63 = NORTH's wards W5-W7; home patients from L3 incl. P12 (camhs, no home collaborative).
        "scope_level": "region", "scope_id": "Y63", "start": P1[0], "end": P1[1],
        "expected": {
            "bed_occupancy_pct": pct(49, 76),
            "occupied_bed_days": count(49),
            # home bed days: P02 10, P08 9, P09 7, P12 3, P13 10 = 39; out: P12's 3 on W4
            "out_of_area_pct": pct(3, 39),
            "out_of_area_patients": count(0),
            # P08, P13, P02 all 0.25 degrees
            "median_distance_km": km(0.25, 3),
            "repatriations": count(0),
            # home patients in the cohort: S15h (P15, L3; not readmitted)
            "readmission_12m_pct": pct(0, 1),
            "referrals_received": count(2),
            "open_referrals": count(3),
            "budget_gbp": money(220500),
            "variance_gbp": money(-3500),
            "women_share_pct": pct(2, 4),
            "women_median_distance_km": km(0.25, 1),
            "women_mean_hospitals": (1.0, 1, 1),
        },
    },
    {
        "scope_level": "collaborative", "scope_id": "IMPACT", "start": P1[0], "end": P1[1],
        "expected": {
            # W1-W3: 22 + 16 + 7 over 39 + 29 + 13
            "bed_occupancy_pct": pct(45, 81),
            "bed_occupancy_excl_leave_pct": pct(41, 81),
            # W1 1 + W2 0 (W3 closed)
            "beds_available_now": count(1),
            "occupied_bed_days": count(45),
            # home (L1/L2) bed days on adult_secure wards: 68 - P11's 10 = 58; out: 6 + 7
            "out_of_area_pct": pct(13, 58),
            "out_of_area_patients": count(1),
            # P05 0, P04 0, P03 .5, P01 .5, P07 .5, P10 1.0
            "median_distance_km": km(0.5, 6),
            # S07a 19, S06 94, S04a 187
            "median_los_days": median(94.0, 3),
            "mean_los_days": median(100.0, 3),
            # 2, 3, 5, 69, 121
            "current_los_days": median(5.0, 5),
            # S07b, S03b, S04b
            "admissions": count(3),
            "discharges": count(3),
            "repatriations": count(1),
            # R04, R05, R09, R13
            "referrals_received": count(4),
            # R03 10, R04 1, R05 0
            "median_referral_to_assessment_days": median(1.0, 3),
            # R03 3, R04 2, R05 0 (R09 withdrawn unassessed)
            "median_assessment_to_decision_days": median(2.0, 3),
            # R02 49 (admitted to NORTH's W6 but IMPACT's referral), R03 16, R04 4, R05 1
            "median_referral_to_admission_days": median(10.0, 4),
            "assessment_within_target_pct": pct(3, 3),
            "prison_transfer_within_28_days_pct": pct(0, 1),
            # R13
            "open_referrals": count(1),
            "delayed_discharge_days_pct": pct(8, 45),
            # cohort: S05h (P05 home IMPACT, W1; readmitted)
            "readmission_12m_pct": pct(1, 1),
            "restrictive_interventions_per_1000_obd": per_1000(2, 45),
            "prone_restraint_per_1000_obd": per_1000(1, 45),
            # I1, I2
            "incidents_per_1000_obd": per_1000(2, 45),
            "staffing_fill_rate_pct": pct(2140, 2400),
            "budget_gbp": money(279000),
            "actual_gbp": money(193500),
            "forecast_outturn_gbp": money(289500),
            "variance_gbp": money(10500),
            # 187000 / (120 + 60 + 75)
            "cost_per_obd_gbp": (187000 / 255, 187000, 255),
            "out_of_area_spend_pct": pct(27000, 187000),
            "reinvestment_gbp": money(2500),
            "women_share_pct": pct(2, 5),
            "women_median_los_days": median(37.0, 2),
            "women_median_distance_km": km(0.5, 3),
            "women_mean_hospitals": (2.0, 6, 3),
            "women_detained_over_3y_pct": pct(1, 2),
        },
    },
    {
        "scope_level": "collaborative", "scope_id": "IMPACT", "start": P2[0], "end": P2[1],
        "expected": {
            # 10 + 6 + 7 over 19 + 15 + 13
            "bed_occupancy_pct": pct(23, 47),
            "bed_occupancy_excl_leave_pct": pct(21, 47),
            # W1 2 + W2 2 + W3 1
            "beds_available_now": count(5),
            "occupied_bed_days": count(23),
            # home: P01 5, P03 5 (out), P04 5, P05 5, P06 3, P07 4+1, P10 2 (out) = 30
            "out_of_area_pct": pct(7, 30),
            # P03 on W5, P10 on W6
            "out_of_area_patients": count(2),
            # P05 0, P04 0, P01 .5, P07 .5, P10 1.0, P03 1.75 -> (0.5 + 0.5) / 2
            "median_distance_km": km(0.5, 6),
            # S06 94, S07a 19
            "median_los_days": median(56.5, 2),
            "mean_los_days": median(56.5, 2),
            # W1-W3 on 03-05: P07 0, P01 64, P05 116, P04 186 -> (64 + 116) / 2
            "current_los_days": median(90.0, 4),
            # S07b
            "admissions": count(1),
            "discharges": count(2),
            "repatriations": count(0),
            # R04, R09
            "referrals_received": count(2),
            # R03 10, R04 1
            "median_referral_to_assessment_days": median(5.5, 2),
            # R03 3, R04 2
            "median_assessment_to_decision_days": median(2.5, 2),
            # R02 49, R04 4
            "median_referral_to_admission_days": median(26.5, 2),
            "assessment_within_target_pct": pct(2, 2),
            "prison_transfer_within_28_days_pct": pct(0, 1),
            # R03 (admitted 03-07), R09 (withdrawn 03-06)
            "open_referrals": count(2),
            # S06 3
            "delayed_discharge_days_pct": pct(3, 23),
            # cohort 2023-03-02..06: S05h (P05 home IMPACT; readmitted)
            "readmission_12m_pct": pct(1, 1),
            # RI4 is 03-06, RI5 03-10: none in period
            "restrictive_interventions_per_1000_obd": per_1000(0, 23),
            "prone_restraint_per_1000_obd": per_1000(0, 23),
            "incidents_per_1000_obd": per_1000(2, 23),
            "staffing_fill_rate_pct": pct(2140, 2400),
            "variance_gbp": money(10500),
            # wards W1-W3 on 03-05: P05 P04 P01 P07
            "women_share_pct": pct(2, 4),
            # P07 0, P01 64
            "women_median_los_days": median(32.0, 2),
            "women_median_distance_km": km(0.5, 3),
            "women_mean_hospitals": (2.0, 6, 3),
            "women_detained_over_3y_pct": pct(1, 2),
        },
    },
    {
        "scope_level": "collaborative", "scope_id": "NORTH", "start": P1[0], "end": P1[1],
        "expected": {
            # W5-W7: 32 + 7 + 10 over 39 + 19 + 18
            "bed_occupancy_pct": pct(49, 76),
            # minus LV3's 1 day
            "bed_occupancy_excl_leave_pct": pct(48, 76),
            # W5 3 + W6 2 + W7 0
            "beds_available_now": count(5),
            "occupied_bed_days": count(49),
            # home (L3) on adult_secure wards: P02 10, P08 9, P09 7, P13 10 (P12 is camhs)
            "out_of_area_pct": pct(0, 36),
            "out_of_area_patients": count(0),
            "median_distance_km": km(0.25, 3),
            # S03a 35, S09 788
            "median_los_days": median(411.5, 2),
            "mean_los_days": median(411.5, 2),
            # W5-W7 on 03-10: P10 6, P08 8, P13 283, P02 9400 -> (8 + 283) / 2
            "current_los_days": median(145.5, 4),
            # S08, S10
            "admissions": count(2),
            "discharges": count(2),
            "repatriations": count(0),
            # R08, R10
            "referrals_received": count(2),
            # R07 33, R08 7, R12 8
            "median_referral_to_assessment_days": median(8.0, 3),
            # R07 3, R12 5
            "median_assessment_to_decision_days": median(4.0, 2),
            # R01 21
            "median_referral_to_admission_days": median(21.0, 1),
            # R08 within; R07, R12 over
            "assessment_within_target_pct": pct(1, 3),
            "prison_transfer_within_28_days_pct": pct(1, 1),
            # R08, R10, R12
            "open_referrals": count(3),
            # S09 7
            "delayed_discharge_days_pct": pct(7, 49),
            # cohort: S15h (P15 home NORTH, W5; prison, not readmitted)
            "readmission_12m_pct": pct(0, 1),
            # RI1, RI2, RI3, RI8
            "restrictive_interventions_per_1000_obd": per_1000(4, 49),
            "prone_restraint_per_1000_obd": per_1000(1, 49),
            # I3, I4
            "incidents_per_1000_obd": per_1000(2, 49),
            "staffing_fill_rate_pct": pct(2040, 2100),
            "budget_gbp": money(220500),
            "actual_gbp": money(139000),
            "forecast_outturn_gbp": money(217000),
            "variance_gbp": money(-3500),
            # 127000 / (149 + 0 + 60)
            "cost_per_obd_gbp": (127000 / 209, 127000, 209),
            "out_of_area_spend_pct": pct(7000, 127000),
            "reinvestment_gbp": money(1000),
            # W5-W7 on 03-10: P08 P13 P10 P02
            "women_share_pct": pct(2, 4),
            # P10 6, P02 9400
            "women_median_los_days": median(4703.0, 2),
            # home women in a bed: P02 only (P16 has no spell)
            "women_median_distance_km": km(0.25, 1),
            "women_mean_hospitals": (1.0, 1, 1),
            # wards: P02 yes, P10 no
            "women_detained_over_3y_pct": pct(1, 2),
        },
    },
    {
        "scope_level": "collaborative", "scope_id": "CAMHS", "start": P1[0], "end": P1[1],
        "expected": {
            # W4: 13 / 30
            "bed_occupancy_pct": pct(13, 30),
            "bed_occupancy_excl_leave_pct": pct(13, 30),
            "beds_available_now": count(1),
            "occupied_bed_days": count(13),
            # home (L1/L2) on camhs wards: P11 10 days, in area; P12 is not a CAMHS home patient
            "out_of_area_pct": pct(0, 10),
            "out_of_area_patients": count(0),
            # P11: L2 52.5 -> U2 52.0
            "median_distance_km": km(0.5, 1),
            # S12 3
            "median_los_days": median(3.0, 1),
            "mean_los_days": median(3.0, 1),
            # P11 19
            "current_los_days": median(19.0, 1),
            "admissions": count(1),
            "discharges": count(1),
            "repatriations": count(0),
            # R06
            "referrals_received": count(1),
            # R06 3, R11 2
            "median_referral_to_assessment_days": median(2.5, 2),
            # R06 0, R11 3
            "median_assessment_to_decision_days": median(1.5, 2),
            # R06 3
            "median_referral_to_admission_days": median(3.0, 1),
            # R11 within (2 = emergency target), R06 over
            "assessment_within_target_pct": pct(1, 2),
            # no prison referrals
            "prison_transfer_within_28_days_pct": NONE,
            # R11 accepted, awaiting admission
            "open_referrals": count(1),
            "delayed_discharge_days_pct": pct(0, 13),
            # no home patient discharged (S12 is a L3 patient)
            "readmission_12m_pct": NONE,
            # RI7 is on 02-29
            "restrictive_interventions_per_1000_obd": per_1000(0, 13),
            "prone_restraint_per_1000_obd": per_1000(0, 13),
            # I5
            "incidents_per_1000_obd": per_1000(1, 13),
            "staffing_fill_rate_pct": pct(700, 700),
            "budget_gbp": money(81000),
            "actual_gbp": money(56800),
            "forecast_outturn_gbp": money(82300),
            "variance_gbp": money(1300),
            # 56000 / 10 (W4 from 02-20)
            "cost_per_obd_gbp": (5600.0, 56000, 10),
            "out_of_area_spend_pct": pct(6000, 56000),
            "reinvestment_gbp": money(800),
            # no adult_secure wards (decision 4)
            "women_share_pct": NONE,
            "women_median_los_days": NONE,
            "women_median_distance_km": NONE,
            "women_mean_hospitals": NONE,
            "women_detained_over_3y_pct": NONE,
        },
    },
    {
        # RHA: unit U1, wards W1, W2.
        "scope_level": "provider", "scope_id": "RHA", "start": P1[0], "end": P1[1],
        "expected": {
            "bed_occupancy_pct": pct(38, 68),
            "bed_occupancy_excl_leave_pct": pct(34, 68),
            "beds_available_now": count(1),
            "occupied_bed_days": count(38),
            # bed days in its wards, all in area
            "out_of_area_pct": pct(0, 38),
            "out_of_area_patients": count(0),
            # P05 0, P04 0, P03 .5, P01 .5, P07 .5
            "median_distance_km": km(0.5, 5),
            # S04a 187
            "median_los_days": median(187.0, 1),
            "mean_los_days": median(187.0, 1),
            "current_los_days": median(5.0, 5),
            "admissions": count(3),
            "discharges": count(1),
            # P03's new stay is on W1
            "repatriations": count(1),
            # admitted to W1/W2: R03, R04, R05; received in period R04, R05
            "referrals_received": count(2),
            "median_referral_to_assessment_days": median(1.0, 3),
            "median_assessment_to_decision_days": median(2.0, 3),
            # R03 16, R04 4, R05 1
            "median_referral_to_admission_days": median(4.0, 3),
            "assessment_within_target_pct": pct(3, 3),
            "prison_transfer_within_28_days_pct": NONE,
            "open_referrals": count(0),
            "delayed_discharge_days_pct": pct(5, 38),
            # cohort: S05h (W1; readmitted)
            "readmission_12m_pct": pct(1, 1),
            "restrictive_interventions_per_1000_obd": per_1000(2, 38),
            "prone_restraint_per_1000_obd": per_1000(1, 38),
            "incidents_per_1000_obd": per_1000(1, 38),
            "staffing_fill_rate_pct": pct(1660, 1800),
            # IMPACT nhs_inpatient lines of RHA (not April 2024)
            "budget_gbp": money(150000),
            "actual_gbp": money(103000),
            "forecast_outturn_gbp": money(156000),
            "variance_gbp": money(6000),
            # 103000 / (120 + 60)
            "cost_per_obd_gbp": (103000 / 180, 103000, 180),
            "women_share_pct": pct(2, 5),
            "women_median_los_days": median(37.0, 2),
            # in its beds: P01, P07
            "women_median_distance_km": km(0.5, 2),
            "women_mean_hospitals": (2.5, 5, 2),
            "women_detained_over_3y_pct": pct(1, 2),
        },
    },
    {
        # NPR: the ward W6 opened on 03-04; its only closed-month line is 'other' (February).
        "scope_level": "provider", "scope_id": "NPR", "start": P1[0], "end": P1[1],
        "expected": {
            "bed_occupancy_pct": pct(7, 19),
            "beds_available_now": count(2),
            "occupied_bed_days": count(7),
            # P10 is an IMPACT patient in NORTH's ward
            "out_of_area_pct": pct(7, 7),
            "out_of_area_patients": count(1),
            # P10: L1 53.0 -> U4 54.0
            "median_distance_km": km(1.0, 1),
            "admissions": count(1),
            "discharges": count(0),
            "median_los_days": NONE,
            # R02 admitted to W6 (received in January, assessed in January)
            "referrals_received": count(0),
            "median_referral_to_assessment_days": NONE,
            "median_referral_to_admission_days": median(49.0, 1),
            "prison_transfer_within_28_days_pct": pct(0, 1),
            "incidents_per_1000_obd": per_1000(1, 7),
            "staffing_fill_rate_pct": pct(400, 500),
            # February other 5000 + March independent_inpatient 20000
            "budget_gbp": money(25000),
            "actual_gbp": money(4500),
            # 4500 + 18000
            "forecast_outturn_gbp": money(22500),
            "variance_gbp": money(-2500),
            # no bed days in the closed months
            "cost_per_obd_gbp": NONE,
            "women_share_pct": pct(1, 1),
            "women_median_los_days": median(6.0, 1),
            "women_median_distance_km": km(1.0, 1),
            "women_mean_hospitals": (1.0, 1, 1),
            "women_detained_over_3y_pct": pct(0, 1),
        },
    },
    {
        # U3 (RX4): wards W5, W7.
        "scope_level": "unit", "scope_id": "U3", "start": P1[0], "end": P1[1],
        "expected": {
            # 32 + 10 over 39 + 18
            "bed_occupancy_pct": pct(42, 57),
            "bed_occupancy_excl_leave_pct": pct(41, 57),
            # W5 3 + W7 0
            "beds_available_now": count(3),
            "occupied_bed_days": count(42),
            # P03's 6 days on W5
            "out_of_area_pct": pct(6, 42),
            "out_of_area_patients": count(0),
            # P08, P13, P02
            "median_distance_km": km(0.25, 3),
            "median_los_days": median(411.5, 2),
            "mean_los_days": median(411.5, 2),
            # 8, 283, 9400
            "current_los_days": median(283.0, 3),
            "admissions": count(1),
            "discharges": count(2),
            "repatriations": count(0),
            # admitted to W5/W7: R01, R14 (R12 has no ward)
            "referrals_received": count(0),
            "median_referral_to_assessment_days": NONE,
            "median_assessment_to_decision_days": NONE,
            "median_referral_to_admission_days": median(21.0, 1),
            "assessment_within_target_pct": NONE,
            "prison_transfer_within_28_days_pct": pct(1, 1),
            "open_referrals": count(0),
            "delayed_discharge_days_pct": pct(7, 42),
            # cohort: S15h (W5, U3; not readmitted)
            "readmission_12m_pct": pct(0, 1),
            "restrictive_interventions_per_1000_obd": per_1000(4, 42),
            "prone_restraint_per_1000_obd": per_1000(1, 42),
            "incidents_per_1000_obd": per_1000(1, 42),
            # (1260 + 380) / (1200 + 400)
            "staffing_fill_rate_pct": pct(1640, 1600),
            # no finance below provider
            "budget_gbp": NONE,
            "actual_gbp": NONE,
            "forecast_outturn_gbp": NONE,
            "variance_gbp": NONE,
            "cost_per_obd_gbp": NONE,
            "out_of_area_spend_pct": NONE,
            "reinvestment_gbp": NONE,
            # P08, P13, P02
            "women_share_pct": pct(1, 3),
            "women_median_los_days": median(9400.0, 1),
            "women_median_distance_km": km(0.25, 1),
            "women_mean_hospitals": (1.0, 1, 1),
            "women_detained_over_3y_pct": pct(1, 1),
        },
    },
    {
        "scope_level": "ward", "scope_id": "W1", "start": P1[0], "end": P1[1],
        "expected": {
            "bed_occupancy_pct": pct(22, 39),
            "bed_occupancy_excl_leave_pct": pct(18, 39),
            "beds_available_now": count(1),
            "occupied_bed_days": count(22),
            "out_of_area_pct": pct(0, 22),
            "out_of_area_patients": count(0),
            # P05 0, P04 0, P03 0.5
            "median_distance_km": km(0.0, 3),
            "median_los_days": median(187.0, 1),
            "mean_los_days": median(187.0, 1),
            # 2, 3, 121
            "current_los_days": median(3.0, 3),
            "admissions": count(2),
            "discharges": count(1),
            "repatriations": count(1),
            # admitted to W1: R03, R05
            "referrals_received": count(1),
            "median_referral_to_assessment_days": median(5.0, 2),
            "median_assessment_to_decision_days": median(1.5, 2),
            "median_referral_to_admission_days": median(8.5, 2),
            "assessment_within_target_pct": pct(2, 2),
            "prison_transfer_within_28_days_pct": NONE,
            "open_referrals": count(0),
            "delayed_discharge_days_pct": pct(5, 22),
            "readmission_12m_pct": pct(1, 1),
            # RI4
            "restrictive_interventions_per_1000_obd": per_1000(1, 22),
            "prone_restraint_per_1000_obd": per_1000(1, 22),
            # I1
            "incidents_per_1000_obd": per_1000(1, 22),
            "staffing_fill_rate_pct": pct(900, 1000),
            "budget_gbp": NONE,
            "variance_gbp": NONE,
            "cost_per_obd_gbp": NONE,
            # a men's ward: 0 of 3
            "women_share_pct": pct(0, 3),
            "women_median_los_days": NONE,
            "women_median_distance_km": NONE,
            "women_mean_hospitals": NONE,
            "women_detained_over_3y_pct": NONE,
        },
    },
    {
        # W3 closes on 03-06: in P2 it is still open on the as-of date.
        "scope_level": "ward", "scope_id": "W3", "start": P2[0], "end": P2[1],
        "expected": {
            # WS06 3 + WS07a 4 over 3 x 5 - 2
            "bed_occupancy_pct": pct(7, 13),
            "bed_occupancy_excl_leave_pct": pct(7, 13),
            # 03-05 18:00 row: 3 - 0 - 2
            "beds_available_now": count(1),
            "occupied_bed_days": count(7),
            "out_of_area_pct": pct(0, 7),
            # nobody on W3 on 03-05
            "out_of_area_patients": count(0),
            "median_distance_km": NONE,
            "current_los_days": NONE,
            # S06 94, S07a 19
            "median_los_days": median(56.5, 2),
            "admissions": count(0),
            "discharges": count(2),
            "delayed_discharge_days_pct": pct(3, 7),
            # cohort 2023-03-02..06: no discharge from W3
            "readmission_12m_pct": NONE,
            "restrictive_interventions_per_1000_obd": per_1000(0, 7),
            # I2
            "incidents_per_1000_obd": per_1000(1, 7),
            "staffing_fill_rate_pct": pct(480, 600),
            "referrals_received": count(0),
            "open_referrals": count(0),
            "women_share_pct": NONE,
            "women_detained_over_3y_pct": NONE,
        },
    },
]


# ---------------------------------------------------------------------------------------
# Second-round money KPIs (docs/finance.md), FY 2023/24 as of P1's end (10 March 2024). Closed months: Jan and
# Feb 2024 (every scope); open months: the year's ledger months without an actual (March). Returns kept: IMPACT
# Jan (281000) and Feb (289500), NORTH Feb only (217000); IMPACT's March return is after 10 March (not counted).
# Open risks raised by 10 March (2023/24): FR1 20000 x 50% = 10000, mitigation 4000; FR2 10000 x 25% = 2500;
# FR5 (NORTH) 12000 x 50% = 6000, mitigation 1000. FR3 is closed, FR4 raised 20 March, FR6 another year.
# Reserves 2023/24: IMPACT held 15000 committed 6000; NORTH held 5000 committed 5000.

def _case_of(level, code, period):
    return next(c for c in CASES if (c["scope_level"], c["scope_id"], c["start"], c["end"]) == (level, code, *period))


_case_of("national", None, P1)["expected"].update({
    # budget of Jan + Feb: IMPACT 95000 + 92000, NORTH 68000 + 72500, CAMHS 26000 + 30000
    "budget_to_date_gbp": money(383500),
    # spend to date 389300 - 383500
    "variance_to_date_gbp": (5800, 389300, 383500),
    # actual Jan 99000 + 68000 + 24800 = 191800, Feb 94500 + 71000 + 32000 = 197500; 389300 + 194650 x 1 open
    "run_rate_outturn_gbp": money(389300 + 194650),
    # IMPACT 289500 - 281000; NORTH has one return
    "forecast_movement_gbp": money(8500),
    # 588800 + 10000 + 2500 + 6000 - 4000 - 1000
    "risk_adjusted_outturn_gbp": money(602300),
    # (15000 + 5000) - (6000 + 5000)
    "reserves_gbp": (9000, 20000, 11000),
    # independent_inpatient actual: IMPACT 28000 + 29000, CAMHS 24000 + 26000; inpatient actual 370000
    "independent_sector_spend_pct": pct(107000, 370000),
})

_case_of("collaborative", "IMPACT", P1)["expected"].update({
    # Jan 50000 + 30000 + 10000 + 5000, Feb 50000 + 30000 + 10000 + 2000
    "budget_to_date_gbp": money(187000),
    # 193500 - 187000
    "variance_to_date_gbp": (6500, 193500, 187000),
    # 193500 + (99000 + 94500) / 2 x 1 open month
    "run_rate_outturn_gbp": money(290250),
    "forecast_movement_gbp": money(289500 - 281000),
    # 289500 + 10000 + 2500 - 4000
    "risk_adjusted_outturn_gbp": money(298000),
    "reserves_gbp": (9000, 15000, 6000),
    # 57000 / (103000 + 57000 + 27000)
    "independent_sector_spend_pct": pct(57000, 187000),
})

_case_of("collaborative", "NORTH", P1)["expected"].update({
    # Jan 60000 + 8000, Feb 60000 + 6000 + 1500 + 5000
    "budget_to_date_gbp": money(140500),
    "variance_to_date_gbp": (-1500, 139000, 140500),
    # 139000 + (68000 + 71000) / 2 x 1
    "run_rate_outturn_gbp": money(208500),
    # one return kept: no movement yet
    "forecast_movement_gbp": NONE,
    # 217000 + 6000 - 1000
    "risk_adjusted_outturn_gbp": money(222000),
    "reserves_gbp": (0, 5000, 5000),
    # NPR's line has no actual yet: 0 of 61000 + 7000 + 59000
    "independent_sector_spend_pct": pct(0, 127000),
})

_case_of("provider", "RHA", P1)["expected"].update({
    "budget_to_date_gbp": money(100000),
    "variance_to_date_gbp": (3000, 103000, 100000),
    # 103000 + (52000 + 51000) / 2 x 1
    "run_rate_outturn_gbp": money(154500),
    # RHA's lines of IMPACT's returns: 156000 - 150000
    "forecast_movement_gbp": money(6000),
    # risks and reserves are the collaborative's, not a provider's
    "risk_adjusted_outturn_gbp": NONE,
    "reserves_gbp": NONE,
    "independent_sector_spend_pct": pct(0, 103000),
})

_case_of("ward", "W1", P1)["expected"].update({k: NONE for k in (
    "budget_to_date_gbp", "variance_to_date_gbp", "run_rate_outturn_gbp", "forecast_movement_gbp",
    "risk_adjusted_outturn_gbp", "reserves_gbp", "independent_sector_spend_pct")})

# ---------------------------------------------------------------------------------------
# Second round (kpi-catalogue-2.md): restrictive practice and safety, merged into the cases above.
#
# Episodes (tests/fixture_db.py RESTRICTIVE; ended None = still going on), with the wards' collaboratives
# (W1 W2 W3 IMPACT, W4 CAMHS, W5 W6 W7 NORTH):
#   RI1 W5 P08 prone 03-03 14:00-14:10        RI2 W5 P08 seclusion 03-03 14:30, open
#   RI3 W5 P13 rapid tranq. 03-08 09:00       RI4 W1 P05 prone 03-06 22:00-22:05
#   RI5 W2 P01 other 03-10 23:59:59-03-11     RI6 W2 P01 seclusion 03-11 00:00-06:00 (after both periods)
#   RI7 W4 P11 segregation 02-29 23:00, open  RI8 W7 P02 mechanical 03-01 00:00-00:20
#   RI9 W5 P13 segregation 2023-12-04, open   RI10 W1 P05 segregation 2023-12-20 12:00 - 2024-03-07 12:00
# Started in P1: RI1 RI2 RI3 RI4 RI5 RI8 (the first-round counts are unchanged); in P2: RI1 RI2 RI8.
# Seclusion hours inside the period: RI2 open, so up to the period's end: P1 03-03 14:30 -> 03-11 00:00 =
#   9.5 + 7 x 24 = 177.5 h; P2 -> 03-06 00:00 = 9.5 + 48 = 57.5 h. RI6 starts after both.
# Segregation open at the end of the as-of date (days so far = as-of - start date):
#   03-10: RI7 (03-10 - 02-29 = 10), RI9 (27 + 31 + 29 + 10 = 97); RI10 ended 03-07 -> not open.
#   03-05: RI7 5, RI9 92, RI10 (11 + 31 + 29 + 5 = 76).
# People subject (an episode started before the period ends and not ended before it starts) over people with
#   an occupied bed day under the node in the period:
#   P1: RI1 RI2 P08, RI3 RI9 P13, RI4 RI10 P05, RI5 P01, RI7 P11, RI8 P02 = 6 of P01..P13 = 13.
#   P2: P08 (RI1 RI2), P11 (RI7), P02 (RI8), P13 (RI9), P05 (RI10) = 5 of 12 (P12 admitted 03-06).
# Incidents: moderate harm or worse I2 (W3, 03-04); self-harm I2 (W3, 03-04), I5 (W4, 03-10).

RESTRICTIVE = {
    ("national", None, P1): {
        "seclusion_per_1000_obd": per_1000(1, 107),  # RI2
        "seclusion_hours_per_1000_obd": per_1000(177.5, 107),
        "segregation_people": count(2),  # P11, P13
        "segregation_median_days": median(53.5, 2),  # (10 + 97) / 2
        "rapid_tranquillisation_per_1000_obd": per_1000(1, 107),  # RI3
        "mechanical_restraint_per_1000_obd": per_1000(1, 107),  # RI8
        "people_restricted_pct": pct(6, 13),
        "harm_incidents_per_1000_obd": per_1000(1, 107),  # I2
        "self_harm_per_1000_obd": per_1000(2, 107),  # I2, I5
    },
    ("national", None, P2): {
        "seclusion_per_1000_obd": per_1000(1, 54),
        "seclusion_hours_per_1000_obd": per_1000(57.5, 54),
        "segregation_people": count(3),  # P11, P13, P05
        "segregation_median_days": median(76.0, 3),  # 5, 76, 92
        "rapid_tranquillisation_per_1000_obd": per_1000(0, 54),  # RI3 is 03-08
        "mechanical_restraint_per_1000_obd": per_1000(1, 54),
        "people_restricted_pct": pct(5, 12),
        "harm_incidents_per_1000_obd": per_1000(1, 54),
        "self_harm_per_1000_obd": per_1000(1, 54),  # I5 is 03-10
    },
    # IMPACT W1 W2 W3: no seclusion started (RI6 is 03-11); RI10 ended 03-07; people P05 (RI4, RI10), P01 (RI5)
    # of P01 P03 P04 P05 (W1, W2) P06 P07 (W2, W3) = 6
    ("collaborative", "IMPACT", P1): {
        "seclusion_per_1000_obd": per_1000(0, 45),
        "seclusion_hours_per_1000_obd": per_1000(0, 45),
        "segregation_people": count(0),
        "segregation_median_days": (None, None, 0),
        "rapid_tranquillisation_per_1000_obd": per_1000(0, 45),
        "mechanical_restraint_per_1000_obd": per_1000(0, 45),
        "people_restricted_pct": pct(2, 6),
        "harm_incidents_per_1000_obd": per_1000(1, 45),  # I2 on W3
        "self_harm_per_1000_obd": per_1000(1, 45),
    },
    # As of 03-05: RI10 (W1) still open, 76 days; people P05 (RI10) of P01 P04 P05 P06 P07 = 5; OBD W1 10 W2 6 W3 7
    ("collaborative", "IMPACT", P2): {
        "segregation_people": count(1),
        "segregation_median_days": median(76.0, 1),
        "people_restricted_pct": pct(1, 5),
        "seclusion_hours_per_1000_obd": per_1000(0, 23),
        "self_harm_per_1000_obd": per_1000(1, 23),
    },
    # NORTH W5 W6 W7: RI2 (177.5 h), RI3, RI8; RI9 open 97 days; people P08 P13 P02 of P03 P08 P09 P13 P10 P02
    ("collaborative", "NORTH", P1): {
        "seclusion_per_1000_obd": per_1000(1, 49),
        "seclusion_hours_per_1000_obd": per_1000(177.5, 49),
        "segregation_people": count(1),
        "segregation_median_days": median(97.0, 1),
        "rapid_tranquillisation_per_1000_obd": per_1000(1, 49),
        "mechanical_restraint_per_1000_obd": per_1000(1, 49),
        "people_restricted_pct": pct(3, 6),
        "harm_incidents_per_1000_obd": per_1000(0, 49),  # I3, I4: no or low harm
        "self_harm_per_1000_obd": per_1000(0, 49),
    },
    # CAMHS W4: RI7 open 10 days (P11); people P11 of P11 P12; I5 self-harm, low harm
    ("collaborative", "CAMHS", P1): {
        "segregation_people": count(1),
        "segregation_median_days": median(10.0, 1),
        "people_restricted_pct": pct(1, 2),
        "harm_incidents_per_1000_obd": per_1000(0, 13),
        "self_harm_per_1000_obd": per_1000(1, 13),
    },
    # W1: RI4, RI10 (P05) of P03 P04 P05; I1 low harm
    ("ward", "W1", P1): {
        "segregation_people": count(0),
        "segregation_median_days": (None, None, 0),
        "people_restricted_pct": pct(1, 3),
        "harm_incidents_per_1000_obd": per_1000(0, 22),
    },
    # W3 in P2: no episodes (P06, P07 in bed); I2 moderate self-harm
    ("ward", "W3", P2): {
        "people_restricted_pct": pct(0, 2),
        "harm_incidents_per_1000_obd": per_1000(1, 7),
        "self_harm_per_1000_obd": per_1000(1, 7),
    },
}
for _case in CASES:
    _case["expected"].update(RESTRICTIVE.get((_case["scope_level"], _case["scope_id"], (_case["start"], _case["end"])),
                                             {}))
