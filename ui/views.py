"""Sections of a page that give up alone: a query past query_timeout_seconds shows a message in its
place (data_access.dialect.QueryTimeout) and the rest of the page is still drawn."""

import functools

import streamlit as st

from data_access.dialect import QueryTimeout

ICON = ":material/timer_off:"


def show_timeout(error: QueryTimeout) -> None:
    st.warning(str(error), icon=ICON)


def guarded(section):
    """Decorate a page section: on QueryTimeout it shows the message and returns None."""
    @functools.wraps(section)
    def run(*args, **kwargs):
        try:
            return section(*args, **kwargs)
        except QueryTimeout as error:
            show_timeout(error)
            return None
    return run
