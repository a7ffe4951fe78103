"""The deterministic demo data generator and its reference data (synthetic, never real patients).

    python -m demo --scale region|national --url URL [--seed 42] [--end-date YYYY-MM-DD]

Kept out of `data_access/` so the app does not import 3,000 lines of generator at start: `ui/db.py`
imports it only when the embedded demo database has to be built.
"""

from demo.generator import build_demo, main

__all__ = ["build_demo", "main"]
