"""Shared presentation constants with no Streamlit import (the colour palette), usable from every layer."""
