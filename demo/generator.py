"""Deterministic synthetic demonstration data for every table of the reporting schema.

    python -m demo --scale region|national --url URL [--seed 42] [--end-date YYYY-MM-DD]

`build_demo(engine, ...)` creates the schema and fills every table (except audit_log)
with synthetic, pseudonymised data calibrated against published figures (see
docs/calibration.md). The same seed and end date always give identical rows.

How it works: a discrete-event simulation of bed "slots" (one per commissioned bed)
over the history. At the history start every ward is filled to its target occupancy
with patients admitted long before (length-biased, with their earlier hospitals).
When a ward stay ends the patient is discharged, stepped down (medium to low, within
the provider where possible), moved to another provider, or repatriated from an
out-of-area bed to a bed of their home collaborative; a vacated bed is filled after a
turnaround gap by a new admission through a referral. Everything else (referrals that
were declined, withdrawn or are still open, leave, bed states, restrictive
interventions, incidents, staffing, money) is derived from the simulated stays with
vectorised numpy, so bed states always equal the midnight census of ward stays.
"""

from __future__ import annotations

import argparse
import heapq
import math
import sys
import time
from bisect import bisect_right
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd
import sqlalchemy as sa

from data_access import facts, schema
from data_access.bulk import analyze, insert_frame, tidy
from demo.reference import Reference, national_service, reference

A, C, E, P = "adult_secure", "camhs", "adult_eating_disorders", "perinatal"
SCALES = {"region": 6, "national": 10}  # financial years of history
IMPACT = "IMPACT"
# Adult secure collaboratives that took IMPACT's out-of-area patients before repatriation.
IMPACT_OUTFLOW = ("WMAS", "YHAS")
SOURCE_TEMPLATE = "demo: synthetic demonstration data (seed {seed}, scale {scale})"

DEST_SECURE = (
    ["community", "step_down", "prison", "other", "died", "other_hospital"],
    [0.42, 0.33, 0.10, 0.09, 0.02, 0.04],
)
DEST_OTHER = (["community", "step_down", "other", "other_hospital"], [0.82, 0.06, 0.08, 0.04])
SOURCES = {
    A: (
        ["prison", "court", "police", "community", "acute_hospital", "other_secure", "other"],
        [0.44, 0.15, 0.03, 0.12, 0.14, 0.08, 0.04],
    ),
    C: (
        ["community", "acute_hospital", "police", "court", "other_secure", "other"],
        [0.46, 0.34, 0.05, 0.02, 0.04, 0.09],
    ),
    E: (["community", "acute_hospital", "other"], [0.60, 0.34, 0.06]),
    P: (["community", "acute_hospital", "other"], [0.55, 0.40, 0.05]),
}
URGENCY = {A: [0.05, 0.35, 0.60], C: [0.30, 0.45, 0.25], E: [0.10, 0.40, 0.50], P: [0.30, 0.50, 0.20]}
URGENCIES = ["emergency", "urgent", "routine"]
ETHNIC = ["white", "black", "asian", "mixed", "other", "not_stated"]
ETHNIC_P = {A: [0.70, 0.14, 0.07, 0.05, 0.02, 0.02], "other": [0.80, 0.05, 0.07, 0.05, 0.01, 0.02]}
# Restrictive episode durations in minutes: (median, lognormal sigma, shortest, longest).
EPISODE_MINUTES = {
    "other_restraint": (8, 0.7, 1, 60),
    "prone_restraint": (3, 0.6, 1, 20),
    "mechanical_restraint": (25, 0.8, 5, 240),
    "rapid_tranquillisation": (0, 0.0, 0, 0),
    "seclusion": (16 * 60, 1.0, 60, 14 * 24 * 60),
    "segregation": (40 * 24 * 60, 0.8, 14 * 24 * 60, 365 * 24 * 60),
}
REPORTERS = np.array(
    ["bed manager", "ward manager", "nurse in charge", "site coordinator", "clinical bed manager"],
    dtype=object,
)


# --------------------------------------------------------------------------- helpers


class Draw:
    """Fast scalar random draws from a numpy Generator (buffered; deterministic)."""

    def __init__(self, rng: np.random.Generator):
        self.rng = rng
        self._u, self._ui = [], 0
        self._n, self._ni = [], 0

    def u(self) -> float:
        if self._ui >= len(self._u):
            self._u, self._ui = self.rng.random(1 << 16).tolist(), 0
        self._ui += 1
        return self._u[self._ui - 1]

    def n(self) -> float:
        if self._ni >= len(self._n):
            self._n, self._ni = self.rng.standard_normal(1 << 16).tolist(), 0
        self._ni += 1
        return self._n[self._ni - 1]

    def lognorm(self, median: float, sigma: float) -> float:
        return median * math.exp(sigma * self.n())

    def expo(self, mean: float) -> float:
        return -mean * math.log(1.0 - self.u())

    def pick(self, cum: list) -> int:
        return min(bisect_right(cum, self.u() * cum[-1]), len(cum) - 1)

    def int(self, n: int) -> int:
        return min(int(self.u() * n), n - 1)

    def poisson(self, lam: float) -> int:
        limit, k, prod = math.exp(-lam), 0, self.u()
        while prod > limit:
            k += 1
            prod *= self.u()
        return k


def _cum(weights) -> list:
    return list(np.cumsum(np.asarray(weights, dtype=float)))


def _fy_start(d: date) -> date:
    return date(d.year if d.month >= 4 else d.year - 1, 4, 1)


def _fy_label(d: date) -> str:
    s = _fy_start(d).year
    return f"{s}/{(s + 1) % 100:02d}"


def _haversine(lat1, lon1, lat2, lon2):
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dphi, dlmb = p2 - p1, np.radians(lon2) - np.radians(lon1)
    a = np.sin(dphi / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlmb / 2) ** 2
    return 2 * 6371.0 * np.arcsin(np.sqrt(a))


def _profile(sl: str, level: str, gender: str, spec: str) -> dict:
    """Length of stay (ward stay median days, sigma), leave, quality, price, staffing."""
    if sl == A:
        if spec == "wems":
            p = dict(med=800, sig=0.8, leave=0.6, ri=38, inc=45, price=880, hpb=11.0)
        elif spec == "ld_asd":
            p = dict(med=850, sig=1.0, leave=1.2, ri=32, inc=42, price=640, hpb=8.5)
        elif level == "medium":
            p = dict(
                med=600 if gender == "male" else 760,
                sig=0.8 if gender == "male" else 0.95,
                leave=0.7,
                ri=22 if gender == "male" else 30,
                inc=34,
                price=710,
                hpb=7.5,
            )
        else:
            p = dict(
                med=540 if gender == "male" else 740,
                sig=0.95 if gender == "male" else 1.05,
                leave=2.6,
                ri=12 if gender == "male" else 22,
                inc=26,
                price=560,
                hpb=6.2,
            )
        if gender == "female" and spec == "pd":
            p["ri"] *= 1.4
        p["sl_f"] = 0.0
    elif sl == C:
        if level == "picu":
            p = dict(med=28, sig=0.6, leave=0.2, ri=110, inc=95, price=1150, hpb=15.0)
        elif level == "low":
            p = dict(med=160, sig=0.6, leave=0.5, ri=55, inc=70, price=980, hpb=11.0)
        elif spec == "eating_disorder":
            p = dict(med=100, sig=0.5, leave=2.0, ri=24, inc=40, price=890, hpb=9.0)
        else:
            p = dict(med=68, sig=0.6, leave=2.5, ri=36, inc=62, price=830, hpb=9.0)
    elif sl == E:
        p = dict(med=88, sig=0.5, leave=2.0, ri=6, inc=16, price=610, hpb=6.5)
    else:
        p = dict(med=45, sig=0.5, leave=1.0, ri=0.8, inc=6, price=950, hpb=9.0)
    return p


# --------------------------------------------------------------------------- simulation


class Simulation:
    """The discrete-event simulation of beds, stays, spells, patients and referrals."""

    def __init__(self, ref: Reference, rng: np.random.Generator, start: date, end_day: int):
        self.d = Draw(rng)
        self.rng = rng
        self.start = start
        self.end_day = end_day
        self.ref = ref
        self._index_reference()
        # patients
        self.pt_sex, self.pt_birth, self.pt_eth, self.pt_home = [], [], [], []
        self.pt_ld, self.pt_care, self.pt_has_history = [], [], []
        # spells
        self.sp_patient, self.sp_provider, self.sp_adm, self.sp_dis = [], [], [], []
        self.sp_dest, self.sp_ref, self.sp_rfd, self.sp_wsbs = [], [], [], []
        # ward stays
        self.st_spell, self.st_ward, self.st_slot, self.st_start, self.st_end = [], [], [], [], []
        self.st_intent, self.st_tries, self.st_nat = [], [], []
        # referrals of admissions
        self.rf = {
            k: []
            for k in (
                "patient",
                "collab",
                "sl",
                "level",
                "source",
                "urgency",
                "received",
                "assessment",
                "decision",
                "decision_date",
                "admission",
                "ward",
                "disputed",
            )
        }
        self.heap = []
        self.seq = 0
        self.pool = {}  # readmission pools: (sl, sex, collab) -> heap of (eligible, seq, patient)

    # ----- reference indexes
    def _index_reference(self) -> None:
        ref = self.ref
        self.collab_ids = [c[0] for c in ref.collaboratives]
        self.collab_ix = {c: i for i, c in enumerate(self.collab_ids)}
        self.collab_sl = [c[3] for c in ref.collaboratives]
        self.prov_ids = [p[0] for p in ref.providers]
        self.prov_ix = {p: i for i, p in enumerate(self.prov_ids)}
        self.prov_sector = [p[2] for p in ref.providers]
        units = {u[0]: u for u in ref.units}
        self.loc_ids = [lo[0] for lo in ref.localities]
        self.loc_ix = {c: i for i, c in enumerate(self.loc_ids)}
        loc_lat = np.array([lo[3] for lo in ref.localities])
        loc_lon = np.array([lo[4] for lo in ref.localities])
        loc_pop = np.array([lo[5] for lo in ref.localities], dtype=float)
        self.home = {}  # (loc idx, sl) -> collab idx
        for loc, sl, coll in ref.locality_collaborative:
            self.home[(self.loc_ix[loc], sl)] = self.collab_ix[coll]
        w = ref.wards
        self.nw = len(w)
        self.w_code = [x[0] for x in w]
        self.w_unit = [x[1] for x in w]
        self.w_collab = [self.collab_ix[x[3]] for x in w]
        self.w_sl = [x[4] for x in w]
        self.w_level = [x[5] for x in w]
        self.w_gender = [x[6] for x in w]
        self.w_spec = [x[7] for x in w]
        self.w_beds = [x[8] for x in w]
        self.w_opened = [(x[9] - self.start).days for x in w]
        self.w_prov = [self.prov_ix[units[x[1]][2]] for x in w]
        self.w_lat = np.array([units[x[1]][4] for x in w])
        self.w_lon = np.array([units[x[1]][5] for x in w])
        self.w_prof = [_profile(x[4], x[5], x[6], x[7]) for x in w]
        self.w_wsbs = [x[1] in ref.wsbs_units and x[6] == "female" for x in w]
        # home localities of each collaborative (by population) and foreign ones per ward (near first)
        self.c_locs = {}
        for ci in range(len(self.collab_ids)):
            locs = [li for li in range(len(self.loc_ids)) if self.home.get((li, self.collab_sl[ci])) == ci]
            self.c_locs[ci] = (locs, _cum(loc_pop[locs]) if locs else [])
        self.w_foreign = []
        for wi in range(self.nw):
            ci, sl = self.w_collab[wi], self.w_sl[wi]
            locs = [li for li in range(len(self.loc_ids)) if self.home.get((li, sl)) != ci]
            dist = _haversine(self.w_lat[wi], self.w_lon[wi], loc_lat[locs], loc_lon[locs])
            self.w_foreign.append((locs, _cum(loc_pop[locs] * np.exp(-dist / 120.0))))
        impact = self.collab_ix.get(IMPACT)
        self.impact = impact
        self.outflow = {self.collab_ix[c] for c in IMPACT_OUTFLOW if c in self.collab_ix}
        # candidate ward lists by (collab, sl)
        self.by_collab = {}
        for wi in range(self.nw):
            self.by_collab.setdefault(self.w_collab[wi], []).append(wi)
        self.by_prov = {}
        for wi in range(self.nw):
            self.by_prov.setdefault(self.w_prov[wi], []).append(wi)
        self.by_sl = {}
        for wi in range(self.nw):
            self.by_sl.setdefault(self.w_sl[wi], []).append(wi)
        self.free = [[] for _ in range(self.nw)]
        self.slot_ver = [[0] * self.w_beds[wi] for wi in range(self.nw)]
        self.slot_stay = [[-1] * self.w_beds[wi] for wi in range(self.nw)]
        occ = np.clip(self.rng.normal(0.86, 0.025, self.nw), 0.80, 0.92)
        self.w_occ = occ.tolist()
        self.w_gap = []
        for wi in range(self.nw):
            prof = self.w_prof[wi]
            mean_stay = prof["med"] * math.exp(prof["sig"] ** 2 / 2) * 0.8
            self.w_gap.append(max(2.0, mean_stay * (1 - occ[wi]) / occ[wi]))

    # ----- small rules
    def frac(self, t: float) -> float:
        return min(max(t / max(self.end_day, 1), 0.0), 1.0)

    def home_collab(self, p: int, sl: str) -> int:
        return self.home.get((self.pt_home[p], sl), -1)

    def compatible(self, wi: int, sex: str) -> bool:
        g = self.w_gender[wi]
        return g == "mixed" or g == sex

    def push(self, t: int, kind: int, a: int, b: int = 0, c: int = 0) -> None:
        self.seq += 1
        heapq.heappush(self.heap, (t, self.seq, kind, a, b, c))

    # ----- entities
    def new_patient(self, sl: str, sex: str, home: int, t: int, wi: int) -> int:
        d = self.d
        year = (self.start + timedelta(days=int(t))).year
        if sl == A:
            age = min(max(d.lognorm(33, 0.28), 19), 78)
        elif sl == C:
            age = 13 + d.int(5)
        elif sl == E:
            age = min(max(d.lognorm(26, 0.3), 18), 70)
        else:
            age = min(max(d.lognorm(30, 0.15), 19), 44)
        self.pt_sex.append(sex)
        self.pt_birth.append(int(year - age))
        eth = ETHNIC_P[A] if sl == A else ETHNIC_P["other"]
        self.pt_eth.append(ETHNIC[d.pick(_cum(eth))])
        self.pt_home.append(home)
        spec = self.w_spec[wi] if wi >= 0 else ""
        ld = d.u() < (0.95 if spec == "ld_asd" else {A: 0.05, C: 0.15, E: 0.08}.get(sl, 0.02))
        self.pt_ld.append(ld)
        pc = 0.30 if sex == "female" and sl == A else (0.25 if sl == C else 0.15)
        self.pt_care.append(None if d.u() < 0.08 else d.u() < pc)
        self.pt_has_history.append(False)
        return len(self.pt_sex) - 1

    def choose_home(self, wi: int, t: float) -> int:
        d = self.d
        ci, sl = self.w_collab[wi], self.w_sl[wi]
        f = self.frac(t)
        if sl == A and ci in self.outflow and self.impact is not None:
            if d.u() < 0.33 * (1 - f) ** 1.3 + 0.115:
                locs, cum = self.c_locs[self.impact]
                return locs[d.pick(cum)]
        foreign = {A: 0.05, C: 0.06, E: 0.08}.get(sl, 0.05)
        locs, cum = self.c_locs[ci]
        if not locs or d.u() < foreign:
            flocs, fcum = self.w_foreign[wi]
            if flocs:
                return flocs[d.pick(fcum)]
        return locs[d.pick(cum)]

    def new_spell(self, p: int, wi: int, t: int, ref_id) -> int:
        self.sp_patient.append(p)
        self.sp_provider.append(self.w_prov[wi])
        self.sp_adm.append(t)
        self.sp_dis.append(None)
        self.sp_dest.append(None)
        self.sp_ref.append(ref_id)
        self.sp_rfd.append(None)
        wsbs = self.w_wsbs[wi] and (self.start + timedelta(days=int(max(t, 0)))).year >= 2020
        self.sp_wsbs.append(wsbs and self.d.u() < 0.7)
        return len(self.sp_patient) - 1

    def new_stay(self, spell: int, wi: int, slot: int, t: int, length: float | None = None) -> int:
        d = self.d
        p = self.sp_patient[spell]
        sex = self.pt_sex[p]
        prof = self.w_prof[wi]
        sl, level = self.w_sl[wi], self.w_level[wi]
        nat = length if length is not None else d.lognorm(prof["med"], prof["sig"])
        r = d.u()
        female = sex == "female"
        if sl == A:
            if level == "medium":
                move = 0.20 if female else 0.10
                intent = "stepdown" if r < 0.45 else ("move" if r < 0.45 + move else "discharge")
            else:
                intent = "move" if r < (0.20 if female else 0.08) else "discharge"
        elif sl == C:
            intent = "stepdown" if level == "picu" and r < 0.5 else ("move" if r < 0.04 else "discharge")
        else:
            intent = "discharge"
        length_now = nat
        hc = self.home_collab(p, sl)
        if hc >= 0 and hc != self.w_collab[wi]:
            f = self.frac(t)
            if sl == A:
                mean = (520 - 200 * f) if hc == self.impact else 520
            else:
                mean = 45
            tr = d.expo(mean) + max(0, -t)  # census stays: counted from the history start
            if tr < nat:
                length_now, intent = tr, "repatriate"
        end = max(t + max(1, int(round(length_now))), 1)
        self.st_spell.append(spell)
        self.st_ward.append(wi)
        self.st_slot.append(slot)
        self.st_start.append(t)
        self.st_end.append(end)
        self.st_intent.append(intent)
        self.st_tries.append(0)
        self.st_nat.append(t + max(1, int(round(nat))))
        i = len(self.st_spell) - 1
        self.slot_stay[wi][slot] = i
        if intent == "discharge" and sl in (A, E, C):
            share = {A: 0.55, C: 0.35, E: 0.30}[sl]
            if d.u() < share:
                delay = d.lognorm({A: 110, C: 14, E: 16}[sl], 0.8)
                rfd = end - int(delay)
                if rfd > t + 7:
                    self.sp_rfd[spell] = rfd
        self.push(end, 0, i)
        return i

    def take_slot(self, wi: int) -> int:
        slot = self.free[wi].pop(0)
        self.slot_ver[wi][slot] += 1
        return slot

    def release_slot(self, wi: int, slot: int, t: int) -> None:
        self.slot_ver[wi][slot] += 1
        self.slot_stay[wi][slot] = -1
        self.free[wi].append(slot)
        gap = 1 + self.d.expo(self.w_gap[wi] - 1)
        self.push(t + max(1, int(round(gap))), 1, wi, slot, self.slot_ver[wi][slot])

    def add_referral(
        self, p, ci, sl, level, source, urgency, received, assessment, decision_date, admission, wi
    ) -> int:
        rf = self.rf
        rf["patient"].append(p)
        rf["collab"].append(ci)
        rf["sl"].append(sl)
        rf["level"].append(level)
        rf["source"].append(source)
        rf["urgency"].append(urgency)
        rf["received"].append(received)
        rf["assessment"].append(assessment)
        rf["decision"].append("accepted")
        rf["decision_date"].append(decision_date)
        rf["admission"].append(admission)
        rf["ward"].append(wi)
        rf["disputed"].append(self.d.u() < 0.03)
        return len(rf["patient"]) - 1

    def referral_waits(self, sl: str, source: str, urgency: str, t: float) -> tuple[int, int, int]:
        """(referral->assessment, assessment->decision, decision->admission) days."""
        d = self.d
        f = self.frac(t)
        improve = 1 - 0.3 * f
        r2a = {
            "emergency": d.lognorm(1.4, 0.6),
            "urgent": d.lognorm(4.5, 0.6),
            "routine": d.lognorm(10, 0.55),
        }[urgency] * improve
        a2d = d.lognorm(3 if urgency != "routine" else 5, 0.6)
        if sl == A and source == "prison":
            mu = 4.25 - 0.65 * f
            sigma = 0.78 - 0.08 * f
            total = min(math.exp(mu + sigma * d.n()), 462 - 120 * f)
            d2a = max(0.0, total - r2a - a2d)
            if total < r2a + a2d:
                scale = total / (r2a + a2d)
                r2a, a2d = r2a * scale, a2d * scale
        else:
            d2a = d.lognorm({A: 16, C: 3, E: 14, P: 4}[sl], 0.9) * (0.3 if urgency == "emergency" else 1)
        return int(round(r2a)), int(round(a2d)), int(round(d2a))

    def admission_referral(self, p: int, wi: int, t: int, transfer: bool) -> int:
        d = self.d
        sl = self.w_sl[wi]
        hc = self.home_collab(p, sl)
        ci = hc if hc >= 0 else self.w_collab[wi]
        if transfer:
            source, urgency = "other_secure", "routine"
            r2a, a2d, d2a = int(d.lognorm(9, 0.5)), int(d.lognorm(4, 0.5)), int(d.lognorm(12, 0.7))
        else:
            names, probs = SOURCES[sl]
            source = names[d.pick(_cum(probs))]
            urgency = URGENCIES[d.pick(_cum(URGENCY[sl]))]
            if source == "prison":
                urgency = "urgent" if d.u() < 0.7 else "routine"
            r2a, a2d, d2a = self.referral_waits(sl, source, urgency, t)
        decision = t - d2a
        assessment = decision - a2d
        received = assessment - r2a
        return self.add_referral(
            p, ci, sl, self.w_level[wi], source, urgency, received, assessment, decision, t, wi
        )

    def prior_history(self, p: int, sl: str, end: int, wi_now: int) -> None:
        """Earlier spells (before the history start) in other hospitals, ending at `end`."""
        d = self.d
        if sl != A or self.pt_has_history[p]:
            return
        self.pt_has_history[p] = True
        sex = self.pt_sex[p]
        k = d.poisson(2.6 if sex == "female" else 0.6)
        t = end
        prov_next = self.w_prov[wi_now]
        cands = [wi for wi in self.by_sl[A] if self.compatible(wi, sex)]
        for j in range(k):
            length = max(30, int(d.lognorm(520, 0.8)))
            s = t - length
            if (self.start + timedelta(days=int(s))).year - self.pt_birth[p] < 18:
                break
            options = [wi for wi in cands if self.w_prov[wi] != prov_next and self.w_opened[wi] <= s]
            if not options:
                break
            wi = options[d.int(len(options))]
            sp = self.new_spell(p, wi, s, None)
            self.sp_wsbs[sp] = False
            self.sp_dis[sp] = t
            dests = ["other_hospital"] if (j == 0 and end == t) else ["other_hospital", "community", "prison"]
            self.sp_dest[sp] = dests[d.int(len(dests))] if j else "other_hospital"
            self._plain_stay(sp, wi, s, t)
            prov_next = self.w_prov[wi]
            t = s
            if d.u() < 0.3:  # a gap in the community before that
                t -= int(d.lognorm(300, 0.8))

    def _plain_stay(self, sp: int, wi: int, s: int, e: int) -> None:
        self.st_spell.append(sp)
        self.st_ward.append(wi)
        self.st_slot.append(-1)
        self.st_start.append(s)
        self.st_end.append(e)
        self.st_intent.append("history")
        self.st_tries.append(0)
        self.st_nat.append(e)

    # ----- initial census
    def census(self) -> None:
        d = self.d
        for wi in range(self.nw):
            sl, prof = self.w_sl[wi], self.w_prof[wi]
            for slot in range(self.w_beds[wi]):
                if d.u() >= self.w_occ[wi]:
                    self.free[wi].append(slot)
                    self.push(1 + d.int(int(self.w_gap[wi]) + 1), 1, wi, slot, 0)
                    continue
                sex = self.ward_sex(wi)
                home = self.choose_home(wi, 0)
                # elapsed time of the spell (length-biased) and residual of this ward stay
                if sl == A:
                    med = prof["med"] * (1.4 if sex == "female" else 1.5)
                    sig = 1.15 if sex == "female" else 0.85
                else:
                    med, sig = prof["med"] * 1.2, prof["sig"]
                elapsed = d.u() * d.lognorm(med * math.exp(sig * sig), sig)
                elapsed = min(elapsed, (40 if sex == "female" else 30) * 365.25 * (0.8 + 0.2 * d.u()))
                residual = d.u() * d.lognorm(prof["med"] * math.exp(prof["sig"] ** 2), prof["sig"])
                adm = -max(1, int(elapsed))
                p = self.new_patient(sl, sex, home, adm, wi)
                sp = self.new_spell(p, wi, adm, None)
                stay_start = max(adm, self.w_opened[wi])
                if sl == A and elapsed > 500 and d.u() < 0.4:
                    stay_start = max(stay_start, adm + int(elapsed * (0.2 + 0.5 * d.u())))
                if stay_start > adm:  # an earlier ward of the same provider in this spell
                    others = [
                        w2
                        for w2 in self.by_prov[self.w_prov[wi]]
                        if w2 != wi
                        and self.w_sl[w2] == sl
                        and self.compatible(w2, sex)
                        and self.w_opened[w2] <= adm
                    ]
                    if others:
                        self._plain_stay(sp, others[d.int(len(others))], adm, stay_start)
                    else:
                        adm = self.sp_adm[sp] = stay_start
                self.prior_history(p, sl, adm, wi)
                end = max(1, int(round(residual)))
                self.new_stay(sp, wi, slot, stay_start, length=end - stay_start)

    def ward_sex(self, wi: int) -> str:
        g = self.w_gender[wi]
        if g != "mixed":
            return g
        pf = {C: 0.65, E: 0.90, P: 1.0}.get(self.w_sl[wi], 0.5)
        return "female" if self.d.u() < pf else "male"

    # ----- events
    def run(self, progress=None) -> None:
        self.census()
        last = -1
        while self.heap:
            t, _, kind, a, b, c = heapq.heappop(self.heap)
            if t > self.end_day:
                break
            if progress and t // 60 != last:
                last = t // 60
                progress(t / self.end_day)
            if kind == 0:
                if self.st_end[a] == t and self.st_intent[a] != "closed":
                    self.end_stay(a, t)
            elif self.slot_ver[a][b] == c:
                self.admit(a, b, t)

    def admit(self, wi: int, slot: int, t: int) -> None:
        d = self.d
        self.free[wi].remove(slot)
        self.slot_ver[wi][slot] += 1
        sl = self.w_sl[wi]
        sex = self.ward_sex(wi)
        key = (sl, sex, self.w_collab[wi])
        pool = self.pool.get(key)
        p = -1
        if pool and pool[0][0] <= t and d.u() < 0.7:
            p = heapq.heappop(pool)[2]
        if p < 0:
            p = self.new_patient(sl, sex, self.choose_home(wi, t), t, wi)
            if sl == A:
                self.prior_history(p, sl, min(t - int(d.lognorm(400, 1.0)), -1 - d.int(700)), wi)
        ref_id = self.admission_referral(p, wi, t, transfer=False)
        sp = self.new_spell(p, wi, t, ref_id)
        self.new_stay(sp, wi, slot, t)

    def targets(self, i: int, intent: str) -> list:
        wi = self.st_ward[i]
        sp = self.st_spell[i]
        p = self.sp_patient[sp]
        sex = self.pt_sex[p]
        sl, level, spec = self.w_sl[wi], self.w_level[wi], self.w_spec[wi]
        hc = self.home_collab(p, sl)
        home = hc if hc >= 0 else self.w_collab[wi]

        def spec_ok(w2):
            s2 = self.w_spec[w2]
            if sl == A:
                return (s2 == "ld_asd") == (spec == "ld_asd") and s2 not in ("abi", "deaf")
            if sl == C:
                return s2 == spec or (spec == "general" and s2 == "general")
            return True

        if intent == "stepdown":
            if sl == A:
                same = [
                    w2
                    for w2 in self.by_prov[self.w_prov[wi]]
                    if self.w_sl[w2] == A
                    and self.w_level[w2] == "low"
                    and self.compatible(w2, sex)
                    and spec_ok(w2)
                ]
                other = [
                    w2
                    for w2 in self.by_collab[home]
                    if self.w_level[w2] == "low"
                    and self.compatible(w2, sex)
                    and spec_ok(w2)
                    and w2 not in same
                ]
                return same + other
            return [
                w2
                for w2 in self.by_collab[self.w_collab[wi]]
                if self.w_level[w2] == "general" and self.w_spec[w2] == "general" and self.compatible(w2, sex)
            ]
        levels = {"medium": ("medium", "low"), "low": ("low",)}.get(level, (level,))
        if intent == "repatriate":
            return [
                w2
                for w2 in self.by_collab[home]
                if self.w_level[w2] in levels and self.compatible(w2, sex) and spec_ok(w2)
            ]
        return [
            w2
            for w2 in self.by_collab[home]
            if self.w_level[w2] in levels
            and w2 != wi
            and self.w_prov[w2] != self.w_prov[wi]
            and self.compatible(w2, sex)
            and spec_ok(w2)
        ]

    def end_stay(self, i: int, t: int) -> None:
        d = self.d
        intent = self.st_intent[i]
        if intent != "discharge":
            cands = self.targets(i, intent)
            n = len(cands)
            if n:
                off = d.int(n)
                if intent == "stepdown":  # same provider first
                    off = 0
                for k in range(n):
                    w2 = cands[(off + k) % n]
                    if self.free[w2]:
                        self.transfer(i, t, w2)
                        return
            self.st_tries[i] += 1
            limit = {"stepdown": 5, "move": 3, "repatriate": 10}[intent]
            if self.st_tries[i] <= limit:
                sp = self.st_spell[i]
                if intent == "stepdown" and self.sp_rfd[sp] is None:
                    self.sp_rfd[sp] = t
                self.st_end[i] = t + 10 + d.int(40)
                self.push(self.st_end[i], 0, i)
                return
            if intent == "repatriate" and self.st_nat[i] > t:
                self.st_intent[i] = "discharge"
                self.st_end[i] = self.st_nat[i]
                self.push(self.st_end[i], 0, i)
                return
        self.discharge(i, t)

    def close_stay(self, i: int, t: int) -> None:
        self.st_end[i] = t
        self.st_intent[i] = "closed"
        wi = self.st_ward[i]
        self.release_slot(wi, self.st_slot[i], t)

    def discharge(self, i: int, t: int) -> None:
        d = self.d
        self.close_stay(i, t)
        sp = self.st_spell[i]
        wi = self.st_ward[i]
        sl = self.w_sl[wi]
        names, probs = DEST_SECURE if sl == A else DEST_OTHER
        dest = names[d.pick(_cum(probs))]
        if self.st_tries[i] and self.st_intent[i] == "stepdown":
            dest = "step_down"
        self.sp_dis[sp] = t
        self.sp_dest[sp] = dest
        if self.sp_rfd[sp] is not None and self.sp_rfd[sp] > t:
            self.sp_rfd[sp] = None
        p = self.sp_patient[sp]
        if dest in ("community", "step_down", "other", "prison"):
            rate = {A: 0.07, C: 0.12, E: 0.15}.get(sl, 0.03)
            if d.u() < rate:
                key = (sl, self.pt_sex[p], self.w_collab[wi])
                self.seq += 1
                heapq.heappush(
                    self.pool.setdefault(key, []), (t + 20 + int(d.lognorm(150, 0.8)), self.seq, p)
                )

    def transfer(self, i: int, t: int, w2: int) -> None:
        wi = self.st_ward[i]
        sp = self.st_spell[i]
        p = self.sp_patient[sp]
        self.close_stay(i, t)
        slot = self.take_slot(w2)
        if self.w_prov[w2] == self.w_prov[wi]:
            self.sp_rfd[sp] = None
            self.new_stay(sp, w2, slot, t)
            return
        self.sp_dis[sp] = t
        self.sp_dest[sp] = "other_hospital"
        if self.sp_rfd[sp] is not None and self.sp_rfd[sp] > t:
            self.sp_rfd[sp] = None
        ref_id = self.admission_referral(p, w2, t, transfer=True)
        sp2 = self.new_spell(p, w2, t, ref_id)
        self.new_stay(sp2, w2, slot, t)


# --------------------------------------------------------------------------- derived tables


def _dates(base: np.datetime64, days) -> np.ndarray:
    return (base + np.asarray(days, dtype="int64").astype("timedelta64[D]")).astype("datetime64[s]")


def _nullable_dates(base, days) -> pd.Series:
    arr = np.asarray(days, dtype="float64")
    out = np.full(len(arr), np.datetime64("NaT"), dtype="datetime64[s]")
    ok = ~np.isnan(arr)
    out[ok] = _dates(base, arr[ok].astype("int64"))
    return pd.Series(out)


def _ids(prefix: str, n: int, width: int = 8) -> np.ndarray:
    return np.char.add(prefix, np.char.zfill(np.arange(1, n + 1).astype(str), width)).astype(object)


def _pseudonyms(rng: np.random.Generator, n: int) -> np.ndarray:
    vals = rng.integers(0, 2**32, size=n * 2, dtype=np.uint64)
    _, first = np.unique(vals, return_index=True)
    vals = vals[np.sort(first)][:n]
    return np.array([f"P{v:08x}" for v in vals.tolist()], dtype=object)


def _daily_counts(keys, starts, ends, nkeys: int, ndays: int, weights=None) -> np.ndarray:
    """counts[k, d] = number (or weight sum) of intervals [start, end) of key k covering day d."""
    s = np.clip(starts, 0, ndays)
    e = np.clip(ends, 0, ndays)
    ok = s < e
    w = np.ones(ok.sum()) if weights is None else np.asarray(weights, dtype=float)[ok]
    diff = np.zeros((nkeys, ndays + 1))
    np.add.at(diff, (keys[ok], s[ok]), w)
    np.add.at(diff, (keys[ok], e[ok]), -w)
    return np.cumsum(diff, axis=1)[:, :ndays]


class Builder:
    """Turns the simulation into DataFrames, one per table."""

    def __init__(
        self,
        sim: Simulation,
        ref: Reference,
        rng: np.random.Generator,
        start: date,
        end_date: date,
        scale: str,
        seed: int,
    ):
        self.sim, self.ref, self.rng = sim, ref, rng
        self.start, self.end_date, self.scale, self.seed = start, end_date, scale, seed
        self.end_day = sim.end_day
        self.ndays = self.end_day + 1
        self.base = np.datetime64(start, "D")
        self.frames: dict[str, pd.DataFrame] = {}

    # ----- organisation
    def organisation(self) -> None:
        ref = self.ref
        self.frames["region"] = pd.DataFrame(ref.regions, columns=["region_code", "name"])
        self.frames["provider"] = pd.DataFrame(
            ref.providers, columns=["provider_code", "name", "sector", "cqc_rating"]
        )
        coll = pd.DataFrame(
            ref.collaboratives,
            columns=[
                "collaborative_id",
                "name",
                "region_code",
                "service_line",
                "lead_provider_code",
                "go_live_date",
            ],
        )
        coll["go_live_date"] = pd.to_datetime(coll["go_live_date"]).astype("datetime64[s]")
        self.frames["collaborative"] = coll
        units = pd.DataFrame(
            ref.units, columns=["unit_code", "name", "provider_code", "postcode", "latitude", "longitude"]
        )
        self.frames["unit"] = units
        wards = pd.DataFrame(
            ref.wards,
            columns=[
                "ward_code",
                "unit_code",
                "name",
                "collaborative_id",
                "service_line",
                "security_level",
                "gender",
                "specialism",
                "commissioned_beds",
                "opened_date",
                "closed_date",
            ],
        )
        wards["opened_date"] = pd.to_datetime(wards["opened_date"]).astype("datetime64[s]")
        wards["closed_date"] = pd.Series(np.full(len(wards), np.datetime64("NaT"), dtype="datetime64[s]"))
        wards["nationally_commissioned"] = national_service(wards["specialism"], wards["security_level"])
        self.frames["ward"] = wards
        members = wards.merge(units[["unit_code", "provider_code"]], on="unit_code")[
            ["collaborative_id", "provider_code"]
        ]
        leads = coll[["collaborative_id", "lead_provider_code"]].rename(
            columns={"lead_provider_code": "provider_code"}
        )
        members = (
            pd.concat([members, leads]).drop_duplicates().sort_values(["collaborative_id", "provider_code"])
        )
        self.frames["collaborative_member"] = members.reset_index(drop=True)
        self.frames["locality"] = pd.DataFrame(
            ref.localities,
            columns=["locality_code", "name", "region_code", "latitude", "longitude", "population"],
        )
        self.frames["locality_collaborative"] = pd.DataFrame(
            ref.locality_collaborative, columns=["locality_code", "service_line", "collaborative_id"]
        )

    def calendar(self) -> None:
        last = date(_fy_start(self.end_date).year + 1, 3, 31)
        days = pd.date_range(self.start, last, freq="D")
        fy_year = np.where(days.month >= 4, days.year, days.year - 1)
        self.frames["calendar"] = pd.DataFrame(
            {
                "date": days.values.astype("datetime64[s]"),
                "financial_year": [f"{y}/{(y + 1) % 100:02d}" for y in fy_year],
                "month_start": days.to_period("M").to_timestamp().values.astype("datetime64[s]"),
                "week_start": (days - pd.to_timedelta(days.day_of_week, unit="D")).values.astype(
                    "datetime64[s]"
                ),
                "is_weekday": days.day_of_week < 5,
            }
        )

    # ----- activity
    def activity(self) -> None:
        sim, rng = self.sim, self.rng
        end_day = self.end_day
        npat = len(sim.pt_sex)
        self.pid = _pseudonyms(rng, npat)
        self.frames["patient"] = pd.DataFrame(
            {
                "patient_id": self.pid,
                "sex": np.array(sim.pt_sex, dtype=object),
                "birth_year": np.array(sim.pt_birth, dtype="int64"),
                "ethnic_group": np.array(sim.pt_eth, dtype=object),
                "home_locality_code": np.array(sim.loc_ids, dtype=object)[np.array(sim.pt_home)],
                "ld_autism": np.array(sim.pt_ld, dtype=bool),
                "care_experienced": pd.array(sim.pt_care, dtype="boolean"),
            }
        )
        # ward stays: open when they end after the as-of date
        st_end = np.array(sim.st_end, dtype="int64")
        st_start = np.array(sim.st_start, dtype="int64")
        st_ward = np.array(sim.st_ward, dtype="int64")
        st_spell = np.array(sim.st_spell, dtype="int64")
        keep = st_start <= end_day
        self.st = dict(start=st_start[keep], end=st_end[keep], ward=st_ward[keep], spell=st_spell[keep])
        self.st["open"] = self.st["end"] > end_day
        self.st["end_c"] = np.where(self.st["open"], end_day + 1, self.st["end"])
        nst = keep.sum()
        self.st_id = _ids("WS", nst)
        sp_adm = np.array(sim.sp_adm, dtype="int64")
        sp_keep = sp_adm <= end_day
        sp_index = np.cumsum(sp_keep) - 1
        self.sp_id_all = _ids("HS", int(sp_keep.sum()))
        spell_ids = self.sp_id_all[sp_index[self.st["spell"]]]
        self.frames["ward_stay"] = pd.DataFrame(
            {
                "ward_stay_id": self.st_id,
                "spell_id": spell_ids,
                "ward_code": np.array(sim.w_code, dtype=object)[self.st["ward"]],
                "start_date": _dates(self.base, self.st["start"]),
                "end_date": _nullable_dates(self.base, np.where(self.st["open"], np.nan, self.st["end"])),
            }
        )
        # spells
        dis = np.array([np.nan if x is None else x for x in sim.sp_dis], dtype=float)
        dis[dis > end_day] = np.nan
        rfd = np.array([np.nan if x is None else x for x in sim.sp_rfd], dtype=float)
        rfd[rfd > end_day] = np.nan
        dest = np.array(sim.sp_dest, dtype=object)
        dest[np.isnan(dis)] = None
        sp_ref = np.array([-1 if x is None else x for x in sim.sp_ref], dtype="int64")
        # referral ids: admissions after the as-of date are dropped with their referral
        rf = sim.rf
        rf_adm = np.array(rf["admission"], dtype="int64")
        rf_keep = rf_adm <= end_day
        self.n_adm_ref = int(rf_keep.sum())
        ref_ids_all = np.full(len(rf_adm), None, dtype=object)
        ref_ids_all[rf_keep] = _ids("RF", self.n_adm_ref)
        spell_ref = np.where(sp_ref >= 0, ref_ids_all[np.maximum(sp_ref, 0)], None)
        m = sp_keep
        self.frames["hospital_spell"] = pd.DataFrame(
            {
                "spell_id": self.sp_id_all,
                "patient_id": self.pid[np.array(sim.sp_patient)[m]],
                "referral_id": spell_ref[m],
                "provider_code": np.array(sim.prov_ids, dtype=object)[np.array(sim.sp_provider)[m]],
                "admission_date": _dates(self.base, sp_adm[m]),
                "discharge_date": _nullable_dates(self.base, dis[m]),
                "ready_for_discharge_date": _nullable_dates(self.base, rfd[m]),
                "discharge_destination": dest[m],
                "wsbs_pilot": np.array(sim.sp_wsbs, dtype=bool)[m],
            }
        )
        self.sp_keep = sp_keep
        # referrals for admissions
        k = rf_keep
        self.ref_adm = pd.DataFrame(
            {
                "referral_id": ref_ids_all[k],
                "patient_id": self.pid[np.array(rf["patient"])[k]],
                "collaborative_id": np.array(sim.collab_ids, dtype=object)[np.array(rf["collab"])[k]],
                "service_line": np.array(rf["sl"], dtype=object)[k],
                "security_level": np.array(rf["level"], dtype=object)[k],
                "source": np.array(rf["source"], dtype=object)[k],
                "urgency": np.array(rf["urgency"], dtype=object)[k],
                "received": np.array(rf["received"], dtype="int64")[k],
                "assessment": np.array(rf["assessment"], dtype="float64")[k],
                "decision": np.array(rf["decision"], dtype=object)[k],
                "decision_date": np.array(rf["decision_date"], dtype="float64")[k],
                "admission": rf_adm[k].astype("float64"),
                "admitted_ward_code": np.array(sim.w_code, dtype=object)[np.array(rf["ward"])[k]],
                "disputed": np.array(rf["disputed"], dtype=bool)[k],
            }
        )

    def other_referrals(self) -> None:
        """Declined, withdrawn and open referrals, with patients who were never admitted by them."""
        sim, rng = self.sim, self.rng
        end_day = self.end_day
        adm = self.ref_adm
        in_hist = adm[adm["received"] >= 0]
        groups = in_hist.groupby(["collaborative_id", "service_line"], sort=True).size()
        rows = []
        for (coll, sl), n_adm in groups.items():
            ci = sim.collab_ix[coll]
            levels = [sim.w_level[w] for w in sim.by_collab.get(ci, [])] or ["general"]
            for kind, ratio in (("declined", 0.32), ("withdrawn", 0.11)):
                n = int(rng.poisson(n_adm * ratio))
                rows.append((coll, sl, kind, n, levels))
            days_open = 30 if sl == A else 10
            rows.append(
                (coll, sl, "undecided", int(rng.poisson(max(1.0, n_adm / end_day * days_open))), levels)
            )
            wait = 25 if sl == A else 6
            rows.append((coll, sl, "awaiting", int(rng.poisson(max(1.0, n_adm / end_day * wait))), levels))
        frames = []
        for coll, sl, kind, n, levels in rows:
            if n == 0:
                continue
            ci = sim.collab_ix[coll]
            names, probs = SOURCES[sl]
            source = rng.choice(names, size=n, p=probs).astype(object)
            urgency = rng.choice(URGENCIES, size=n, p=URGENCY[sl]).astype(object)
            level = rng.choice(levels, size=n).astype(object)
            r2a = np.round(rng.lognormal(np.log(7), 0.7, n))
            a2d = np.round(rng.lognormal(np.log(5), 0.6, n))
            if kind in ("declined", "withdrawn"):
                received = rng.integers(0, end_day + 1, n)
                assessment = received + r2a
                if kind == "withdrawn":
                    assessment = np.where(rng.random(n) < 0.5, np.nan, assessment)
                decision_date = np.where(np.isnan(assessment), received + r2a, assessment + a2d)
                late = decision_date > end_day
                decision = np.where(late, None, kind).astype(object)
                decision_date = np.where(late, np.nan, decision_date)
                assessment = np.where(assessment > end_day, np.nan, assessment)
            elif kind == "undecided":
                received = end_day - np.floor(rng.exponential(20 if sl == A else 7, n))
                assessment = received + r2a
                assessment = np.where(assessment > end_day, np.nan, assessment)
                decision = np.full(n, None, dtype=object)
                decision_date = np.full(n, np.nan)
            else:
                age = np.floor(rng.exponential(45 if sl == A else 8, n)) + 1
                prison = source == "prison"
                age = np.where(prison, np.floor(rng.lognormal(np.log(40), 0.7, n)), age)
                decision_date = end_day - age
                assessment = decision_date - a2d
                received = assessment - r2a
                decision = np.full(n, "accepted", dtype=object)
            # new patients (in the community, in prison or elsewhere)
            sexes = np.where(rng.random(n) < {A: 0.22, C: 0.62, E: 0.9}.get(sl, 1.0), "female", "male")
            homes = [sim.choose_home(sim.by_collab[ci][0], float(r)) for r in received]
            pids = [
                sim.new_patient(sl, str(s), h, float(max(r, 0)), -1)
                for s, h, r in zip(sexes, homes, received)
            ]
            frames.append(
                pd.DataFrame(
                    {
                        "patient": pids,
                        "collaborative_id": coll,
                        "service_line": sl,
                        "security_level": level,
                        "source": source,
                        "urgency": urgency,
                        "received": received.astype("int64"),
                        "assessment": assessment,
                        "decision": decision,
                        "decision_date": decision_date,
                        "admission": np.nan,
                        "admitted_ward_code": None,
                        "disputed": rng.random(n) < np.where(np.array(decision == "declined"), 0.12, 0.02),
                    }
                )
            )
        other = pd.concat(frames, ignore_index=True)
        # patients created above are appended to the patient table
        new_n = len(sim.pt_sex) - len(self.pid)
        extra = _pseudonyms(np.random.default_rng([self.seed, 99]), new_n + len(self.pid))
        taken = set(self.pid.tolist())
        extra = np.array([x for x in extra.tolist() if x not in taken][:new_n], dtype=object)
        self.pid = np.concatenate([self.pid, extra])
        start = len(self.frames["patient"])
        self.frames["patient"] = pd.concat(
            [
                self.frames["patient"],
                pd.DataFrame(
                    {
                        "patient_id": extra,
                        "sex": np.array(sim.pt_sex[start:], dtype=object),
                        "birth_year": np.array(sim.pt_birth[start:], dtype="int64"),
                        "ethnic_group": np.array(sim.pt_eth[start:], dtype=object),
                        "home_locality_code": np.array(sim.loc_ids, dtype=object)[
                            np.array(sim.pt_home[start:])
                        ],
                        "ld_autism": np.array(sim.pt_ld[start:], dtype=bool),
                        "care_experienced": pd.array(sim.pt_care[start:], dtype="boolean"),
                    }
                ),
            ],
            ignore_index=True,
        )
        other["patient_id"] = self.pid[other["patient"].to_numpy()]
        other["referral_id"] = None
        adm = self.ref_adm.copy()
        allref = pd.concat([adm, other.drop(columns=["patient"])], ignore_index=True)
        allref = allref.sort_values(
            ["received", "collaborative_id", "referral_id"], kind="stable", na_position="last"
        ).reset_index(drop=True)
        missing = allref["referral_id"].isna().to_numpy()
        allref.loc[missing, "referral_id"] = _ids("RX", int(missing.sum()))
        self.frames["referral"] = pd.DataFrame(
            {
                "referral_id": allref["referral_id"].to_numpy(dtype=object),
                "patient_id": allref["patient_id"].to_numpy(dtype=object),
                "collaborative_id": allref["collaborative_id"].to_numpy(dtype=object),
                "service_line": allref["service_line"].to_numpy(dtype=object),
                "security_level": allref["security_level"].to_numpy(dtype=object),
                "source": allref["source"].to_numpy(dtype=object),
                "urgency": allref["urgency"].to_numpy(dtype=object),
                "received_date": _dates(self.base, allref["received"].to_numpy(dtype="int64")),
                "assessment_date": _nullable_dates(self.base, allref["assessment"].to_numpy(dtype=float)),
                "decision": allref["decision"].to_numpy(dtype=object),
                "decision_date": _nullable_dates(self.base, allref["decision_date"].to_numpy(dtype=float)),
                "admission_date": _nullable_dates(self.base, allref["admission"].to_numpy(dtype=float)),
                "admitted_ward_code": allref["admitted_ward_code"].to_numpy(dtype=object),
                "disputed": allref["disputed"].to_numpy(dtype=bool),
            }
        )

    def leave(self) -> None:
        sim, rng = self.sim, self.rng
        st = self.st
        s = np.maximum(st["start"], 0)
        e = st["end_c"]
        n_days = np.maximum(e - s, 0)
        rate = np.array([sim.w_prof[w]["leave"] for w in range(sim.nw)])[st["ward"]] / 100.0
        k = rng.poisson(rate * n_days / 2.0)  # mean duration about 2 nights
        k = np.minimum(k, n_days // 4)
        idx = np.repeat(np.arange(len(k)), k)
        j = np.arange(len(idx)) - np.repeat(np.cumsum(k) - k, k)
        binlen = n_days[idx] / k[idx]
        bstart = s[idx] + np.floor(j * binlen).astype("int64")
        dur = np.minimum(1 + rng.geometric(0.55, len(idx)) - 1 + 1, np.maximum(binlen.astype("int64") - 1, 1))
        lstart = bstart + np.floor(rng.random(len(idx)) * np.maximum(binlen - dur, 0)).astype("int64")
        lend = lstart + dur
        ok = (lstart >= s[idx]) & (lend <= e[idx]) & (lstart <= self.end_day) & (dur >= 1)
        idx, lstart, lend = idx[ok], lstart[ok], lend[ok]
        open_ = lend > self.end_day
        self.lv = dict(stay=idx, start=lstart, end=np.where(open_, self.end_day + 1, lend))
        self.frames["leave_episode"] = pd.DataFrame(
            {
                "leave_id": _ids("LV", len(idx), 9),
                "ward_stay_id": self.st_id[idx],
                "start_date": _dates(self.base, lstart),
                "end_date": _nullable_dates(self.base, np.where(open_, np.nan, lend)),
            }
        )

    def events(self) -> None:
        """Restrictive interventions and incidents on days when the patient is on the ward."""
        sim, rng = self.sim, self.rng
        st = self.st
        s = np.maximum(st["start"], 0)
        n_days = np.maximum(st["end_c"] - s, 0)
        ward = st["ward"]
        years = self.end_day / 365.25
        for table, key, kinds, probs in (
            (
                "restrictive_intervention",
                "ri",
                [
                    "other_restraint",
                    "seclusion",
                    "rapid_tranquillisation",
                    "prone_restraint",
                    "segregation",
                    "mechanical_restraint",
                ],
                [0.52, 0.16, 0.19, 0.075, 0.045, 0.01],
            ),
            (
                "incident",
                "inc",
                ["self_harm", "assault_on_staff", "assault_on_patient", "absconsion", "other"],
                [0.36, 0.22, 0.18, 0.04, 0.20],
            ),
        ):
            rate = np.array([sim.w_prof[w][key] for w in range(sim.nw)])[ward] / 1000.0
            frailty = rng.gamma(0.5, 2.0, len(n_days))
            lam = rate * n_days * frailty
            k = rng.poisson(lam)
            idx = np.repeat(np.arange(len(k)), k)
            day = s[idx] + np.floor(rng.random(len(idx)) * n_days[idx]).astype("int64")
            # trend: restrictive practice falls about 4% a year, incidents about 1% a year
            decline = 0.04 if key == "ri" else 0.01
            keep = rng.random(len(idx)) < np.exp(-decline * day / 365.25) * (1 + decline * years / 2)
            idx, day = idx[keep], day[keep]
            secs = np.clip(rng.normal(14.5 * 3600, 4.5 * 3600, len(idx)), 0, 86399).astype("int64")
            ts = (self.base + day.astype("timedelta64[D]")).astype("datetime64[s]") + secs.astype(
                "timedelta64[s]"
            )
            kind_p = np.array(probs)
            kind = rng.choice(kinds, size=len(idx), p=kind_p / kind_p.sum()).astype(object)
            order = np.lexsort((ward[idx], ts))
            idx, ts, kind = idx[order], ts[order], kind[order]
            wcode = np.array(sim.w_code, dtype=object)[ward[idx]]
            if key == "ri":
                sp_patient = np.array(sim.sp_patient)
                patient = self.pid[sp_patient[st["spell"][idx]]]
                kind, ended = self.episode_ends(idx, ts, kind)
                self.frames[table] = pd.DataFrame(
                    {
                        "intervention_id": _ids("RI", len(idx), 9),
                        "ward_code": wcode,
                        "patient_id": patient,
                        "started_at": ts,
                        "kind": kind,
                        "ended_at": ended,
                    }
                )
            else:
                harm = rng.choice(
                    ["none", "low", "moderate", "severe", "death"],
                    size=len(idx),
                    p=[0.55, 0.335, 0.10, 0.0145, 0.0005],
                ).astype(object)
                self.frames[table] = pd.DataFrame(
                    {
                        "incident_id": _ids("IN", len(idx), 9),
                        "ward_code": wcode,
                        "occurred_at": ts,
                        "kind": kind,
                        "harm": harm,
                    }
                )

    def episode_ends(self, idx: np.ndarray, ts: np.ndarray, kind: np.ndarray) -> tuple[np.ndarray, pd.Series]:
        """(kind, ended_at) of restrictive episodes, from their own random stream (so nothing else changes).

        Two in three of the drawn segregation episodes are seclusion (long-term segregation is rarer); durations
        by kind (docs/calibration.md): restraint minutes, seclusion hours to days, long-term segregation weeks
        to months, rapid tranquillisation a moment. An episode ends by the end of its ward stay; one still going
        on at the end of the data has no end (None)."""
        rng = np.random.default_rng([self.seed, 17])
        n = len(idx)
        kind = np.where((kind == "segregation") & (rng.random(n) < 2 / 3), "seclusion", kind).astype(object)
        minutes = np.zeros(n)
        for name, (median, sigma, low, high) in EPISODE_MINUTES.items():
            mask = kind == name
            minutes[mask] = np.clip(median * np.exp(sigma * rng.standard_normal(mask.sum())), low, high)
        ended = ts + np.round(minutes * 60).astype("int64").astype("timedelta64[s]")
        stay_end = (self.base + self.st["end_c"][idx].astype("timedelta64[D]")).astype("datetime64[s]")
        ended = np.minimum(ended, np.maximum(stay_end, ts))
        data_end = (self.base + np.timedelta64(self.end_day + 1, "D")).astype("datetime64[s]")
        return kind, pd.Series(pd.to_datetime(ended)).where(ended < data_end, None)

    def bed_state(self, reports_per_day: int, dense_days: int) -> None:
        sim, rng = self.sim, self.rng
        nw, ndays = sim.nw, self.ndays
        st = self.st
        self.occ = _daily_counts(st["ward"], st["start"], st["end_c"], nw, ndays).astype("int64")
        lv = self.lv
        self.on_leave = _daily_counts(st["ward"][lv["stay"]], lv["start"], lv["end"], nw, ndays).astype(
            "int64"
        )
        beds = np.array(sim.w_beds)
        # closures: 1.5 episodes a ward a year, 2-30 days, 1-3 beds, only of empty beds
        closed = np.zeros((nw, ndays), dtype="int64")
        n_ep = rng.poisson(1.5 * ndays / 365.25, nw)
        wi = np.repeat(np.arange(nw), n_ep)
        cs = rng.integers(0, ndays, len(wi))
        ce = np.minimum(cs + rng.integers(2, 31, len(wi)), ndays)
        cb = np.minimum(rng.integers(1, 4, len(wi)), np.maximum(beds[wi] // 4, 1))
        diff = np.zeros((nw, ndays + 1), dtype="int64")
        np.add.at(diff, (wi, cs), cb)
        np.add.at(diff, (wi, ce), -cb)
        closed = np.cumsum(diff, axis=1)[:, :ndays]
        self.closed = np.minimum(closed, np.maximum(beds[:, None] - self.occ, 0))
        # reports: several a day (reports_per_day in the dense period)
        hours_dense = [8, 14, 20]
        frames = []
        day_idx = np.arange(ndays)
        for dense in (False, True):
            days = day_idx[day_idx >= ndays - dense_days] if dense else day_idx[day_idx < ndays - dense_days]
            hours = hours_dense if (dense or reports_per_day >= 3) else [8]
            if len(days) == 0:
                continue
            w_g, d_g, h_g = np.meshgrid(np.arange(nw), days, np.array(hours), indexing="ij")
            w_g, d_g, h_g = w_g.ravel(), d_g.ravel(), h_g.ravel()
            jitter = rng.integers(-40 * 60, 40 * 60, len(w_g))
            ts = (self.base + d_g.astype("timedelta64[D]")).astype("datetime64[s]") + (
                h_g * 3600 + jitter
            ).astype("timedelta64[s]")
            frames.append(
                pd.DataFrame(
                    {
                        "ward_code": np.array(sim.w_code, dtype=object)[w_g],
                        "reported_at": ts,
                        "commissioned_beds": beds[w_g],
                        "occupied": self.occ[w_g, d_g],
                        "on_leave": self.on_leave[w_g, d_g],
                        "closed": self.closed[w_g, d_g],
                        "reported_by": REPORTERS[rng.integers(0, len(REPORTERS), len(w_g))],
                    }
                )
            )
        self.frames["bed_state"] = pd.concat(frames, ignore_index=True)

    def staffing(self) -> None:
        sim, rng = self.sim, self.rng
        months = pd.date_range(self.start, self.end_date, freq="MS")
        months = months[(months + pd.offsets.MonthEnd(0)).date <= self.end_date]
        nw, nm = sim.nw, len(months)
        beds = np.array(sim.w_beds, dtype=float)
        hpb = np.array([sim.w_prof[w]["hpb"] for w in range(nw)])
        dim = months.days_in_month.to_numpy()
        planned = beds[:, None] * hpb[:, None] * dim[None, :]
        base = np.clip(rng.normal(0.95, 0.035, nw), 0.85, 1.03)
        season = np.where(np.isin(months.month, [8, 12, 1]), -0.025, 0.0)
        fill = np.clip(base[:, None] + season[None, :] + rng.normal(0, 0.025, (nw, nm)), 0.78, 1.10)
        vac = np.clip(rng.uniform(3, 17, nw)[:, None] + rng.normal(0, 2.0, (nw, nm)), 0, 40)
        w_g, m_g = np.meshgrid(np.arange(nw), np.arange(nm), indexing="ij")
        self.frames["staffing"] = pd.DataFrame(
            {
                "ward_code": np.array(sim.w_code, dtype=object)[w_g.ravel()],
                "month_start": months.values.astype("datetime64[s]")[m_g.ravel()],
                "planned_hours": np.round(planned.ravel(), 1),
                "actual_hours": np.round((planned * fill).ravel(), 1),
                "vacancy_rate_pct": np.round(vac.ravel(), 1),
            }
        )

    def finance(self) -> None:
        sim, rng = self.sim, self.rng
        st = self.st
        ndays = self.ndays
        nc = len(sim.collab_ids)
        first_fy = _fy_start(self.start)
        last_month = date(_fy_start(self.end_date).year + 1, 3, 1)
        months = pd.date_range(first_fy, last_month, freq="MS")
        nm = len(months)
        month_of_day = (
            pd.date_range(self.start, periods=ndays, freq="D")
            .to_period("M")
            .to_timestamp()
            .values.astype("datetime64[M]")
            - months.values.astype("datetime64[M]")[0]
        ).astype("int64")
        infl = 1.03 ** (np.arange(nm) / 12.0)
        price = np.array([sim.w_prof[w]["price"] for w in range(sim.nw)]) * np.clip(
            rng.normal(1.0, 0.04, sim.nw), 0.9, 1.1
        )
        # home collaborative of each stay's patient, for its ward's service line
        sp_patient = np.array(sim.sp_patient)
        pt_home = np.array(sim.pt_home)
        st_pat = sp_patient[st["spell"]]
        w_coll = np.array(sim.w_collab)
        w_sl = np.array(sim.w_sl, dtype=object)
        home = np.array([sim.home.get((int(h), s), -1) for h, s in zip(pt_home[st_pat], w_sl[st["ward"]])])
        in_area = (home == w_coll[st["ward"]]) | (home < 0)
        # cost by (ward, day) of in-area stays, by (home collaborative, day) of out-of-area stays
        # the host collaborative pays for every bed day in the wards it commissions (block contract); the
        # home collaborative of an out-of-area patient pays the host back (its out_of_area line, at a
        # premium), which the host books as income on its 'other' line, so nothing is counted twice
        cost_in = _daily_counts(st["ward"], st["start"], st["end_c"], sim.nw, ndays, price[st["ward"]])
        ooa = ~in_area
        cost_out = _daily_counts(
            home[ooa], st["start"][ooa], st["end_c"][ooa], nc, ndays, price[st["ward"][ooa]] * 1.12
        )
        ooa_ward = st["ward"][ooa]
        recharge = _daily_counts(
            w_coll[ooa_ward], st["start"][ooa], st["end_c"][ooa], nc, ndays, price[ooa_ward] * 1.12
        )

        def by_month(mat):
            out = np.zeros((mat.shape[0], nm))
            np.add.at(out.T, month_of_day, mat.T)
            return out * infl[None, :]

        cin, cout, income = by_month(cost_in), by_month(cost_out), by_month(recharge)
        end_month = np.datetime64(self.end_date, "M")
        m64 = months.values.astype("datetime64[M]")
        closed = m64 < end_month
        last_closed = int(np.nonzero(closed)[0].max()) if closed.any() else 0
        first_sim_month = int(np.nonzero(m64 >= np.datetime64(self.start, "M"))[0].min())
        lines = []  # (collab, category, provider, cost per month)
        for ci, cid in enumerate(sim.collab_ids):
            wards = sim.by_collab.get(ci, [])
            provs = sorted({sim.w_prov[w] for w in wards})
            for pi in provs:
                cost = cin[[w for w in wards if sim.w_prov[w] == pi]].sum(axis=0)
                cat = "nhs_inpatient" if sim.prov_sector[pi] == "nhs" else "independent_inpatient"
                lines.append((ci, cat, sim.prov_ids[pi], cost))
            inpatient = cin[wards].sum(axis=0) if wards else np.zeros(nm)
            lines.append((ci, "out_of_area", None, cout[ci]))
            run = float(np.mean(inpatient[max(first_sim_month, last_closed - 11) : last_closed + 1]) or 1.0)
            yearfrac = np.arange(nm) / 12.0
            community = run * (0.05 + 0.012 * yearfrac)
            if cid == IMPACT:
                reinvest = np.full(nm, 2_400_000 / 12.0) * (1 + 0.12 * yearfrac)
            else:
                reinvest = run * (0.012 + 0.004 * yearfrac)
            lines.append((ci, "community", None, community))
            lines.append((ci, "reinvestment", None, reinvest))
            lines.append((ci, "other", None, run * 0.015 * np.ones(nm) - income[ci]))
        margin = {cid: m for cid, m in zip(sim.collab_ids, np.clip(rng.normal(0.0, 0.03, nc), -0.06, 0.06))}
        margin[IMPACT] = 0.035
        fy_of_month = np.array([(m.year if m.month >= 4 else m.year - 1) for m in months])
        rows = {
            k: []
            for k in (
                "collaborative_id",
                "month_start",
                "category",
                "provider_code",
                "budget_gbp",
                "actual_gbp",
                "forecast_gbp",
            )
        }
        for ci, cat, prov, cost in lines:
            cost = np.asarray(cost, dtype=float).copy()
            # months before the simulation (none when the history starts in April): copy the first month
            # open months: forecast from the run rate of the last three closed months
            ref_months = cost[max(0, last_closed - 2) : last_closed + 1]
            run = float(np.mean(ref_months)) if len(ref_months) else 0.0
            noise = rng.normal(0, 0.02, nm)
            actual = np.where(closed, cost * (1 + noise), np.nan)
            fc_open = run * (1.0 + rng.normal(0, 0.03, nm)) * (1.03 ** ((np.arange(nm) - last_closed) / 12.0))
            forecast = np.where(closed, actual * (1 + rng.normal(0, 0.004, nm)), fc_open)
            expected = np.where(closed, cost, fc_open)
            budget = np.zeros(nm)
            for fy in np.unique(fy_of_month):
                m = fy_of_month == fy
                total = expected[m].sum() * (1 + margin[sim.collab_ids[ci]] + rng.normal(0, 0.01))
                budget[m] = total / m.sum()
            rows["collaborative_id"].append(np.full(nm, sim.collab_ids[ci], dtype=object))
            rows["month_start"].append(months.values.astype("datetime64[s]"))
            rows["category"].append(np.full(nm, cat, dtype=object))
            rows["provider_code"].append(np.full(nm, prov, dtype=object))
            rows["budget_gbp"].append(np.round(budget, 2))
            rows["actual_gbp"].append(np.round(actual, 2))
            rows["forecast_gbp"].append(np.round(forecast, 2))
        self.frames["finance_ledger"] = pd.DataFrame({k: np.concatenate(v) for k, v in rows.items()})
        # risk share: members in proportion to commissioned beds, the lead carrying a little more
        rs = []
        members = self.frames["collaborative_member"]
        beds_by = {}
        for w in range(sim.nw):
            key = (sim.collab_ids[sim.w_collab[w]], sim.prov_ids[sim.w_prov[w]])
            beds_by[key] = beds_by.get(key, 0) + sim.w_beds[w]
        leads = {c[0]: c[4] for c in self.ref.collaboratives}
        for fy in sorted(set(fy_of_month.tolist())):
            label = f"{fy}/{(fy + 1) % 100:02d}"
            for cid, grp in members.groupby("collaborative_id", sort=True):
                provs = list(grp["provider_code"])
                w = np.array(
                    [beds_by.get((cid, p), 5) * (1.15 if p == leads[cid] else 1.0) for p in provs], float
                )
                share = np.round(w / w.sum() * 100, 2)
                share[int(np.argmax(share))] += round(100 - share.sum(), 2)
                rs += [(cid, p, label, round(float(s), 2)) for p, s in zip(provs, share)]
        self.frames["risk_share"] = pd.DataFrame(
            rs, columns=["collaborative_id", "provider_code", "financial_year", "share_pct"]
        )

    def finance_risk(self) -> None:
        """Issue 19: each monthly return's forecast (a random walk settling on today's outturn), the risk register,
        the reserve and the risk-share tiers. Its own generator (seeded from the demo's seed), so the rest of the
        demo is unchanged by it."""
        rng = np.random.default_rng([self.seed, 19])
        ledger = self.frames["finance_ledger"]
        months = pd.to_datetime(ledger["month_start"])
        ledger = ledger.assign(fy=np.where(months.dt.month >= 4, months.dt.year, months.dt.year - 1),
                               outturn=ledger["actual_gbp"].fillna(ledger["forecast_gbp"]))
        history, risks, reserves, tiers = [], [], [], []
        for (cid, fy), part in ledger.groupby(["collaborative_id", "fy"], sort=True):
            label = f"{fy}/{(fy + 1) % 100:02d}"
            budget = float(part["budget_gbp"].sum())
            history += self._history(rng, cid, label, part)
            risks += self._risks(rng, cid, label, fy, budget)
            held = budget * rng.uniform(0.008, 0.015)
            reserves.append((cid, label, round(held, 2), round(held * rng.uniform(0.2, 0.6), 2)))
            tiers += self._tiers(cid, label)
        self.frames["finance_forecast_history"] = pd.DataFrame(history, columns=[
            "collaborative_id", "provider_code", "category", "return_month", "financial_year", "forecast_outturn_gbp"])
        self.frames["financial_risk"] = pd.DataFrame(risks, columns=[
            "risk_id", "collaborative_id", "financial_year", "description", "value_gbp", "likelihood_pct",
            "mitigation_gbp", "owner", "status", "raised_date", "review_date"])
        self.frames["financial_reserve"] = pd.DataFrame(reserves, columns=[
            "collaborative_id", "financial_year", "held_gbp", "committed_gbp"])
        self.frames["risk_share_tier"] = pd.DataFrame(tiers, columns=[
            "collaborative_id", "financial_year", "direction", "tier", "up_to_gbp", "up_to_pct", "carried_by"])

    def _history(self, rng, cid, label, part) -> list:
        closed = sorted(pd.to_datetime(part.loc[part["actual_gbp"].notna(), "month_start"]).dt.date.unique())
        lines = part.groupby(["category", "provider_code"], dropna=False)["outturn"].sum()
        walk = np.cumsum(rng.normal(0, 0.004, len(closed))[::-1])[::-1]  # 0-ish at the latest return
        walk = walk - walk[-1] if len(walk) else walk
        return [(cid, None if pd.isna(prov) else prov, cat, month, label, round(float(v) * (1 + drift), 2))
                for month, drift in zip(closed, walk) for (cat, prov), v in lines.items()]

    RISK_TEXTS = [
        ("Out-of-area placements above tariff while beds are closed", "Head of commissioning"),
        ("Accepted referrals waiting for a bed: admissions above plan", "Clinical director"),
        ("Agency staffing premium on the women's service", "Director of nursing"),
        ("Independent sector price uplift above the inflation assumption", "Head of finance"),
        ("Delayed discharges: clinically-ready patients waiting for community places", "Head of transitions"),
        ("Estates: ward refurbishment overrun", "Estates lead"),
        ("Prison transfers above the planned number", "Clinical director"),
    ]

    def _risks(self, rng, cid, label, fy, budget) -> list:
        out = []
        fy_start = date(int(fy), 4, 1)
        last = min(self.end_date, date(int(fy) + 1, 3, 31))
        span = max(1, (last - fy_start).days)
        for i in rng.choice(len(self.RISK_TEXTS), size=int(rng.integers(4, 7)), replace=False):
            text, owner = self.RISK_TEXTS[int(i)]
            value = round(budget * rng.uniform(0.002, 0.012), -3)
            likelihood = float(rng.choice([10.0, 25.0, 50.0, 75.0]))
            raised = fy_start + timedelta(days=int(rng.integers(0, span)))
            status = "closed" if rng.uniform() < 0.2 else "open"
            out.append((f"{cid}-{str(fy)[2:]}-{len(out) + 1:02d}"[:32], cid, label, text, value, likelihood,
                        round(value * likelihood / 100 * rng.uniform(0, 0.4), -2), owner, status, raised,
                        raised + timedelta(days=int(rng.integers(60, 91)))))
        return out

    def _tiers(self, cid, label) -> list:
        """IMPACT: the lead carries the first 0.5% of budget, partners by share to 2% (the cap), the commissioner
        beyond; an underspend goes to the reinvestment pot. Others vary: every third shares an underspend."""
        k = sorted(self.sim.collab_ids).index(cid)
        if cid == IMPACT:
            lead, cap, under = 0.5, 2.0, "reinvestment"
        else:
            lead, cap, under = (0.5, 1.0, 1.5)[k % 3], (2.0, 3.0, None)[k % 3], ("reinvestment", "reinvestment",
                                                                                 "partners")[k % 3]
        return [(cid, label, "overspend", 1, None, lead, "lead"), (cid, label, "overspend", 2, None, cap, "partners"),
                (cid, label, "underspend", 1, None, None, under)]

    def governance(self) -> None:
        forums, kpis = _governance(self.ref)
        self.frames["governance_forum"] = pd.DataFrame(
            forums, columns=["forum_id", "collaborative_id", "name", "parent_forum_id"]
        )
        self.frames["forum_kpi"] = pd.DataFrame(kpis, columns=["forum_id", "kpi_id"])
        self.frames["kpi_threshold"] = pd.DataFrame(
            KPI_THRESHOLDS, columns=["kpi_id", "collaborative_id", "green", "amber"]
        )
        self.frames["survey_response"] = pd.DataFrame(
            SURVEY, columns=["survey_id", "cohort", "question", "answer", "respondents", "count"]
        ).assign(survey_year=SURVEY_YEAR)

    def extract_submissions(self) -> None:
        """When each provider's monthly extract first arrived (and was last resubmitted): mostly within 28 days
        of the month's end, some late, a few missing; months not yet due have none. Its own random stream,
        so no other table changes."""
        rng = np.random.default_rng([self.seed, 13])
        wards = self.frames["ward"].merge(self.frames["unit"][["unit_code", "provider_code"]], on="unit_code")
        stays = self.frames["ward_stay"].merge(wards[["ward_code", "provider_code"]], on="ward_code")
        month = pd.to_datetime(stays["start_date"]).dt.to_period("M").dt.start_time
        sizes = stays.assign(month=month).groupby(["provider_code", "month"]).size()
        months = pd.date_range(self.start, self.end_date, freq="MS")
        rows = [(p, m) for p in sorted(wards["provider_code"].unique()) for m in months]
        frame = pd.DataFrame(rows, columns=["provider_code", "month_start"])
        n = len(frame)
        month_end = frame["month_start"] + pd.offsets.MonthEnd(0)
        first = month_end + pd.to_timedelta(np.where(rng.random(n) < 0.9, rng.integers(8, 28, n),
                                                     rng.integers(29, 60, n)), unit="D") + pd.Timedelta(hours=9)
        last = first + pd.to_timedelta(np.where(rng.random(n) < 0.15, rng.integers(1, 40, n), 0), unit="D")
        keep = (rng.random(n) > 0.01) & (first.dt.date <= self.end_date)
        frame = frame.assign(first_loaded_at=first, loaded_at=last.where(last.dt.date <= self.end_date, first),
                             load_id="demo-mhsds",
                             rows=[int(sizes.get((p, m), 0)) for p, m in zip(frame["provider_code"],
                                                                              frame["month_start"])])[keep]
        frame["month_start"] = frame["month_start"].dt.date
        self.frames["extract_submission"] = frame.reset_index(drop=True)

    def load_log(self) -> None:
        source = SOURCE_TEMPLATE.format(seed=self.seed, scale=self.scale)
        morning = datetime.combine(self.end_date, datetime.min.time()) + timedelta(hours=7)
        latest = pd.Timestamp(self.frames["bed_state"]["reported_at"].max()).to_pydatetime()
        mhsds_rows = sum(
            len(self.frames[t])
            for t in (
                "patient",
                "referral",
                "hospital_spell",
                "ward_stay",
                "leave_episode",
                "restrictive_intervention",
                "incident",
            )
        )
        self.frames["load_log"] = pd.DataFrame(
            {
                "load_id": ["demo-mhsds", "demo-finance", "demo-bed_state"],
                "feed": ["mhsds", "finance", "bed_state"],
                "loaded_at": np.array([morning, morning, latest], dtype="datetime64[s]"),
                "rows": [mhsds_rows, len(self.frames["finance_ledger"]), len(self.frames["bed_state"])],
                "source": [source] * 3,
                "status": ["ok"] * 3,
                "message": [None] * 3,
            }
        )


# --------------------------------------------------------------------------- governance, thresholds, survey

BOARD_KPIS = [  # the Board's set covers safety, access, quality, people and money (docs/governance.md)
    "restrictive_interventions_per_1000_obd",
    "incidents_per_1000_obd",
    "median_referral_to_admission_days",
    "assessment_within_target_pct",
    "bed_occupancy_pct",
    "out_of_area_pct",
    "delayed_discharge_days_pct",
    "staffing_fill_rate_pct",
    "admissions",
    "repatriations",
    "forecast_outturn_gbp",
    "variance_gbp",
    "reinvestment_gbp",
    "cost_per_obd_gbp",
    "out_of_area_spend_pct",
]
CRG_KPIS = [
    "restrictive_interventions_per_1000_obd",
    "prone_restraint_per_1000_obd",
    "incidents_per_1000_obd",
    "staffing_fill_rate_pct",
    "delayed_discharge_days_pct",
    "readmission_12m_pct",
    "median_los_days",
    "mean_los_days",
    "current_los_days",
]
IMPACT_FORUMS = [  # (suffix, name, parent suffix, kpis)
    ("PCB", "IMPACT Provider Collaboration Board", None, BOARD_KPIS),
    ("CRG", "IMPACT Clinical Reference Group", "PCB", CRG_KPIS),
    (
        "TEAM",
        "IMPACT Team Meetings (Business)",
        "PCB",
        [
            "bed_occupancy_pct",
            "bed_occupancy_excl_leave_pct",
            "beds_available_now",
            "occupied_bed_days",
            "open_referrals",
            "out_of_area_pct",
        ],
    ),
    (
        "PROG",
        "IMPACT Programme Meetings (Mobilisation plan)",
        "PCB",
        ["out_of_area_pct", "repatriations", "median_distance_km", "reinvestment_gbp"],
    ),
    (
        "CPM",
        "IMPACT Clinical Process Meetings",
        "CRG",
        ["assessment_within_target_pct", "median_referral_to_assessment_days", "delayed_discharge_days_pct"],
    ),
    (
        "TF_ADM",
        "Improved Admissions task and finish group",
        "PROG",
        [
            "referrals_received",
            "median_referral_to_assessment_days",
            "median_assessment_to_decision_days",
            "median_referral_to_admission_days",
            "assessment_within_target_pct",
            "prison_transfer_within_28_days_pct",
            "open_referrals",
        ],
    ),
    (
        "TF_COM",
        "Community Infrastructure task and finish group",
        "PROG",
        ["reinvestment_gbp", "readmission_12m_pct", "delayed_discharge_days_pct"],
    ),
    (
        "TF_TRD",
        "Improved Transitions & Discharges task and finish group",
        "PROG",
        [
            "delayed_discharge_days_pct",
            "discharges",
            "median_los_days",
            "repatriations",
            "readmission_12m_pct",
        ],
    ),
    (
        "TF_LDA",
        "Learning Disability & Autism task and finish group",
        "PROG",
        ["current_los_days", "restrictive_interventions_per_1000_obd", "out_of_area_pct"],
    ),
    (
        "TF_WOM",
        "Women's Secure Pathway task and finish group",
        "PROG",
        [
            "women_share_pct",
            "women_median_los_days",
            "women_median_distance_km",
            "women_mean_hospitals",
            "women_detained_over_3y_pct",
        ],
    ),
]
REGIONAL_KPIS = [
    "bed_occupancy_pct",
    "out_of_area_pct",
    "variance_gbp",
    "prison_transfer_within_28_days_pct",
    "women_share_pct",
    "restrictive_interventions_per_1000_obd",
]


def _governance(ref: Reference):
    forums, kpis = [], []
    regions = {c[2] for c in ref.collaboratives}
    for code, name in ref.regions:
        if code in regions:
            fid = f"REG_{code}"
            forums.append((fid, None, f"{name} Specialised Mental Health Oversight Group", None))
            kpis += [(fid, k) for k in REGIONAL_KPIS]
    for cid, name, region, *_ in ref.collaboratives:
        if cid == IMPACT:
            for suffix, fname, parent, ks in IMPACT_FORUMS:
                fid = f"{cid}_{suffix}"
                forums.append((fid, cid, fname, f"{cid}_{parent}" if parent else f"REG_{region}"))
                kpis += [(fid, k) for k in ks]
        else:
            short = name.replace(" Provider Collaborative", "")
            forums.append((f"{cid}_PCB", cid, f"{short} Provider Collaborative Board", f"REG_{region}"))
            forums.append((f"{cid}_CRG", cid, f"{short} Clinical Reference Group", f"{cid}_PCB"))
            kpis += [(f"{cid}_PCB", k) for k in BOARD_KPIS]
            kpis += [(f"{cid}_CRG", k) for k in CRG_KPIS]
    return forums, kpis


# (kpi_id, collaborative_id, green, amber): 'down' KPIs green when <= green, amber when <= amber;
# 'up' KPIs green when >= green, amber when >= amber; occupancy is banded on the 85% ceiling.
KPI_THRESHOLDS = [
    ("bed_occupancy_pct", None, 85.0, 95.0),
    ("out_of_area_pct", None, 10.0, 15.0),
    ("median_distance_km", None, 50.0, 80.0),
    ("median_los_days", None, 730.0, 1095.0),
    ("current_los_days", None, 730.0, 1095.0),
    ("median_referral_to_assessment_days", None, 14.0, 28.0),
    ("median_assessment_to_decision_days", None, 7.0, 14.0),
    ("median_referral_to_admission_days", None, 28.0, 56.0),
    ("assessment_within_target_pct", None, 90.0, 75.0),
    ("prison_transfer_within_28_days_pct", None, 80.0, 50.0),
    ("delayed_discharge_days_pct", None, 5.0, 10.0),
    ("readmission_12m_pct", None, 10.0, 15.0),
    ("restrictive_interventions_per_1000_obd", None, 15.0, 30.0),
    ("prone_restraint_per_1000_obd", None, 1.0, 3.0),
    ("incidents_per_1000_obd", None, 30.0, 50.0),
    ("staffing_fill_rate_pct", None, 95.0, 85.0),
    ("variance_gbp", None, 0.0, 500000.0),
    ("cost_per_obd_gbp", None, 700.0, 800.0),
    ("out_of_area_spend_pct", None, 10.0, 15.0),
    ("women_median_los_days", None, 728.0, 1095.0),
    ("women_median_distance_km", None, 50.0, 100.0),
    ("women_mean_hospitals", None, 3.0, 4.0),
    ("women_detained_over_3y_pct", None, 50.0, 70.0),
    ("out_of_area_pct", IMPACT, 8.0, 12.0),
]

SURVEY_ID = "women_secure_care_2019"
SURVEY_YEAR = 2019
_Q_AIDED = "What 5 key things have aided your recovery?"
_Q_CHALLENGED = "What 5 key things have challenged your recovery?"
_Q_PREVENTED = "What might have prevented you entering the secure pathway?"
SURVEY = (
    [
        (SURVEY_ID, "east_midlands", _Q_AIDED, a, 77, n)
        for a, n in (
            ("Activity and keeping busy", 64),
            ("Leave and Community Access", 63),
            ("Staff support and positive relationships with them", 63),
            ("Talking with staff and 1-1 time", 62),
            ("Psychology/Therapy", 56),
        )
    ]
    + [
        (SURVEY_ID, "east_midlands", _Q_CHALLENGED, a, 77, n)
        for a, n in (
            ("Not enough staff - cancellations", 62),
            ("Negative staff practice", 50),
            ("Peers behavior and illness", 50),
            ("Restrictive Practice", 42),
            ("Negative relationships with staff", 42),
        )
    ]
    + [
        (SURVEY_ID, "east_midlands", _Q_PREVENTED, a, 77, n)
        for a, n in (
            ("Better support from community team", 44),
            ("Not being ignored when I asked for help", 32),
            ("Access to drug and alcohol support", 27),
            ("GP having a better understanding of Mental Health", 25),
            ("A&E having a better understanding & more compassionate", 18),
        )
    ]
    + [
        (SURVEY_ID, cohort, q, a, n, n)
        for cohort, n, figures in (
            ("england", 190, ("1.6", "3.8", "3320")),
            ("east_midlands", 77, ("1.8", "4.2", "3497")),
        )
        for q, a in zip(
            (
                "Headline: average distance from home (hours)",
                "Headline: average number of hospitals",
                "Headline: average length of stay (days)",
            ),
            figures,
        )
    ]
)


# --------------------------------------------------------------------------- build


def _progress_fn(progress):
    if progress is None:
        return lambda fraction, message: None
    return progress


def generate(scale: str = "region", seed: int = 42, end_date: date | None = None, progress=None) -> dict:
    """All tables as DataFrames (no database needed)."""
    report = _progress_fn(progress)
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}: use 'region' or 'national'")
    end_date = end_date or (date.today() - timedelta(days=1))
    start = date(_fy_start(end_date).year - (SCALES[scale] - 1), 4, 1)
    end_day = (end_date - start).days
    report(0.01, "Reading the reference data")
    ref = reference(scale)
    seeds = np.random.SeedSequence(seed).spawn(3)
    sim = Simulation(ref, np.random.default_rng(seeds[0]), start, end_day)
    report(0.02, "Simulating admissions, moves and discharges")
    sim.run(lambda f: report(0.02 + 0.30 * f, "Simulating admissions, moves and discharges"))
    b = Builder(sim, ref, np.random.default_rng(seeds[1]), start, end_date, scale, seed)
    steps = [
        ("Organisations and places", b.organisation),
        ("Calendar", b.calendar),
        ("Patients, spells and ward stays", b.activity),
        ("Referrals", b.other_referrals),
        ("Leave", b.leave),
        ("Restrictive interventions and incidents", b.events),
        (
            "Bed states",
            lambda: b.bed_state(3 if scale == "region" else 1, 10**6 if scale == "region" else 60),
        ),
        ("Staffing", b.staffing),
        ("Finance", b.finance),
        ("Financial risk", b.finance_risk),
        ("Governance and survey", b.governance),
        ("Extract submissions", b.extract_submissions),
        ("Load log", b.load_log),
    ]
    for k, (message, fn) in enumerate(steps):
        report(0.33 + 0.12 * k / len(steps), message)
        fn()
    return b.frames


def _has_wards(conn) -> bool:
    rows = conn.execute(sa.select(sa.func.count()).select_from(schema.ward)).fetchall()
    return rows[0][0] > 0


def _by_depth(forums: pd.DataFrame) -> list:
    parent = dict(zip(forums["forum_id"], forums["parent_forum_id"]))

    def depth(fid):
        n = 0
        while parent.get(fid) is not None:
            fid, n = parent[fid], n + 1
        return n

    depths = forums["forum_id"].map(depth)
    return [forums[depths == k] for k in sorted(set(depths))]


# The reference data an extract is loaded against (organisations, wards, places, calendar, governance).
REFERENCE_TABLES = ("region", "provider", "collaborative", "collaborative_member", "unit", "ward", "locality",
                    "locality_collaborative", "calendar", "governance_forum", "forum_kpi", "kpi_threshold")


def build_demo(
    engine, scale: str = "region", seed: int = 42, end_date: date | None = None, progress=None,
    reference_only: bool = False,
) -> dict:
    """Create the schema and fill every table (except audit_log) with demo data; row counts per table.

    `reference_only`: only REFERENCE_TABLES, for loading the activity as an extract (data_access/mhsds.py).
    """
    report = _progress_fn(progress)
    schema.create_all(engine)
    with engine.connect() as conn:
        if _has_wards(conn):
            raise ValueError(
                "the database already has wards: demo data is only written into an empty database"
            )
    frames = generate(scale, seed, end_date, progress)
    order = [t for t in schema.TABLE_ORDER if t in frames and (not reference_only or t in REFERENCE_TABLES)]
    total = sum(len(frames[t]) for t in order) or 1
    done = 0
    counts = {}
    with engine.begin() as conn:
        if _has_wards(conn):
            raise ValueError(
                "the database already has wards: demo data is only written into an empty database"
            )
        for table in order:
            report(0.45 + 0.55 * done / total, f"Loading {table} ({len(frames[table]):,} rows)")
            if table == "governance_forum":  # parents before children (self-referencing key)
                counts[table] = sum(insert_frame(conn, table, part) for part in _by_depth(frames[table]))
            else:
                counts[table] = insert_frame(conn, table, frames[table])
            done += len(frames[table])
        analyze(conn, order)  # statistics first: the facts are computed from these tables
        facts.refresh(conn)
        counts.update(facts.counts(conn))
        analyze(conn, facts.TABLES)
    tidy(engine, facts.TABLES)
    report(1.0, "Demo data ready")
    return counts


def _bar(fraction: float, message: str) -> None:
    width = 30
    filled = int(round(width * fraction))
    sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {fraction * 100:5.1f}% {message[:60]:<60}")
    sys.stderr.flush()
    if fraction >= 1.0:
        sys.stderr.write("\n")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m demo", description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=sorted(SCALES), default="region")
    parser.add_argument("--url", required=True, help="SQLAlchemy URL, e.g. duckdb:///data/demo.duckdb")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--reference-only", action="store_true",
                        help="only organisations, wards, places, calendar and governance (load activity as an extract)")
    parser.add_argument(
        "--end-date", type=date.fromisoformat, default=None, help="YYYY-MM-DD (default: yesterday)"
    )
    args = parser.parse_args(argv)
    from data_access.engine import make_engine

    engine = make_engine(args.url)
    t0 = time.perf_counter()
    try:
        counts = build_demo(engine, args.scale, args.seed, args.end_date, _bar, args.reference_only)
    except ValueError as error:
        sys.stderr.write(f"\nerror: {error}\n")
        return 2
    finally:
        engine.dispose()
    seconds = time.perf_counter() - t0
    width = max(len(t) for t in counts)
    for table, n in counts.items():
        print(f"{table:<{width}}  {n:>10,}")
    print(f"{'total':<{width}}  {sum(counts.values()):>10,}  rows in {seconds:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
