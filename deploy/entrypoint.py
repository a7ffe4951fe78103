"""The app container's entrypoint: secrets from the environment, then `streamlit run`.

Sign-in (st.login) reads an [auth] table from .streamlit/secrets.toml. In a container that table is
written here, at start, from environment variables (never baked into the image):

    PCD_AUTH_CLIENT_ID, PCD_AUTH_CLIENT_SECRET, PCD_AUTH_SERVER_METADATA_URL, PCD_AUTH_REDIRECT_URI,
    PCD_AUTH_COOKIE_SECRET

(all five, or none: local mode). The database URL (PCD_DATABASE_URL), every setting (PCD_<NAME>) and
Streamlit's own cookie secret (STREAMLIT_SERVER_COOKIE_SECRET, the same on every replica) are read from
the environment directly. A secrets.toml mounted by the operator is left as it is.
"""

import json
import os
import sys
from pathlib import Path

SECRETS = Path(__file__).resolve().parent.parent / ".streamlit" / "secrets.toml"
AUTH_FIELDS = ("client_id", "client_secret", "server_metadata_url", "redirect_uri", "cookie_secret")


def auth_table(environ: dict) -> str | None:
    """The [auth] TOML from PCD_AUTH_* variables; None when none is set; ValueError when only some are."""
    values = {name: environ.get(f"PCD_AUTH_{name.upper()}", "").strip() for name in AUTH_FIELDS}
    given = [name for name, value in values.items() if value]
    if not given:
        return None
    missing = [f"PCD_AUTH_{name.upper()}" for name in AUTH_FIELDS if not values[name]]
    if missing:
        raise ValueError(f"sign-in needs all of PCD_AUTH_*: missing {', '.join(missing)}")
    # json.dumps gives a valid TOML basic string (quotes and backslashes escaped).
    return "[auth]\n" + "".join(f"{name} = {json.dumps(values[name])}\n" for name in AUTH_FIELDS)


def main() -> None:
    try:
        table = auth_table(os.environ)
    except ValueError as error:
        sys.exit(f"Not started: {error}")
    if table and not SECRETS.exists():
        SECRETS.parent.mkdir(parents=True, exist_ok=True)
        SECRETS.write_text(table, encoding="utf-8")
        SECRETS.chmod(0o600)
    command = sys.argv[1:] or ["streamlit", "run", "app.py"]
    os.execvp(command[0], command)


if __name__ == "__main__":
    main()
