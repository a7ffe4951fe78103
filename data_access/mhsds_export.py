"""A database's activity written as a monthly extract (the files data_access/mhsds.py loads).

Each record goes to the submission of the provider that would send it and the month it starts in:
spells, ward stays and leave to the spell's provider; restrictive interventions, incidents, staffing
and bed states to the ward's provider; referrals to the admitting ward's provider, or else the
collaborative's lead provider (its single point of access). Each submission's MHS001MPI lists the
people its referrals, spells and interventions name. Read in chunks of rows: the database is never
held in memory as a whole per table beyond one table's rows.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from data_access import mhsds_codes as codes
from data_access import schema as s
from data_access.mhsds_files import FILES, HEADER


def _month(values) -> pd.Series:
    return pd.to_datetime(pd.Series(values)).dt.to_period("M").dt.start_time.dt.date


def _frame(conn, query) -> pd.DataFrame:
    result = conn.execute(query)
    return pd.DataFrame(result.all(), columns=list(result.keys()))


def _ward_provider(conn) -> dict:
    w, u = s.ward, s.unit
    return dict(conn.execute(sa.select(w.c.ward_code, u.c.provider_code).join(u, u.c.unit_code == w.c.unit_code)).all())


def _flag(values) -> pd.Series:
    return pd.Series(values).map({True: "Y", False: "N"})


def _date(values) -> pd.Series:
    return pd.to_datetime(pd.Series(values)).dt.strftime("%Y-%m-%d")


def _key(provider, month) -> dict:
    return {"OrgIDProv": provider, "ReportingPeriodStartDate": _date(month)}


def referrals(conn, wards: dict) -> pd.DataFrame:
    r, c = s.referral, s.collaborative
    f = _frame(conn, sa.select(r, c.c.lead_provider_code).join(c, c.c.collaborative_id == r.c.collaborative_id))
    provider = f["admitted_ward_code"].map(wards).fillna(f["lead_provider_code"])
    return pd.DataFrame({
        **_key(provider, _month(f["received_date"])), "ServiceRequestId": f["referral_id"],
        "Person_ID": f["patient_id"], "OrgIDComm": f["collaborative_id"],
        "SpecialisedMHServiceCode": [codes.export_service_code(a, b) for a, b in zip(f["service_line"],
                                                                                     f["security_level"])],
        "WardSecLevel": f["security_level"].map(codes.EXPORT_SECURITY_LEVEL),
        "MHAdmittedPatientClass": f["security_level"].map({"picu": codes.PICU_CLASS}),
        "SourceOfReferralMH": f["source"].map(codes.inverse(codes.REFERRAL_SOURCE)),
        "ClinRespPriorityType": f["urgency"].map(codes.EXPORT_URGENCY),
        "ReferralRequestReceivedDate": _date(f["received_date"]), "AssessmentDate": _date(f["assessment_date"]),
        "ReferralDecision": f["decision"].map(codes.inverse(codes.DECISION)),
        "ReferralDecisionDate": _date(f["decision_date"]), "AdmissionDate": _date(f["admission_date"]),
        "AdmittedWardCode": f["admitted_ward_code"], "DisputedFlag": _flag(f["disputed"])})


def spells(conn) -> tuple[pd.DataFrame, pd.DataFrame]:
    f = _frame(conn, sa.select(s.hospital_spell))
    key = _key(f["provider_code"], _month(f["admission_date"]))
    spell = pd.DataFrame({
        **key, "HospProvSpellID": f["spell_id"], "Person_ID": f["patient_id"], "ServiceRequestId": f["referral_id"],
        "StartDateHospProvSpell": _date(f["admission_date"]), "DischDateHospProvSpell": _date(f["discharge_date"]),
        "DischDestCodeHospProvSpell": f["discharge_destination"].map(codes.EXPORT_DISCHARGE_DESTINATION),
        "WSBSPilotFlag": _flag(f["wsbs_pilot"])})
    ready = pd.DataFrame({**key, "HospProvSpellID": f["spell_id"],
                          "ClinReadyforDischDate": _date(f["ready_for_discharge_date"])})
    return spell, ready[f["ready_for_discharge_date"].notna().to_numpy()]


def ward_stays(conn, wards: dict) -> pd.DataFrame:
    f = _frame(conn, sa.select(s.ward_stay, s.ward.c.security_level).join(
        s.ward, s.ward.c.ward_code == s.ward_stay.c.ward_code))
    return pd.DataFrame({
        **_key(f["ward_code"].map(wards), _month(f["start_date"])), "WardStayId": f["ward_stay_id"],
        "HospProvSpellID": f["spell_id"], "WardCode": f["ward_code"], "StartDateWardStay": _date(f["start_date"]),
        "EndDateWardStay": _date(f["end_date"]), "WardSecLevel": f["security_level"].map(codes.EXPORT_SECURITY_LEVEL)})


def leave(conn, wards: dict) -> pd.DataFrame:
    lv, ws = s.leave_episode, s.ward_stay
    f = _frame(conn, sa.select(lv, ws.c.ward_code).join(ws, ws.c.ward_stay_id == lv.c.ward_stay_id))
    return pd.DataFrame({
        **_key(f["ward_code"].map(wards), _month(f["start_date"])), "HomeLeaveId": f["leave_id"],
        "WardStayId": f["ward_stay_id"], "StartDateHomeLeave": _date(f["start_date"]),
        "EndDateHomeLeave": _date(f["end_date"])})


def interventions(conn, wards: dict) -> pd.DataFrame:
    f = _frame(conn, sa.select(s.restrictive_intervention))
    at, ended = pd.to_datetime(f["started_at"]), pd.to_datetime(f["ended_at"])
    return pd.DataFrame({
        **_key(f["ward_code"].map(wards), _month(at)), "RestrictiveIntIncID": f["intervention_id"],
        "Person_ID": f["patient_id"], "WardCode": f["ward_code"],
        "StartDateRestrictiveIntInc": at.dt.strftime("%Y-%m-%d"),
        "StartTimeRestrictiveIntInc": at.dt.strftime("%H:%M:%S"),
        "RestrictiveIntType": f["kind"].map(codes.EXPORT_INTERVENTION),
        "EndDateRestrictiveIntInc": ended.dt.strftime("%Y-%m-%d"),
        "EndTimeRestrictiveIntInc": ended.dt.strftime("%H:%M:%S")})


def patients(conn, mentions: pd.DataFrame) -> pd.DataFrame:
    f = _frame(conn, sa.select(s.patient))
    f = mentions.drop_duplicates().merge(f, left_on="Person_ID", right_on="patient_id")
    return pd.DataFrame({
        "OrgIDProv": f["OrgIDProv"], "ReportingPeriodStartDate": f["ReportingPeriodStartDate"],
        "Person_ID": f["patient_id"], "Gender": f["sex"].map(codes.inverse(codes.SEX)),
        "YearOfBirth": f["birth_year"], "EthnicCategory": f["ethnic_group"].map(codes.EXPORT_ETHNIC_GROUP),
        "ResidenceLocality": f["home_locality_code"], "LDAutismFlag": _flag(f["ld_autism"]),
        "CareExperiencedFlag": _flag(f["care_experienced"])})


def local_feeds(conn, wards: dict) -> dict[str, pd.DataFrame]:
    inc = _frame(conn, sa.select(s.incident))
    at = pd.to_datetime(inc["occurred_at"])
    staff = _frame(conn, sa.select(s.staffing))
    beds = _frame(conn, sa.select(s.bed_state))
    reported = pd.to_datetime(beds["reported_at"])
    return {
        "LOC_Incident": pd.DataFrame({
            **_key(inc["ward_code"].map(wards), _month(at)), "IncidentId": inc["incident_id"],
            "WardCode": inc["ward_code"], "IncidentDateTime": at.dt.strftime("%Y-%m-%d %H:%M:%S"),
            "IncidentType": inc["kind"], "HarmLevel": inc["harm"]}),
        "LOC_Staffing": pd.DataFrame({
            **_key(staff["ward_code"].map(wards), staff["month_start"]), "WardCode": staff["ward_code"],
            "MonthStart": _date(staff["month_start"]), "PlannedHours": staff["planned_hours"],
            "ActualHours": staff["actual_hours"], "VacancyRatePct": staff["vacancy_rate_pct"]}),
        "LOC_BedState": pd.DataFrame({
            **_key(beds["ward_code"].map(wards), _month(reported)), "WardCode": beds["ward_code"],
            "ReportedAt": reported.dt.strftime("%Y-%m-%d %H:%M:%S"), "CommissionedBeds": beds["commissioned_beds"],
            "Occupied": beds["occupied"], "OnLeave": beds["on_leave"], "Closed": beds["closed"],
            "ReportedBy": beds["reported_by"], "ClosedReason": beds["closed_reason"]}),
    }


def _header(files: dict[str, pd.DataFrame]) -> pd.DataFrame:
    pairs = pd.concat([f[["OrgIDProv", "ReportingPeriodStartDate"]] for f in files.values()]).drop_duplicates()
    pairs = pairs.sort_values(["OrgIDProv", "ReportingPeriodStartDate"])
    start = pd.to_datetime(pairs["ReportingPeriodStartDate"])
    return pd.DataFrame({"OrgIDProvider": pairs["OrgIDProv"],
                         "ReportingPeriodStartDate": pairs["ReportingPeriodStartDate"],
                         "ReportingPeriodEndDate": (start + pd.offsets.MonthEnd(0)).dt.strftime("%Y-%m-%d"),
                         "DateTimeDatSetCreate": dt.datetime.now().strftime("%Y-%m-%d %H:%M:%S")})


def export_extract(engine: sa.Engine, out: Path) -> dict[str, int]:
    """Write every file of the extract into `out` (created); {file: rows}."""
    out.mkdir(parents=True, exist_ok=True)
    with engine.connect() as conn:
        wards = _ward_provider(conn)
        files = {"MHS101Referral": referrals(conn, wards)}
        files["MHS501HospProvSpell"], files["MHS518ClinReadyforDischarge"] = spells(conn)
        files["MHS502WardStay"] = ward_stays(conn, wards)
        files["MHS509HomeLeave"] = leave(conn, wards)
        files["MHS505RestrictiveInterventInc"] = interventions(conn, wards)
        mentions = pd.concat([files[n][["OrgIDProv", "ReportingPeriodStartDate", "Person_ID"]] for n in
                              ("MHS101Referral", "MHS501HospProvSpell", "MHS505RestrictiveInterventInc")])
        files["MHS001MPI"] = patients(conn, mentions)
        files |= local_feeds(conn, wards)
    files[HEADER] = _header(files)
    counts = {}
    for name in FILES:
        frame = files[name][[c.name for c in FILES[name]]]
        frame.to_csv(out / f"{name}.csv", index=False)
        counts[name] = len(frame)
    return counts
