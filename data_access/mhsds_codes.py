"""The national data set's codes and the reporting schema's values they map to (both ways).

Copied from the project's domain facts (MHSDS v6) so that nothing reads ../shared at run time;
codes the facts do not give are the NHS Data Dictionary's (sex, ethnic category, discharge
destination, clinical response priority) or, where no national code exists, a documented local
code (docs/data-in.md). Each map is {code: schema value}; EXPORT_* give the one code written back.
"""

# MHS001MPI: Person Stated Gender Code (NHS Data Dictionary).
SEX = {"1": "male", "2": "female", "9": "other", "X": "unknown"}
# MHS001MPI: Ethnic Category (NHS Data Dictionary, 2001 census groups).
ETHNIC_GROUP = {
    **dict.fromkeys(["A", "B", "C"], "white"),
    **dict.fromkeys(["D", "E", "F", "G"], "mixed"),
    **dict.fromkeys(["H", "J", "K", "L"], "asian"),
    **dict.fromkeys(["M", "N", "P"], "black"),
    **dict.fromkeys(["R", "S"], "other"),
    **dict.fromkeys(["Z", "99"], "not_stated"),
}
EXPORT_ETHNIC_GROUP = {"white": "A", "mixed": "D", "asian": "H", "black": "M", "other": "S", "not_stated": "Z"}

# MHS101Referral: SpecialisedMHServiceCode (a "/..." suffix is ignored) -> service line.
SERVICE_CODE = {
    "NCBPS22S": "adult_secure", "NCBPS22U": "adult_secure", "NCBPS22E": "adult_eating_disorders",
    "NCBPS22P": "perinatal", "NCBPS23K": "camhs", "NCBPS23L": "camhs", "NCBPS22C": "camhs",
}
# WardSecLevel: 0 general, 1 low, 2 medium, 3 high.
SECURITY_LEVEL = {"0": "general", "1": "low", "2": "medium", "3": "high"}
EXPORT_SECURITY_LEVEL = {"general": "0", "low": "1", "medium": "2", "high": "3", "picu": "0"}
# MHAdmittedPatientClass (from April 2024) -> (service line, security level); 309 is the one class that
# says more than WardSecLevel (CYP PICU). Pre-April-2024 HospitalBedTypeMH codes are accepted as well.
PATIENT_CLASS = {
    "203": ("adult_eating_disorders", "general"), "204": ("perinatal", "general"),
    "206": ("adult_secure", "low"), "207": ("adult_secure", "medium"), "208": ("adult_secure", "high"),
    "302": ("camhs", "general"), "303": ("camhs", "low"), "304": ("camhs", "medium"), "309": ("camhs", "picu"),
    "19": ("adult_secure", "low"), "20": ("adult_secure", "medium"), "21": ("adult_secure", "high"),
    "13": ("adult_eating_disorders", "general"), "27": ("camhs", "low"), "28": ("camhs", "medium"),
}
PICU_CLASS = "309"

# Local codes (no national equivalent in the extract): referral source, decision.
REFERRAL_SOURCE = {"PR": "prison", "CT": "court", "PO": "police", "CM": "community", "AH": "acute_hospital",
                   "OS": "other_secure", "OT": "other"}
# MHS101Referral: ClinRespPriorityType (1 emergency, 2 urgent, 3 routine; 4 very urgent counts as urgent).
URGENCY = {"1": "emergency", "2": "urgent", "4": "urgent", "3": "routine"}
EXPORT_URGENCY = {"emergency": "1", "urgent": "2", "routine": "3"}
DECISION = {"A": "accepted", "D": "declined", "W": "withdrawn"}
# MHS501HospProvSpell: DischDestCodeHospProvSpell (NHS Data Dictionary) -> discharge destination.
DISCHARGE_DESTINATION = {
    "19": "community", "29": "step_down", "37": "prison", "38": "prison", "79": "died",
    **dict.fromkeys(["48", "49", "50", "51", "52", "53", "84", "87"], "other_hospital"),
    **dict.fromkeys(["54", "65", "66"], "other"),
}
EXPORT_DISCHARGE_DESTINATION = {"community": "19", "step_down": "29", "prison": "38", "other_hospital": "53",
                                "died": "79", "other": "66"}
# MHS515RestrictiveInterventType: 01 prone, 07-13 other physical restraint, 04 mechanical, 05 seclusion,
# 06 segregation, 14 rapid tranquillisation.
INTERVENTION = {
    "01": "prone_restraint", "04": "mechanical_restraint", "05": "seclusion", "06": "segregation",
    "14": "rapid_tranquillisation", **{f"{n:02d}": "other_restraint" for n in range(7, 14)},
}
EXPORT_INTERVENTION = {"prone_restraint": "01", "mechanical_restraint": "04", "seclusion": "05",
                       "segregation": "06", "rapid_tranquillisation": "14", "other_restraint": "07"}
# Local incident feed (LOC_Incident): the schema's own values are the codes.
INCIDENT_KIND = {k: k for k in ("self_harm", "assault_on_staff", "assault_on_patient", "absconsion", "other")}
HARM = {k: k for k in ("none", "low", "moderate", "severe", "death")}
FLAG = {"Y": True, "N": False}


def inverse(mapping: dict) -> dict:
    """{schema value: code} for a one-to-one map (the first code wins)."""
    out = {}
    for code, value in mapping.items():
        out.setdefault(value, code)
    return out


def export_service_code(service_line: str, security_level: str) -> str:
    if service_line == "adult_secure":
        return "NCBPS22U" if security_level == "high" else "NCBPS22S"
    if service_line == "camhs":
        return {"low": "NCBPS23L", "medium": "NCBPS22C"}.get(security_level, "NCBPS23K")
    return {"adult_eating_disorders": "NCBPS22E", "perinatal": "NCBPS22P"}[service_line]
