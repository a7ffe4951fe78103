"""First start with nothing configured: the app builds the regional demo DuckDB file and says it is synthetic."""

from streamlit.testing.v1 import AppTest

from data_access import engine as engine_settings
from tests.apptest import APP


def test_first_start_builds_the_demo_database(monkeypatch, tmp_path):
    target = tmp_path / "data" / "demo_region.duckdb"
    monkeypatch.setattr(engine_settings, "DEFAULT_DEMO_PATH", target)
    monkeypatch.delenv("PCD_DATABASE_URL", raising=False)
    at = AppTest.from_file(APP, default_timeout=300)
    at.run()
    assert not at.exception
    assert target.exists() and not target.with_suffix(".building").exists()
    notices = [i.value for i in at.sidebar.info]
    assert any("Synthetic demonstration data" in text for text in notices)
    # A second start uses the file as it is (no rebuild): same modification time.
    built = target.stat().st_mtime
    AppTest.from_file(APP, default_timeout=300).run()
    assert target.stat().st_mtime == built
