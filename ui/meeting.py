"""Meeting mode: any page projected to a meeting (?meeting=1 in the URL, so a secretary can share the link).

The sidebar and page menu are hidden, type is large (assets/meeting.css, a fixed style sheet), a visible
"Meeting mode" marker says so, and the disclosure rule is the strictest of the audience (ui/context.build:
a lead provider's exact figures are suppressed as for the meeting viewer role). Pages that have several
sections show one per screen with `steps()`: Previous/Next buttons (keys ← and →), the step in the URL
(?step=2) and an optional auto-advance (?auto=30 seconds).
"""

from pathlib import Path

import streamlit as st

from ui.auth import plain

PARAM, STEP, AUTO = "meeting", "step", "auto"
CSS = Path(__file__).resolve().parent.parent / "assets" / "meeting.css"
AUTO_CHOICES = (0, 20, 30, 60)


def is_on() -> bool:
    return st.query_params.get(PARAM) == "1"


def _enter() -> None:
    st.query_params[PARAM] = "1"


def _leave() -> None:
    for key in (PARAM, STEP, AUTO):
        st.query_params.pop(key, None)


def enter_button() -> None:
    """In the sidebar: switch the current page to meeting mode."""
    st.sidebar.button("Meeting mode", icon=":material/co_present:", on_click=_enter,
                      help="Project this page: no sidebar, large type, one section per screen, and figures "
                           "disclosed for the whole room. The address can be shared.")


def start(rule_label: str) -> None:
    """At the top of every page in meeting mode: the style sheet and the visible marker with an exit."""
    st.html(CSS)
    row = st.container(horizontal=True, vertical_alignment="center")
    row.badge("Meeting mode", icon=":material/co_present:", color="blue")
    row.caption(f"Figures disclosed for the audience: {plain(rule_label)}")
    row.button("Exit meeting mode", icon=":material/close:", on_click=_leave, type="tertiary")


def _step_number(count: int) -> int:
    try:
        number = int(st.query_params.get(STEP, "1"))
    except ValueError:
        number = 1
    return min(max(number, 1), count)


def _go(number: int) -> None:
    st.query_params[STEP] = str(number)


def _auto_seconds() -> int:
    try:
        seconds = int(st.query_params.get(AUTO, "0"))
    except ValueError:
        return 0
    return seconds if seconds in AUTO_CHOICES else 0


def steps(names: list[str]) -> str | None:
    """The one section to show now in meeting mode (None outside it: show every section)."""
    if not is_on() or not names:
        return None
    number = _step_number(len(names))
    row = st.container(horizontal=True, vertical_alignment="center")
    row.button("Previous", icon=":material/arrow_back:", shortcut="Left", disabled=number == 1,
               on_click=_go, args=(number - 1,), key="meeting_previous")
    row.button("Next", icon=":material/arrow_forward:", shortcut="Right", disabled=number == len(names),
               on_click=_go, args=(number + 1,), key="meeting_next")
    row.markdown(f"**{number} of {len(names)}:** {plain(names[number - 1])}")
    seconds = _auto_seconds()
    row.selectbox("Auto-advance", AUTO_CHOICES, index=AUTO_CHOICES.index(seconds), key="meeting_auto",
                  format_func=lambda s: "Off" if s == 0 else f"Every {s} s", on_change=_set_auto,
                  label_visibility="collapsed", width=170)
    if seconds and number < len(names):
        _advance_after(seconds, number)
    return names[number - 1]


def _set_auto() -> None:
    st.query_params[AUTO] = str(st.session_state["meeting_auto"])


def _advance_after(seconds: int, number: int) -> None:
    @st.fragment(run_every=seconds)
    def tick():
        if st.session_state.get("_meeting_ticked") == number:
            _go(number + 1)
            st.session_state.pop("_meeting_ticked", None)
            st.rerun(scope="app")
        st.session_state["_meeting_ticked"] = number
    tick()


def show(name: str, current: str | None) -> bool:
    """Draw section `name` now? (always outside meeting mode)."""
    return current is None or current == name
