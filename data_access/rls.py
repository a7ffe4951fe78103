"""Optional PostgreSQL row-level security (scripts/postgres_rls.sql): naming the viewer per transaction.

When the reporting database has the policies installed (the function `pcd_visible_wards`
exists), every transaction the app's engine begins first runs
    SELECT set_config('pcd.viewer_role', :role, true), set_config('pcd.viewer_home', :home, true)
(`true` = local to the transaction, like SET LOCAL) with the viewer of the current script run,
so the database itself shows the app role only the patient-level rows that viewer may read.
Values are bound parameters. On DuckDB, or PostgreSQL without the script, nothing happens.

    python -m data_access.rls --url postgresql+psycopg://owner@host/db [--role pcd_app]
applies the script (as the tables' owner; see docs/security.md).
"""

import argparse
import re
import sys
from contextvars import ContextVar
from pathlib import Path

import sqlalchemy as sa

from data_access.access import Viewer
from data_access.dialect import spec_for

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "postgres_rls.sql"
DEFAULT_APP_ROLE = "pcd_app"
ROLE_SETTING, HOME_SETTING = "pcd.viewer_role", "pcd.viewer_home"
_SET = sa.text(f"SELECT set_config('{ROLE_SETTING}', :role, true), set_config('{HOME_SETTING}', :home, true)")
_ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")

_viewer: ContextVar[Viewer | None] = ContextVar("pcd_rls_viewer", default=None)
_installed: dict[int, bool] = {}


def setup_sql(app_role: str = DEFAULT_APP_ROLE) -> str:
    """The setup script with the app role's name (a plain lower-case identifier)."""
    if not _ROLE_NAME.match(app_role):
        raise ValueError(f"'{app_role}' is not a plain role name (lower-case letters, digits, _)")
    return SCRIPT.read_text(encoding="utf-8").replace(DEFAULT_APP_ROLE, app_role)


def apply(engine: sa.Engine, app_role: str = DEFAULT_APP_ROLE) -> None:
    """Run the setup script on the engine's database and current schema (as the tables' owner)."""
    script = setup_sql(app_role)
    with engine.begin() as conn:
        # The driver's own execute with no parameters: the script's %I (format()) must reach the server as is.
        conn.connection.driver_connection.execute(script)


def settings_for(viewer: Viewer | None) -> dict[str, str]:
    """The session settings for a viewer; none (no patient rows) for a missing viewer."""
    if viewer is None:
        return {"role": "", "home": ""}
    return {"role": viewer.role, "home": ",".join(viewer.home)}


def _on_begin(conn: sa.Connection) -> None:
    conn.execute(_SET, settings_for(_viewer.get()))


def enabled(engine: sa.Engine) -> bool:
    """Does the database have the row-level-security functions (PostgreSQL only)?"""
    with engine.connect() as conn:
        return spec_for(conn).has_rls(conn)


def install(engine: sa.Engine) -> bool:
    """Name the viewer at the start of every transaction of `engine` when the policies exist (once per engine)."""
    if id(engine) not in _installed:
        on = enabled(engine)
        if on and not sa.event.contains(engine, "begin", _on_begin):
            sa.event.listen(engine, "begin", _on_begin)
        _installed[id(engine)] = on
    return _installed[id(engine)]


def use_viewer(engine: sa.Engine, viewer: Viewer | None) -> bool:
    """The viewer of this script run (thread) for the row-level-security settings; True when they apply."""
    _viewer.set(viewer)
    try:
        return install(engine)
    except sa.exc.SQLAlchemyError:
        return False


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Install PostgreSQL row-level security for the dashboard")
    parser.add_argument("--url", required=True, help="SQLAlchemy URL, connecting as the owner of the tables")
    parser.add_argument("--role", default=DEFAULT_APP_ROLE, help="the app's database role (created if missing)")
    args = parser.parse_args(argv)
    engine = sa.create_engine(args.url)
    apply(engine, args.role)
    print(f"Row-level security installed; the app role is {args.role}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
