"""A minimal Streamlit app with sidebar navigation in sections, like the dashboard's router.

tests/test_accessibility_browser.py runs axe-core on it: whatever axe reports here is Streamlit's own markup
(the dashboard cannot change it), so the same finding on a dashboard page is not counted against the dashboard.
It holds only Streamlit's own pieces the dashboard uses unchanged: the navigation in sections, a title, text, a
sidebar, and the date inputs (single and range) whose day/month/year segments are Streamlit's markup.
"""

import datetime as dt

import streamlit as st


def first() -> None:
    st.title("First page")
    st.write("A paragraph of text.")
    st.date_input("A date", value=dt.date(2024, 3, 31), format="DD/MM/YYYY")


def second() -> None:
    st.title("Second page")
    st.write("Another paragraph of text.")
    st.date_input("From – to", value=(dt.date(2024, 1, 1), dt.date(2024, 3, 31)), format="DD/MM/YYYY")


st.set_page_config(page_title="Baseline", layout="wide")
page = st.navigation({"One": [st.Page(first, title="First", icon=":material/dashboard:", default=True)],
                      "Two": [st.Page(second, title="Second", icon=":material/bed:")]})
with st.sidebar:
    st.subheader("Sidebar")
page.run()
