"""Backups while the app runs (issue 17, item 10): "Back up now", automatic backups at each
agreement and before each replacing load, and their retention limit. Real files, real
DuckDB copies read back with duckdb itself."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import duckdb
import pytest
from test_disk_cases import fill, small_disk  # noqa: F401 (a fixture)

from calibrate import sql
from calibrate.cli import main
from calibrate.data import autobackup, store
from calibrate.data.autobackup import (
    AGREEMENT,
    BEFORE_INGEST,
    auto_backup,
    backup_at_agreement,
    backup_before_ingest,
    backup_now,
    backup_path,
    keep_limit,
    list_backups,
    prune_backups,
)
from calibrate.data.backup import check_backup
from calibrate.data.ingest import ingest
from calibrate.decide.scenarios import save_scenario
from calibrate.errors import CalibrateError

from apptest import assert_clean, page

FIRST = "id,status,visits,industry\n1,won,3,a\n2,lost,1,b\n3,lost,2,a\n"
SECOND = "id,status,visits,industry\n7,won,5,c\n8,lost,0,c\n"


def leads_in(path: Path) -> list[int]:
    """The lead ids stored in a DuckDB file, read with duckdb directly."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        column = next(r[0] for r in con.execute("DESCRIBE leads").fetchall()
                      if r[0] in ("id", "lead_id"))
        return sorted(int(r[0]) for r in con.execute(
            f"SELECT {sql.quote(column)} FROM leads").fetchall())
    finally:
        con.close()


@pytest.fixture
def loaded(tmp_path: Path) -> Path:
    """A database holding the three leads of ``FIRST`` and one saved scenario."""
    csv = tmp_path / "first.csv"
    csv.write_text(FIRST)
    db = tmp_path / "data" / "calibrate.duckdb"
    con = store.connect(db)
    ingest(con, csv)
    save_scenario(con, "Kept", {"thresholds": {"min_profile": 40}})
    con.close()
    return db


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


# -- retention --------------------------------------------------------------------------

def _touch(folder: Path, *names: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        (folder / name).write_bytes(b"x")


UNTOUCHABLE = (
    "calibrate-20260101-090000.duckdb",  # manual, older than every automatic one
    "calibrate-20260101-090000-2.duckdb",  # manual, second in its second
    "calibrate-schema0-20260101-090000.duckdb",  # copied before a schema upgrade
    "calibrate.duckdb.before-restore-20260101-090000",  # kept by a restore
    "mine.duckdb",  # calibrate backup --out
    "other-20260101-090000-agreement.duckdb",  # another database's automatic backup
    "calibrate-20260101-agreement.duckdb",  # not our naming
)


@pytest.mark.parametrize("keep", [3, 1])
def test_retention_deletes_only_the_oldest_automatic_backups_beyond_the_limit(
        tmp_path, keep):
    folder = tmp_path / "backups"
    automatic = [  # oldest first: by time, then by the number within a second
        "calibrate-20260101-100000-before-ingest.duckdb",
        "calibrate-20260101-100000-2-agreement.duckdb",
        "calibrate-20260101-100000-3-before-ingest.duckdb",
        "calibrate-20260102-080000-agreement.duckdb",
    ]
    _touch(folder, *UNTOUCHABLE, *automatic)
    removed = prune_backups(folder, "calibrate", keep)
    assert [p.name for p in removed] == automatic[:len(automatic) - keep]
    assert names(folder) == sorted([*UNTOUCHABLE, *automatic[len(automatic) - keep:]])


def test_retention_boundary_exactly_keep_stay_and_one_more_drops_the_oldest(tmp_path):
    folder = tmp_path / "backups"
    automatic = [f"calibrate-20260101-1000{i:02d}-agreement.duckdb" for i in range(3)]
    _touch(folder, *UNTOUCHABLE, *automatic)
    assert prune_backups(folder, "calibrate", 3) == []  # exactly keep: all kept
    assert names(folder) == sorted([*UNTOUCHABLE, *automatic])
    _touch(folder, "calibrate-20260101-100003-before-ingest.duckdb")  # keep + 1
    assert [p.name for p in prune_backups(folder, "calibrate", 3)] == [automatic[0]]
    assert automatic[0] not in names(folder) and len(names(folder)) == len(UNTOUCHABLE) + 3
    assert prune_backups(folder, "calibrate", 0) and all(  # 0: no automatic one is left
        p in names(folder) for p in UNTOUCHABLE)


def test_automatic_backups_are_real_copies_and_the_limit_applies(loaded):
    folder = loaded.parent / "backups"
    con = store.connect(loaded)
    try:
        manual = backup_now(con, loaded)
        made = [auto_backup(con, loaded, AGREEMENT, keep=2) for _ in range(3)]
    finally:
        con.close()
    assert all(p is not None and p.parent == folder for p in made)
    assert [p.name.endswith("-agreement.duckdb") for p in made] == [True] * 3
    assert len(set(made)) == 3  # unique names, though made within a second or two
    assert names(folder) == sorted([manual.path.name, made[1].name, made[2].name])
    for p in (manual.path, made[2]):
        assert check_backup(p) == (3, 1) and leads_in(p) == [1, 2, 3]
    listed = list_backups(folder, "calibrate")
    assert [b.path for b in listed] == [made[2], made[1], manual.path]  # newest first
    assert [(b.kind, b.reason) for b in listed] == [
        ("automatic", AGREEMENT), ("automatic", AGREEMENT), ("manual", "")]
    assert listed[0].size == made[2].stat().st_size > 0
    assert "automatic, at an agreement" in listed[0].describe()
    assert listed[-1].why() == "manual"


def test_names_are_unique_within_one_second(tmp_path):
    db = tmp_path / "calibrate.duckdb"
    when = datetime(2026, 11, 29, 10, 15, 0)
    first = backup_path(db, AGREEMENT, when)
    assert first.name == "calibrate-20261129-101500-agreement.duckdb"
    _touch(first.parent, first.name)
    second = backup_path(db, AGREEMENT, when)
    assert second.name == "calibrate-20261129-101500-2-agreement.duckdb"
    _touch(second.parent, second.name)
    assert backup_path(db, BEFORE_INGEST, when).name == \
        "calibrate-20261129-101500-3-before-ingest.duckdb"
    assert backup_path(db, None, when).name == "calibrate-20261129-101500-3.duckdb"
    listed = list_backups(first.parent)
    assert [b.path for b in listed] == [second, first]  # the later one first


def test_the_schema_upgrade_copy_is_listed_as_automatic_and_never_pruned(tmp_path):
    folder = tmp_path / "backups"
    _touch(folder, "calibrate-schema0-20260101-090000.duckdb")
    (b,) = list_backups(folder, "calibrate")
    assert (b.kind, b.reason, b.database) == ("automatic", "schema-upgrade", "calibrate")
    assert prune_backups(folder, "calibrate", 0) == []


def test_an_empty_or_in_memory_database_needs_no_automatic_backup(tmp_path):
    empty = tmp_path / "empty.duckdb"
    con = store.connect(empty)
    try:
        assert auto_backup(con, empty, AGREEMENT) is None
        assert backup_before_ingest(con, True, empty).path is None
    finally:
        con.close()
    memory = duckdb.connect()
    try:
        assert auto_backup(memory, None, AGREEMENT) is None
        with pytest.raises(CalibrateError, match="in memory"):
            backup_now(memory)
    finally:
        memory.close()
    assert not (tmp_path / "backups").exists()


def test_the_limit_comes_from_the_environment(monkeypatch, loaded):
    monkeypatch.delenv(autobackup.ENV_KEEP, raising=False)
    assert keep_limit() == autobackup.DEFAULT_KEEP
    monkeypatch.setenv(autobackup.ENV_KEEP, "1")
    assert keep_limit() == 1
    con = store.connect(loaded)
    try:
        backup_at_agreement(con, loaded)
        done = backup_at_agreement(con, loaded)
        assert done.warning is None and len(done.removed) == 1
        assert names(loaded.parent / "backups") == [done.path.name]
        monkeypatch.setenv(autobackup.ENV_KEEP, "0")  # 0 turns them off
        assert backup_at_agreement(con, loaded).path is None
        monkeypatch.setenv(autobackup.ENV_KEEP, "ten")
        with pytest.raises(CalibrateError, match="CALIBRATE_KEEP_BACKUPS"):
            keep_limit()
        done = backup_at_agreement(con, loaded)  # a typo does not cost the backup
        assert done.path is not None and "not 'ten'" in done.warning
    finally:
        con.close()


# -- before a replacing load ------------------------------------------------------------

def test_a_replacing_ingest_keeps_the_earlier_leads_in_a_backup(loaded, tmp_path, capsys):
    csv = tmp_path / "second.csv"
    csv.write_text(SECOND)
    code, out, err = run(capsys, "ingest", str(csv), "--replace", "--db", str(loaded))
    assert code == 0, err
    (kept,) = (loaded.parent / "backups").iterdir()
    assert kept.name.startswith("calibrate-") and kept.name.endswith("-before-ingest.duckdb")
    assert "Automatic backup before this load: " in out and kept.name in out
    assert leads_in(kept) == [1, 2, 3]  # what was there before, read back with duckdb
    assert leads_in(loaded) == [7, 8]


def test_a_first_ingest_or_an_append_makes_no_backup(tmp_path, capsys):
    csv = tmp_path / "first.csv"
    csv.write_text(FIRST)
    db = tmp_path / "data" / "calibrate.duckdb"
    code, out, err = run(capsys, "ingest", str(csv), "--replace", "--db", str(db))
    assert code == 0, err
    assert "Automatic backup" not in out and names(db.parent / "backups") == []
    code, out, err = run(capsys, "ingest", str(csv), "--db", str(db))  # an append
    assert code == 0, err
    assert names(db.parent / "backups") == []


def test_the_keep_option_of_the_command_line(loaded, tmp_path, capsys):
    csv = tmp_path / "second.csv"
    csv.write_text(SECOND)
    for _ in range(3):
        code, _, err = run(capsys, "ingest", str(csv), "--replace", "--keep-backups", "2",
                           "--db", str(loaded))
        assert code == 0, err
    assert len(names(loaded.parent / "backups")) == 2
    with pytest.raises(SystemExit):
        main(["ingest", str(csv), "--replace", "--keep-backups", "-1", "--db", str(loaded)])
    assert "whole number of automatic backups" in capsys.readouterr().err


# -- at an agreement ----------------------------------------------------------------------

def test_an_agreement_on_the_command_line_leaves_a_backup_holding_it(loaded, capsys):
    code, out, err = run(capsys, "scenario", "agree", "Kept", "--by", "Both VPs",
                         "--db", str(loaded))
    assert code == 0, err
    assert "Agreement recorded" in out and "Automatic backup of this agreement:" in out
    (kept,) = (loaded.parent / "backups").iterdir()
    assert kept.name.endswith("-agreement.duckdb") and kept.name in out
    con = duckdb.connect(str(kept), read_only=True)
    try:
        assert con.execute("SELECT name, author FROM scenarios WHERE kind = 'agreement'"
                           ).fetchall() == [("Kept", "Both VPs")]
    finally:
        con.close()


def test_a_full_disk_does_not_stop_the_agreement(small_disk, tmp_path):  # noqa: F811
    db = small_disk / "c.duckdb"
    csv = tmp_path / "first.csv"
    csv.write_text(FIRST)
    con = store.connect(db)
    try:
        ingest(con, csv)
        scenario = save_scenario(con, "Kept", {"thresholds": {"min_profile": 40}})
        con.execute("CHECKPOINT")
        filler = fill(small_disk, leave=64 << 10)
        from calibrate.decide.scenarios import current_agreement, mark_agreement

        try:
            mark_agreement(con, scenario, author="Both")
        except CalibrateError:
            pytest.skip("this disk left no room for the agreement itself")
        done = backup_at_agreement(con, db)
        assert done.path is None and "The disk is full" in done.warning
        assert "the agreement itself is recorded" in done.warning
        assert current_agreement(con).author == "Both"
        assert names(small_disk / "backups") == []  # nothing partial left behind
        filler.unlink()
        done = backup_at_agreement(con, db)  # once there is room, it works
        assert done.warning is None and check_backup(done.path)[0] == 3
    finally:
        con.close()


# -- the app ------------------------------------------------------------------------------

def test_back_up_now_in_the_app_writes_the_file_and_names_it(loaded, monkeypatch):
    monkeypatch.setenv(store.ENV_DB, str(loaded))
    at = page("sidebar")
    assert any("No backups yet" in c.value for c in at.sidebar.caption)
    at.button(key="backup_now").click().run()
    assert_clean(at)
    (made,) = (loaded.parent / "backups").iterdir()
    message = at.success[0].value
    assert message.startswith("Backed up to ") and made.name in message
    assert check_backup(made) == (3, 1)
    listed = "\n".join(c.value for c in at.sidebar.caption)
    assert "manual" in listed
    command = next(t.value for t in at.sidebar.text if "calibrate restore" in t.value)
    assert command.startswith(".venv/bin/calibrate restore ") and made.name in command
    assert "stop the app" in " ".join(c.value for c in at.sidebar.caption)


def test_agreeing_in_the_app_makes_an_automatic_backup(loaded, monkeypatch):
    monkeypatch.setenv(store.ENV_DB, str(loaded))
    at = page("scenarios")
    at.text_input(key="agree_by").input("Both VPs")
    at.button[-1].click().run()
    assert_clean(at)
    (made,) = (loaded.parent / "backups").iterdir()
    assert made.name.endswith("-agreement.duckdb")
    assert any("Automatic backup of this agreement" in c.value for c in at.caption)


def test_a_replacing_load_in_the_app_backs_up_the_leads_first(loaded, monkeypatch):
    monkeypatch.setenv(store.ENV_DB, str(loaded))
    at = page("data")
    at.file_uploader[0].upload("second.csv", SECOND.encode(), "text/csv").run()
    assert_clean(at)
    at.button(key="load_upload").click().run()
    assert_clean(at)
    assert "Loaded 2 leads" in at.success[0].value
    (made,) = (loaded.parent / "backups").iterdir()
    assert made.name.endswith("-before-ingest.duckdb") and leads_in(made) == [1, 2, 3]
    assert any("Automatic backup before this load" in c.value for c in at.caption)


def test_calibrate_backup_twice_in_a_second_writes_two_files(tmp_path):
    csv = tmp_path / "first.csv"
    csv.write_text(FIRST)
    db = tmp_path / "calibrate.duckdb"
    con = store.connect(db)
    ingest(con, csv)
    con.close()
    for _ in range(2):
        assert main(["backup", "--db", str(db)]) == 0
    made = names(tmp_path / "backups")
    assert len(made) == 2 and all(n.startswith("calibrate-") for n in made)
