"""Settings: every setting documented in the README, limits enforced, bad values refused with a message."""

from pathlib import Path

import settings

README = Path(__file__).resolve().parent.parent / "README.md"


def test_readme_lists_every_setting():
    text = README.read_text()
    missing = [name for name in settings.SETTINGS if f"`{name}`" not in text]
    assert missing == []


def test_defaults_load_without_problems(monkeypatch):
    values, problems = settings.load({})
    assert problems == []
    assert values["women_los_benchmark_days"] == 728
    assert settings.assessment_targets(values) == {"emergency": 2, "urgent": 7, "routine": 14}


def test_secrets_then_environment_override(monkeypatch):
    values, _ = settings.load({"settings": {"assessment_target_routine_days": 21}})
    assert values["assessment_target_routine_days"] == 21
    monkeypatch.setenv("PCD_ASSESSMENT_TARGET_ROUTINE_DAYS", "28")
    values, _ = settings.load({"settings": {"assessment_target_routine_days": 21}})
    assert values["assessment_target_routine_days"] == 28


def test_bad_values_fall_back_to_default_with_a_message(monkeypatch):
    values, problems = settings.load({"settings": {"local_role": "superuser", "max_upload_mb": 10_000,
                                                   "stale_bed_state_hours": "soon"}})
    assert values["local_role"] == "viewer"  # an unknown role gets the least privilege (issue 11, defect 8)
    assert values["max_upload_mb"] == 10
    assert values["stale_bed_state_hours"] == 24
    assert len(problems) == 3 and sum("Using the default" in p for p in problems) == 2
    assert any("Using viewer, the least privilege" in p for p in problems)
