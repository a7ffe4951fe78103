"""A minimal Streamlit app with sidebar navigation in sections, like the dashboard's router.

tests/test_accessibility_browser.py runs axe-core on it: whatever axe reports here is Streamlit's own markup
(the dashboard cannot change it), so the same finding on a dashboard page is not counted against the dashboard.
It holds only what every dashboard page has from Streamlit itself: the navigation, a title, text, a sidebar.
"""

import streamlit as st


def first() -> None:
    st.title("First page")
    st.write("A paragraph of text.")


def second() -> None:
    st.title("Second page")
    st.write("Another paragraph of text.")


st.set_page_config(page_title="Baseline", layout="wide")
page = st.navigation({"One": [st.Page(first, title="First", icon=":material/dashboard:", default=True)],
                      "Two": [st.Page(second, title="Second", icon=":material/bed:")]})
with st.sidebar:
    st.subheader("Sidebar")
page.run()
