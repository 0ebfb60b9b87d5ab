"""Backups in the app: "Back up now", the recent backups, and the automatic backups' notes.

The app holds the database, so a backup can only come from it (``calibrate backup`` in
another process is refused while it runs); a restore replaces the file the app holds, so
the app only says how to do it once stopped.
"""

from __future__ import annotations

import os
from pathlib import Path

import streamlit as st

from calibrate import fmt
from calibrate.data import store
from calibrate.data.autobackup import (
    DEFAULT_KEEP,
    ENV_KEEP,
    AutoBackup,
    backups_folder,
    keep_limit,
    list_backups,
    shown,
)
from calibrate.errors import CalibrateError, size_text
from calibrate.ui import state

#: Backups listed in the sidebar (the newest).
SHOWN = 5
_NOTE = "auto_backup"


def restore_command(backup: Path, db: Path) -> str:
    """The command that puts ``backup`` in place of the app's database (``--db`` when the
    database is not the default one)."""
    command = f".venv/bin/calibrate restore {store.shell_quote(shown(backup))}"
    default = Path(store.DEFAULT_DB).resolve()
    if db.resolve() != default or os.environ.get(store.ENV_DB):
        command += f" --db {store.shell_quote(shown(db))}"
    return command


def section() -> None:
    """The sidebar's Backups: a button, the recent backups and how to restore one."""
    db = Path(state.db_path())
    with st.expander("Backups"):
        if st.button("Back up now", key="backup_now"):
            try:
                with st.spinner("Backing up..."):
                    made = state.workbench().backup()
            except CalibrateError as exc:
                state.show_error(exc)
            else:
                st.success(f"Backed up to {fmt.md(shown(made))} "
                           f"({size_text(made.stat().st_size)}).")
        files = list_backups(backups_folder(db), db.stem)
        if files:
            st.caption("  \n".join(fmt.md(b.describe()) for b in files[:SHOWN]))
            if len(files) > SHOWN:
                st.caption(f"and {len(files) - SHOWN} older, in "
                           f"{fmt.md(shown(files[0].path.parent))}")
        else:
            st.caption("No backups yet.")
        try:
            limit = keep_limit()
        except CalibrateError as exc:
            st.warning(exc.message)
            limit = DEFAULT_KEEP
        keep = f"the newest {limit} are kept" if limit else "they are turned off"
        st.caption(f"Automatic backups are made at each agreement and before each load that "
                   f"replaces the leads; {keep} ({ENV_KEEP}). Manual ones are never deleted.")
        example = files[0].path if files else backups_folder(db) / "FILE.duckdb"
        st.caption("To restore one, stop the app and run:")
        # st.text, not st.code: a code block makes every page load a 1.5 MB syntax
        # highlighter before its first figure (the sidebar is on every page).
        st.text(restore_command(example, db))


def remember(done: AutoBackup) -> None:
    """Keep an automatic backup's note (or warning) to show after the page reruns."""
    if done.note() or done.warning:
        st.session_state[_NOTE] = done


def show(done: AutoBackup | None) -> None:
    """An automatic backup's file as a caption, or its failure as a warning."""
    if done is None:
        return
    if done.warning:
        st.warning(done.warning)
    if note := done.note():
        st.caption(fmt.md(note))


def show_remembered() -> None:
    """The note :func:`remember` kept, once."""
    show(st.session_state.pop(_NOTE, None))
