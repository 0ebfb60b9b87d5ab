"""A workshop room: one facilitator's thresholds, shown live to every participant.

Several laptops open the same room link. The facilitator's link carries the room's host
key and moves its thresholds, segment and scenario; everyone sees them, and anyone may
propose thresholds of their own under a name, which everyone sees too. A :class:`Room` is a
plain value: each change returns a new room with its ``version`` moved on, so a screen
knows from one number whether it must redraw. The store keeps it as :meth:`Room.to_dict`
(:mod:`calibrate.data.rooms`), so a reload, or a restarted server, loses nothing.

A room is open until its facilitator closes it (:func:`close`), or until a new room opens
once it is more than :data:`MAX_AGE_DAYS` days old (:func:`expire`): a closed room refuses
every change, and its links say it was closed; what it showed is kept.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Literal

from calibrate.errors import CalibrateError
from calibrate.thresholds import Bar, Thresholds

#: Room codes: capitals without the ones read alike (I, L and O beside 1 and 0).
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 6
MAX_NAME = 60
MAX_PROPOSALS = 50
#: Where a room starts before the facilitator moves it (the Thresholds screen's default).
START = Bar(min_profile=50, min_behavior=50)
#: Days after which an open room is closed when a new room opens (old workshops' links
#: stop working instead of piling up).
MAX_AGE_DAYS = 30
#: Why a room was closed: its facilitator closed it, or it grew older than MAX_AGE_DAYS.
Closed = Literal["facilitator", "age"]


@dataclass(frozen=True)
class Proposal:
    """Thresholds a participant proposes, under a name unique in its room."""

    name: str
    author: str
    thresholds: Thresholds
    created_at: datetime

    def to_dict(self) -> dict[str, Any]:
        """The stored form (JSON-ready)."""
        return {"name": self.name, "author": self.author,
                "thresholds": self.thresholds.to_dict(),
                "created_at": self.created_at.isoformat(timespec="seconds")}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Proposal:
        """A proposal as :meth:`to_dict` stored it."""
        return cls(str(data["name"]), str(data.get("author") or ""),
                   Thresholds.of(data.get("thresholds")),
                   datetime.fromisoformat(str(data["created_at"])))


@dataclass(frozen=True)
class Room:
    """One workshop room: its code, the facilitator's secret key, what the facilitator
    shows (thresholds, segment, scenario) and the participants' named proposals."""

    code: str
    key: str
    thresholds: Thresholds
    segment: str | None = None  # None: all segments
    scenario: str | None = None  # the scenario the facilitator loaded, if any
    version: int = 1
    proposals: tuple[Proposal, ...] = field(default_factory=tuple)
    created_at: datetime = field(default_factory=lambda: datetime.now().replace(microsecond=0))
    closed_at: datetime | None = None  # None: open
    closed_by: Closed | None = None

    @property
    def closed(self) -> bool:
        """Whether the room was closed (it then refuses every change)."""
        return self.closed_at is not None

    def proposal(self, name: str) -> Proposal | None:
        """The proposal of that name (trimmed, without case), if any."""
        wanted = _fold(name)
        return next((p for p in self.proposals if _fold(p.name) == wanted), None)

    def is_host(self, key: str | None) -> bool:
        """Whether ``key`` is this room's host key (compared in constant time)."""
        return bool(key) and hmac.compare_digest(str(key).encode(), self.key.encode())

    def may_withdraw(self, proposal: Proposal, key: str | None, author: str | None) -> bool:
        """Whether the facilitator (``key``) or the proposal's author may withdraw it."""
        return self.is_host(key) or _fold(author or "") == _fold(proposal.author)

    def to_dict(self) -> dict[str, Any]:
        """The stored form (JSON-ready): the store keeps it in a ``meta`` row."""
        return {"code": self.code, "key": self.key, "thresholds": self.thresholds.to_dict(),
                "segment": self.segment, "scenario": self.scenario, "version": self.version,
                "proposals": [p.to_dict() for p in self.proposals],
                "created_at": self.created_at.isoformat(timespec="seconds"),
                "closed_at": (self.closed_at.isoformat(timespec="seconds")
                              if self.closed_at else None),
                "closed_by": self.closed_by}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Room:
        """A room as :meth:`to_dict` stored it (one kept before rooms could close: open)."""
        closed = data.get("closed_at")
        return cls(str(data["code"]), str(data["key"]), Thresholds.of(data.get("thresholds")),
                   data.get("segment") or None, data.get("scenario") or None,
                   int(data.get("version") or 1),
                   tuple(Proposal.from_dict(p) for p in data.get("proposals") or ()),
                   datetime.fromisoformat(str(data["created_at"])),
                   datetime.fromisoformat(str(closed)) if closed else None,
                   (data.get("closed_by") or "facilitator") if closed else None)


def _fold(text: str) -> str:
    return " ".join(str(text).split()).casefold()


def new_code() -> str:
    """A fresh room code: six capitals easy to read aloud and type (no I, L or O)."""
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def normal_code(text: str | None) -> str:
    """A room code as typed or linked (spaces, lower case) in its stored form."""
    return "".join(str(text or "").split()).upper()


def open_room(thresholds: Thresholds | None = None, *, code: str | None = None) -> Room:
    """A new room with a fresh code and host key, at ``thresholds`` (else 50 and 50)."""
    start = checked(thresholds) if thresholds else Thresholds(START)
    return Room(code=normal_code(code) or new_code(), key=secrets.token_urlsafe(16),
                thresholds=start)


def move(room: Room, key: str | None, thresholds: Thresholds, segment: str | None = None,
         scenario: str | None = None) -> Room:
    """The room with the facilitator's new thresholds, segment and scenario; refused for
    anyone without the host key, and once the room is closed."""
    _still_open(room)
    if not room.is_host(key):
        raise CalibrateError(
            f"Only the facilitator of room {room.code} can move its thresholds.",
            fix="Pass the host key open_room() returned (room.key), or propose these "
                "thresholds with propose().",
            app_fix="Open the facilitator's link (the one with key= in it), or propose "
                    "these thresholds under a name for everyone to see.")
    return replace(room, thresholds=checked(thresholds), segment=_optional(segment),
                   scenario=_optional(scenario), version=room.version + 1)


def propose(room: Room, name: str, author: str, thresholds: Thresholds,
            now: datetime | None = None) -> Room:
    """The room with a named proposal added; a proposal of the same name (trimmed,
    without case) is replaced. Refused once the room is closed."""
    _still_open(room)
    name = clean(name, "proposal name", required=True)
    author = clean(author, "name", required=True)
    proposal = Proposal(name, author, checked(thresholds),
                        (now or datetime.now()).replace(microsecond=0))
    kept = tuple(p for p in room.proposals if _fold(p.name) != _fold(name))
    if len(kept) >= MAX_PROPOSALS:
        raise CalibrateError(
            f"Room {room.code} already holds {MAX_PROPOSALS} proposals.",
            fix="Withdraw some with withdraw(), or reuse a name to replace its proposal.",
            app_fix="Ask the facilitator to withdraw some, or propose under a name already "
                    "listed to replace it.")
    return replace(room, proposals=(*kept, proposal), version=room.version + 1)


def withdraw(room: Room, name: str, key: str | None = None, *,
             author: str | None = None) -> Room:
    """The room without the proposal ``name``: the facilitator (``key``) may withdraw any,
    a participant (``author``) their own. Refused once the room is closed."""
    _still_open(room)
    found = room.proposal(name)
    if found is None:
        listed = ", ".join(f"'{p.name}'" for p in room.proposals) or "none yet"
        raise CalibrateError(f"Room {room.code} has no proposal '{str(name).strip()}'.",
                             fix=f"Name one of its proposals ({listed}).")
    if not room.may_withdraw(found, key, author):
        raise CalibrateError(
            f"Only {found.author} or the facilitator can withdraw '{found.name}'.",
            fix="Pass the room's host key, or the author's name as author=.",
            app_fix="Ask the facilitator or its author to withdraw it.")
    kept = tuple(p for p in room.proposals if p is not found)
    return replace(room, proposals=kept, version=room.version + 1)


def close(room: Room, key: str | None, now: datetime | None = None) -> Room:
    """The room closed by its facilitator (the host ``key``): every change is refused from
    then on, and its links say so; its thresholds and proposals are kept. Closing a closed
    room leaves it as it was."""
    if not room.is_host(key):
        raise CalibrateError(
            f"Only the facilitator of room {room.code} can close it.",
            fix="Pass the host key open_room() returned (room.key).",
            app_fix="Open the facilitator's link (the one with key= in it) to close it.")
    if room.closed:
        return room
    return replace(room, closed_at=_now(now), closed_by="facilitator",
                   version=room.version + 1)


def expired(room: Room, now: datetime | None = None) -> bool:
    """Whether an open room is older than :data:`MAX_AGE_DAYS` days (closed when a new
    room opens)."""
    return not room.closed and _now(now) - room.created_at > timedelta(days=MAX_AGE_DAYS)


def expire(room: Room, now: datetime | None = None) -> Room:
    """The room closed for its age when it is :func:`expired`, else as it was."""
    if not expired(room, now):
        return room
    return replace(room, closed_at=_now(now), closed_by="age", version=room.version + 1)


def closed_words(room: Room) -> str:
    """Why a closed room's links show nothing live: who closed it and when, in a line."""
    when = f"{room.closed_at:%-d %b %Y at %H:%M}" if room.closed_at else "earlier"
    if room.closed_by == "age":
        return (f"This room was closed on {when}: it was more than {MAX_AGE_DAYS} days old "
                "when a new room opened.")
    return f"This room was closed by its facilitator on {when}."


def age_words(room: Room, now: datetime | None = None) -> str:
    """How long ago a room opened, as people say it: "just now", "5 minutes ago", "3 hours
    ago", "2 days ago"."""
    seconds = max(0, int((_now(now) - room.created_at).total_seconds()))
    for unit, size in (("day", 86_400), ("hour", 3_600), ("minute", 60)):
        if seconds >= size:
            n = seconds // size
            return f"{n} {unit}{'s' if n != 1 else ''} ago"
    return "just now"


def _still_open(room: Room) -> None:
    """Refuse a change to a closed room, in the API's and the app's words."""
    if room.closed:
        raise CalibrateError(
            closed_words(room).replace("This room", f"Room {room.code}", 1),
            fix="Open a new room with open_room().",
            app_fix="Ask the facilitator for the link of a new room.")


def _now(now: datetime | None) -> datetime:
    return (now or datetime.now()).replace(microsecond=0)


def clean(text: str | None, what: str, *, required: bool = False) -> str:
    """A name as typed: trimmed, inner spaces made single, length-limited; an empty one
    refused when ``required``."""
    value = " ".join(str(text or "").split())
    if required and not value:
        raise CalibrateError(f"The {what} is empty.", fix=f"Type a {what} and try again.")
    if len(value) > MAX_NAME:
        raise CalibrateError(f"The {what} is {len(value)} characters long.",
                             fix=f"Keep it to {MAX_NAME} characters.")
    return value


def checked(thresholds: Thresholds | Mapping[str, Any]) -> Thresholds:
    """Thresholds a room may show: a main bar, every minimum it applies a whole number of
    points from 0 to 100."""
    value = Thresholds.of(thresholds)
    if value.main is None:
        raise CalibrateError("The thresholds have no main bar.",
                             fix="Give a minimum profile and behavior score, or a minimum "
                                 "total score.")
    for bar in (value.main, *value.segments.values()):
        for name in bar.applied:
            got = getattr(bar, name)
            if got is None or not 0 <= got <= 100:
                axis = name.removeprefix("min_")
                raise CalibrateError(f"The minimum {axis} score {got} is outside 0 to 100.",
                                     fix="Give a whole number of points from 0 to 100.")
    return value


def _optional(text: str | None) -> str | None:
    value = " ".join(str(text or "").split())
    return value or None


def definition(main: Bar, scenario: Thresholds | None = None) -> Thresholds:
    """What the facilitator shows: the sliders' bar, with the own bars of the segments of
    the scenario loaded (those of the same mode; a segment's bar stays its own)."""
    own = {s: b for s, b in (scenario.segments if scenario else {}).items()
           if b.mode == main.mode}
    return Thresholds.build(main, own)


def figure_arguments(thresholds: Thresholds, segment: str | None = None) -> dict[str, Any]:
    """The arguments of :meth:`calibrate.Workbench.figures` for a room's thresholds, seen
    over one segment (its own bar, else the main one) or over all (with every segment's
    own bar)."""
    bar = thresholds.bar_for(segment) if segment is not None else thresholds.main
    if bar is None:
        raise CalibrateError("The thresholds have no main bar.",
                             fix="Give a minimum profile and behavior score.")

    def values(b: Bar) -> dict[str, int | None]:
        return ({"min_total": b.min_total} if b.mode == "total"
                else {"min_profile": b.min_profile, "min_behavior": b.min_behavior})

    out: dict[str, Any] = {"min_profile": None, "min_behavior": None, "min_total": None,
                           **values(bar), "segment": segment}
    if segment is None and thresholds.segments:
        out["segment_thresholds"] = {
            s: (b.min_total if b.mode == "total" else (b.min_profile, b.min_behavior))
            for s, b in thresholds.segments.items() if b.mode == bar.mode}
    return out
