"""The dashboard's settings: each with a default, limits and a description.

Values come from, in order: the environment (`PCD_<NAME>` upper case), the
`[settings]` table of .streamlit/secrets.toml, then the default. A value outside its
limits is refused with a clear message and the default is used. README.md lists every
setting (a test checks).
"""

import os
from dataclasses import dataclass

from data_access.access import ROLES


@dataclass(frozen=True)
class Setting:
    name: str
    default: object
    description: str
    choices: tuple = ()
    low: float | None = None
    high: float | None = None
    refused: object = None  # the value used when a given value is refused (None: the default)


SETTINGS = {s.name: s for s in [
    Setting("assessment_target_emergency_days", 2, "Days from referral to access assessment, emergency referrals",
            low=0, high=90),
    Setting("assessment_target_urgent_days", 7, "Days from referral to access assessment, urgent referrals",
            low=0, high=90),
    Setting("assessment_target_routine_days", 14, "Days from referral to access assessment, routine referrals",
            low=0, high=180),
    Setting("women_los_benchmark_days", 728, "Benchmark for women's length of stay (NHS Benchmarking)",
            low=1, high=20000),
    Setting("stale_bed_state_hours", 24, "A ward's bed state older than this is flagged as stale", low=1, high=720),
    Setting("bed_state_ttl_seconds", 120, "How long live bed-state queries are cached", low=5, high=3600),
    Setting("query_ttl_seconds", 600, "How long other queries are cached", low=10, high=86400),
    Setting("query_timeout_seconds", 20.0, "A query running longer than this is stopped and its view says so",
            low=0.01, high=600),
    Setting("local_role", "lead_provider", "Role of the single local user when no sign-in is configured "
            "(an unknown or misspelt role gives the least privilege, viewer)", choices=ROLES, refused="viewer"),
    Setting("local_scope", "collaborative:IMPACT",
            "Organisation of the local user (a scope key, e.g. collaborative:IMPACT)"),
    Setting("roles_file", "", "TOML file with the [roles] table mapping signed-in users to roles (else secrets.toml)"),
    Setting("max_upload_mb", 10, "Largest file an upload may be, in MB", low=1, high=200),
    Setting("max_extract_file_mb", 500, "Largest CSV file of a monthly extract, in MB", low=1, high=5000),
    Setting("max_extract_rows", 2_000_000, "Most rows one CSV file of a monthly extract may have",
            low=100, high=50_000_000),
    Setting("extract_due_days", 28, "Days after a month ends by which its extract counts as on time",
            low=1, high=120),
    Setting("boundaries_file", "", "GeoJSON of NHS England regions, ICBs or sub-ICB locations (ONS Open Geography, "
            "WGS84) drawn on the bed maps; empty = the UK outline only"),
    Setting("max_timeline_rows", 500, "Most referrals drawn one by one on the timeline chart", low=10, high=5000),
]}


class SettingError(ValueError):
    pass


def _coerce(setting: Setting, raw) -> object:
    default = setting.default
    try:
        value = type(default)(raw) if not isinstance(default, str) else str(raw)
    except (TypeError, ValueError) as error:
        raise SettingError(f"Setting {setting.name}: '{raw}' is not a {type(default).__name__}.") from error
    if setting.choices and value not in setting.choices:
        raise SettingError(f"Setting {setting.name}: '{value}' is not one of {', '.join(setting.choices)}.")
    if setting.low is not None and not setting.low <= value <= setting.high:
        raise SettingError(f"Setting {setting.name}: {value} is outside {setting.low}–{setting.high}.")
    return value


def load(secrets: dict | None = None) -> tuple[dict, list[str]]:
    """All settings as {name: value}, and a list of problems (values refused, defaults used)."""
    table = {}
    try:
        table = dict((secrets or {}).get("settings", {}))
    except (AttributeError, TypeError):
        table = {}
    values, problems = {}, []
    for name, setting in SETTINGS.items():
        raw = os.environ.get(f"PCD_{name.upper()}", table.get(name, setting.default))
        try:
            values[name] = _coerce(setting, raw)
        except SettingError as error:
            if setting.refused is not None:
                problems.append(f"{error} Using {setting.refused}, the least privilege.")
                values[name] = setting.refused
            else:
                problems.append(f"{error} Using the default, {setting.default}.")
                values[name] = setting.default
    return values, problems


def assessment_targets(values: dict) -> dict:
    return {u: values[f"assessment_target_{u}_days"] for u in ("emergency", "urgent", "routine")}
