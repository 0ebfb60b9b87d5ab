"""The Room page: one workshop on several laptops, the facilitator's moves on every screen.

``/room`` opens a room. ``/room?room=CODE`` is a participant's view: the facilitator's
thresholds, segment and scenario with their headline figures, and the named proposals with
theirs, all re-read every second (a fragment with ``run_every``; the room's version says
whether anything moved), and a form to propose thresholds, two minimums or one total score.
``&key=...`` (the facilitator's link) adds the controls, each change published to the room at
once, the open rooms with their age, and a button that closes the room. ``&as=Name`` keeps a
participant's name over a reload. Rooms live in the store (:meth:`Workbench.open_room`), so a
reload, or a restart, loses nothing; figures come from :meth:`Workbench.figures`, kept per
room version, data and weights in force (:meth:`Workbench.figures_basis`). A closed room's
links say so and show what it showed, without re-reading it any more.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st
from streamlit.errors import StreamlitAPIException

from calibrate import fmt
from calibrate.decide.room import (
    MAX_AGE_DAYS,
    Room,
    age_words,
    closed_words,
    definition,
    expired,
    figure_arguments,
    normal_code,
)
from calibrate.decide.tradeoff import Figures
from calibrate.errors import APP, CalibrateError
from calibrate.thresholds import Bar
from calibrate.ui import state
from calibrate.ui.thresholds import slider_key
from calibrate.workbench import Workbench

ALL = "All segments"
NO_SCENARIO = "No scenario"
LIVE = "room_live"
CONTROLS = "room_controls"
AUTHOR = "room_author"
MESSAGE = "room_message"
LIVE_MESSAGE = "room_live_message"
CLOSE_MESSAGE = "room_close_message"
#: The facilitator's controls, kept in the session under these keys.
TOTAL, PROFILE, BEHAVIOR, MIN_TOTAL, SEGMENT, SCENARIO = (
    "room_total", "room_min_profile", "room_min_behavior", "room_min_total", "room_segment",
    "room_scenario")
#: A participant's proposal: two minimums or one total score, as the radio words them.
BOTH_MODE, TOTAL_MODE = "Profile and behavior", "Total score"
PROPOSE_MODE = "room_propose_mode"
#: Seconds between two reads of the room on every screen.
EVERY = 1
#: Seconds a room's figures are kept (they are keyed on the room's version, the data and
#: the weights in force, so a move, a load or a refit shows at the next read anyway).
KEEP_FIGURES = 30


def render() -> None:
    st.title("Workshop room")
    wb = state.workbench()
    code = normal_code(st.query_params.get("room"))
    if not code:
        lobby()
        return
    try:
        room = wb.room(code)
    except CalibrateError as exc:
        st.error(exc.shown_in(APP).message)
        open_button("Open a new room")
        return
    key = st.query_params.get("key")
    host = room.is_host(key)
    author = participant()
    st.subheader(f"Room {room.code}", anchor=False)
    if room.closed:
        closed_room(room, str(key) if host else None, author)
        return
    if host:
        st.caption("You are the facilitator: every move below shows on every screen in this "
                   "room within a second or two.")
        share(room.code)
        controls(room.code, str(key))
    else:
        if key:
            st.warning("This link's key is not this room's: you see the room as a "
                       "participant.")
        st.caption(f"You are {fmt.md(author)}, a participant." if author else
                   "You are a participant: the facilitator's thresholds show here as they "
                   "move.")
    live(room.code, str(key) if host else None, author)
    if host:
        close_form(room.code, str(key))
        open_rooms(room.code)
    else:
        propose_form(room)


def closed_room(room: Room, key: str | None, author: str) -> None:
    """A closed room: who closed it and when, and what it showed, drawn once (no fragment
    re-reads it); the facilitator may open a new one."""
    st.warning(closed_words(room) + (" Open a new room below." if key else
                                     " Ask the facilitator for a new room's link."))
    wb = state.workbench()
    figures, problem = room_figures(wb, room) if wb.leads else ({}, None)
    facilitator(room, figures.get(""))
    if problem:
        st.warning(problem)
    proposals(room, figures, None, author, closed=True)
    if key:
        open_button("Open a new room")
        open_rooms(room.code)


def lobby() -> None:
    """Without a room: open one (the facilitator), or join one by its code."""
    st.markdown("Run a workshop on several laptops: open a room, share its link, and "
                "everyone sees your thresholds, segment and scenario as you move them, and "
                "can propose thresholds of their own for all to see.")
    open_button("Open a room")
    with st.form("room_join", border=True):
        st.text_input("Room code", placeholder="ABCDEF", key="room_join_code",
                      help="The six letters in the link the facilitator shared.")
        if st.form_submit_button("Join the room"):
            st.query_params.from_dict({"room": normal_code(st.session_state.room_join_code)})
            st.rerun()


def open_button(label: str) -> None:
    """A button that opens a room at the workshop's thresholds (or 50 and 50) and puts the
    facilitator in it: the URL gets the room and its host key."""
    if st.button(label, type="primary", key="room_open"):
        try:
            room = state.workbench().open_room(thresholds=workshop_bar())
        except CalibrateError as exc:
            state.show_error(exc)
            return
        st.query_params.from_dict({"room": room.code, "key": room.key})
        st.rerun()


def workshop_bar() -> dict | None:
    """The Thresholds screen's main bar in this session, if it was moved (a room opens
    there)."""
    got = {n: st.session_state.get(slider_key(n, None))
           for n in ("min_profile", "min_behavior", "min_total")}
    if st.session_state.get("total_mode") and got["min_total"] is not None:
        return {"mode": "total", "min_total": int(got["min_total"])}
    if got["min_profile"] is not None and got["min_behavior"] is not None:
        return {"mode": "both", "min_profile": int(got["min_profile"]),
                "min_behavior": int(got["min_behavior"])}
    return None


def participant() -> str:
    """This participant's name: the session's, else the URL's ``as`` (a reload keeps it);
    the URL follows the session."""
    name = st.session_state.get(AUTHOR) or st.query_params.get("as") or ""
    if name:
        st.session_state.setdefault(AUTHOR, name)
        if st.query_params.get("as") != name:
            st.query_params["as"] = name
    return name


def share(code: str) -> None:
    """The participants' link: the page's address with the room and without the key."""
    base = (st.context.url or "/room").rstrip("/")
    st.markdown("**Participants' link** (it carries no key: share it with the room)")
    st.code(f"{base}?room={code}", language=None)
    st.caption("Your own link carries the host key that moves the room: keep it to "
               "yourself.")


# ------------------------------------------------------------------ the facilitator


def _load_controls(room: Room) -> None:
    """Put the room's state on the controls (a new session, a reload)."""
    bar = room.thresholds.main or Bar()
    st.session_state[TOTAL] = bar.mode == "total"
    st.session_state[PROFILE] = int(bar.min_profile if bar.min_profile is not None else 50)
    st.session_state[BEHAVIOR] = int(bar.min_behavior if bar.min_behavior is not None else 50)
    st.session_state[MIN_TOTAL] = int(bar.min_total if bar.min_total is not None else 50)
    st.session_state[SEGMENT] = room.segment or ALL
    st.session_state[SCENARIO] = room.scenario or NO_SCENARIO
    st.session_state["room_controls_for"] = room.code


@st.fragment(key=CONTROLS)
def controls(code: str, key: str) -> None:
    """The facilitator's sliders, segment and scenario; each change is published."""
    wb = state.workbench()
    if st.session_state.get("room_controls_for") != code:
        try:
            _load_controls(wb.room(code))
        except CalibrateError as exc:
            state.show_error(exc)
            return
    segments, scenarios = [ALL], [NO_SCENARIO]
    if wb.leads:
        try:
            segments += [s for s in wb.grid().segments if s is not None]
        except CalibrateError as exc:
            state.show_error(exc)
        scenarios += [row["name"] for row in wb.overview()["scenarios"]]
    for name, options in ((SEGMENT, segments), (SCENARIO, scenarios)):
        if st.session_state.get(name) not in options:
            st.session_state[name] = options[0]
    publish = {"on_change": _publish, "args": (code, key)}
    st.toggle("Use one total score instead of two thresholds", key=TOTAL,
              on_change=_publish, args=(code, key, True))
    left, right = st.columns(2)
    if st.session_state[TOTAL]:
        left.slider("Minimum total score", 0, 100, key=MIN_TOTAL, **publish)
    else:
        left.slider("Minimum profile score", 0, 100, key=PROFILE,
                    help="Who they are: title, department, industry, region, size.", **publish)
        right.slider("Minimum behavior score", 0, 100, key=BEHAVIOR,
                     help="What they did: visits, pricing pages, webinars, email clicks.",
                     **publish)
    left, right = st.columns(2)
    left.selectbox("Segment", segments, key=SEGMENT, **publish,
                   help="The leads everyone's figures count.")
    right.selectbox("Scenario", scenarios, key=SCENARIO, on_change=_load_scenario,
                    args=(code, key), help="Put a saved scenario's thresholds on the "
                                           "sliders, for everyone.")
    message = st.session_state.pop(MESSAGE, None)
    if message:
        st.error(message)


def _load_scenario(code: str, key: str) -> None:
    """A scenario chosen: its thresholds on the sliders (and its segment), then published."""
    name = st.session_state.get(SCENARIO)
    if name and name != NO_SCENARIO:
        try:
            t = state.workbench().scenario(name).thresholds
        except CalibrateError as exc:
            st.session_state[MESSAGE] = exc.shown_in(APP).message
            return
        bar = t.main or Bar()
        st.session_state[TOTAL] = bar.mode == "total"
        for slot, value in ((PROFILE, bar.min_profile), (BEHAVIOR, bar.min_behavior),
                            (MIN_TOTAL, bar.min_total)):
            if value is not None:
                st.session_state[slot] = int(value)
        if t.only:
            st.session_state[SEGMENT] = t.only
    _publish(code, key, True)


def _publish(code: str, key: str, redraw: bool = False) -> None:
    """The controls as they are now, published to the room; then the live view reruns, so
    the facilitator sees the move at once too (and the controls, when ``redraw``: a
    scenario put on the sliders, the total score toggled, an error to show)."""
    wb = state.workbench()
    s = st.session_state
    main = (Bar("total", min_total=int(s[MIN_TOTAL])) if s.get(TOTAL)
            else Bar(min_profile=int(s[PROFILE]), min_behavior=int(s[BEHAVIOR])))
    scenario = s.get(SCENARIO) if s.get(SCENARIO) not in (None, NO_SCENARIO) else None
    segment = s.get(SEGMENT) if s.get(SEGMENT) not in (None, ALL) else None
    try:
        saved = wb.scenario(scenario).thresholds if scenario else None
        wb.move_room(code, key, thresholds=definition(main, saved), segment=segment,
                     scenario=scenario)
    except CalibrateError as exc:
        s[MESSAGE] = exc.shown_in(APP).message
        redraw = True
    try:
        st.rerun([CONTROLS, LIVE] if redraw else LIVE)
    except StreamlitAPIException:
        # A fragment not drawn by the last run (the room was closed in the same request,
        # so the controls are gone): the whole page, which says so.
        st.rerun()


# ------------------------------------------------------------------ everyone


def room_figures(wb: Workbench, room: Room) -> tuple[dict[str, Figures], str | None]:
    """The figures of the room's thresholds (key ``""``) and of each proposal, kept for
    every session of the process per room version, data version and weights in force (a
    refit shows at the next read). Needs leads loaded."""
    return _figures(state.db_path(), room.code, room.version, wb.figures_basis(), room, wb)


@st.cache_data(ttl=KEEP_FIGURES, max_entries=256, show_spinner=False)
def _figures(db: str, code: str, version: int, basis: tuple[int, int | None], _room: Room,
             _wb: Workbench) -> tuple[dict[str, Figures], str | None]:
    """The figures of the room's thresholds (key ``""``) and of each proposal, over the
    room's segment, from :meth:`Workbench.figures`; kept per room version and ``basis``
    (the data version and the weights in force) for every session of the process (an
    error's message instead when they cannot be had)."""
    wb = _wb
    out: dict[str, Figures] = {}
    try:
        out[""] = wb.figures(**figure_arguments(_room.thresholds, _room.segment))
        for p in _room.proposals:
            out[p.name] = wb.figures(**figure_arguments(p.thresholds, _room.segment))
    except CalibrateError as exc:
        return out, exc.shown_in(APP).message
    return out, None


@st.fragment(run_every=EVERY, key=LIVE)
def live(code: str, key: str | None, author: str) -> None:
    """What everyone sees, re-read every second: the facilitator's thresholds, segment,
    scenario and figures, and the proposals with theirs."""
    wb = state.workbench()
    try:
        room = wb.room(code)
    except CalibrateError as exc:
        st.error(exc.shown_in(APP).message)
        return
    if room.closed:  # the whole page says so, and draws no fragment re-reading it
        st.rerun()
    figures: dict[str, Figures] = {}
    problem = None
    if wb.leads:
        figures, problem = room_figures(wb, room)
    else:
        st.info("No leads loaded yet: open the **Data** page to load the sample or your own "
                "export.")
    facilitator(room, figures.get(""))
    if problem:
        st.warning(problem)
    proposals(room, figures, key, author)
    message = st.session_state.pop(LIVE_MESSAGE, None)
    if message:
        st.error(message)
    st.caption(f"Room {room.code} · version {room.version} · read every {EVERY} s")


def facilitator(room: Room, f: Figures | None) -> None:
    """The facilitator's thresholds, segment and scenario, and their headline figures."""
    st.markdown("**The facilitator's thresholds**")
    bar = room.thresholds.main or Bar()
    c = st.columns(4)
    if bar.mode == "total":
        c[0].metric("Total threshold", bar.min_total)
    else:
        c[0].metric("Profile threshold", bar.min_profile)
        c[1].metric("Behavior threshold", bar.min_behavior)
    c[2].metric("Segment", room.segment or ALL)
    c[3].metric("Scenario", room.scenario or "none")
    if room.thresholds.segments:
        st.caption("With segments' own bars: " + fmt.md(room.thresholds.describe()) + ".")
    if f is not None:
        headline(f)


def headline(f: Figures) -> None:
    """The four headline figures, as the Thresholds screen words them."""
    per = "a month" if f.dated else "in all"
    c = st.columns(4)
    c[0].metric(f"MQLs {per}", fmt.per_month(f.mqls_per_month))
    c[1].metric("Conversion", fmt.percent(f.conversion),
                help="Win rate of closed MQLs, 95% interval "
                     + fmt.interval(f.conversion_low, f.conversion_high))
    c[2].metric(f"Wins {per}", fmt.per_month(f.wins_per_month))
    c[3].metric("Share of all wins", fmt.percent(f.win_share))


def proposals(room: Room, figures: dict[str, Figures], key: str | None, author: str, *,
              closed: bool = False) -> None:
    """The named proposals beside the facilitator's thresholds, each with its figures; a
    Withdraw button on those this viewer may withdraw (none once the room is closed)."""
    st.markdown("**Proposals**")
    if not room.proposals:
        st.caption("No proposals were made." if closed else
                   "No proposals yet: participants propose thresholds with the form on "
                   "their screen.")
        return
    st.table(proposal_table(room, figures))
    for p in room.proposals if not closed else ():
        if room.may_withdraw(p, key, author):
            st.button(f"Withdraw '{p.name}'", key=f"room_withdraw::{p.name}",
                      on_click=_withdraw, args=(room.code, p.name, key, author))


def proposal_table(room: Room, figures: dict[str, Figures]) -> pd.DataFrame:
    """One line per proposal, the facilitator's thresholds first, formatted for the room."""
    dated = next((f.dated for f in figures.values()), True)
    per = "a month" if dated else "in all"
    rows = [("The facilitator's", "", room.thresholds, figures.get(""))]
    rows += [(p.name, p.author, p.thresholds, figures.get(p.name)) for p in room.proposals]
    return pd.DataFrame([{
        "Proposal": name, "By": who, "Thresholds": t.describe(),
        f"MQLs {per}": fmt.per_month(f.mqls_per_month) if f else "–",
        "Conversion": fmt.percent(f.conversion) if f else "–",
        f"Wins {per}": fmt.per_month(f.wins_per_month) if f else "–",
        "Share of all wins": fmt.percent(f.win_share) if f else "–",
    } for name, who, t, f in rows]).set_index("Proposal")


def _withdraw(code: str, name: str, key: str | None, author: str) -> None:
    try:
        state.workbench().withdraw(code, name, key=key, author=author)
    except CalibrateError as exc:
        st.session_state[LIVE_MESSAGE] = exc.shown_in(APP).message


def propose_form(room: Room) -> None:
    """A participant's form: thresholds under a name, for everyone to see: a minimum
    profile and behavior score, or one minimum total score (the radio above the form,
    which starts on the facilitator's mode)."""
    bar = room.thresholds.main or Bar()
    for slot, value in (("room_propose_profile", bar.min_profile),
                        ("room_propose_behavior", bar.min_behavior),
                        ("room_propose_total", bar.min_total)):
        st.session_state.setdefault(slot, int(value) if value is not None else 50)
    st.session_state.setdefault(PROPOSE_MODE, TOTAL_MODE if bar.mode == "total" else BOTH_MODE)
    st.markdown("**Propose thresholds**")
    st.radio("Propose", (BOTH_MODE, TOTAL_MODE), key=PROPOSE_MODE, horizontal=True,
             label_visibility="collapsed",
             help="Two minimums (a lead passes both), or one minimum total score.")
    total = st.session_state[PROPOSE_MODE] == TOTAL_MODE
    with st.form("room_propose", border=True):
        c = st.columns([1.4, 1, 0.8, 0.8])
        c[0].text_input("Proposal name", placeholder="Sales view", key="room_propose_name",
                        help="A proposal of the same name is replaced.")
        c[1].text_input("Your name", key=AUTHOR)
        if total:
            c[2].number_input("Total", min_value=0, max_value=100, step=1,
                              key="room_propose_total", help="Minimum total score")
        else:
            c[2].number_input("Profile", min_value=0, max_value=100, step=1,
                              key="room_propose_profile", help="Minimum profile score")
            c[3].number_input("Behavior", min_value=0, max_value=100, step=1,
                              key="room_propose_behavior", help="Minimum behavior score")
        st.form_submit_button("Propose thresholds", type="primary", on_click=_propose,
                              args=(room.code,))
        message = st.session_state.pop(MESSAGE, None)
        if message:
            kind, text = message if isinstance(message, tuple) else ("error", message)
            (st.success if kind == "ok" else st.error)(text)


def _propose(code: str) -> None:
    """Publish the form's proposal before the page reruns, so this screen shows it at
    once; the name goes into the URL (``as``) so a reload keeps it."""
    s = st.session_state
    values = ({"min_total": int(s["room_propose_total"])} if s.get(PROPOSE_MODE) == TOTAL_MODE
              else {"min_profile": int(s["room_propose_profile"]),
                    "min_behavior": int(s["room_propose_behavior"])})
    try:
        room = state.workbench().propose(code, s.get("room_propose_name", ""),
                                         s.get(AUTHOR, ""), **values)
    except CalibrateError as exc:
        s[MESSAGE] = exc.shown_in(APP).message
        return
    name = " ".join(str(s.get("room_propose_name", "")).split())
    shown = room.proposal(name)
    s[MESSAGE] = ("ok", f"Proposed '{fmt.md(shown.name if shown else name)}' to the room.")
    st.query_params["as"] = " ".join(str(s.get(AUTHOR, "")).split())


# ------------------------------------------------------------------ closing rooms


def close_form(code: str, key: str) -> None:
    """The facilitator's Close button, in an expander that says what closing does."""
    with st.expander("Close this room"):
        st.markdown("Closing ends the workshop on every screen: the room's links say it was "
                    "closed by its facilitator and stop refreshing, and nobody can move it or "
                    "propose in it any more. Its thresholds and proposals are kept.")
        st.button("Close the room for everyone", key="room_close", on_click=_close,
                  args=(code, key))
        message = st.session_state.pop(CLOSE_MESSAGE, None)
        if message:
            st.error(message)


def _close(code: str, key: str) -> None:
    try:
        state.workbench().close_room(code, key)
    except CalibrateError as exc:
        st.session_state[CLOSE_MESSAGE] = exc.shown_in(APP).message


def open_rooms(code: str) -> None:
    """The facilitator's list of the open rooms with their age, so old ones are seen and
    closed (each from its own facilitator's link; those past the age limit close when a
    new room opens)."""
    rooms = state.workbench().rooms()
    with st.expander(f"Open rooms ({len(rooms)})"):
        if rooms:
            st.dataframe(open_rooms_table(rooms, code), hide_index=True, width="stretch")
        st.caption(f"A room opened more than {MAX_AGE_DAYS} days ago is closed when a new "
                   "room opens. Close any other from its facilitator's link.")


def open_rooms_table(rooms: list[Room], code: str) -> pd.DataFrame:
    """One line per open room: its code, when it opened and how long ago, its proposals,
    and a note on this room and on rooms old enough to close."""
    return pd.DataFrame([{
        "Room": r.code, "Opened": f"{r.created_at:%Y-%m-%d %H:%M}", "Age": age_words(r),
        "Proposals": len(r.proposals),
        "Note": "this room" if r.code == code else
        "closes when a new room opens" if expired(r) else "",
    } for r in rooms])
