"""Restore, full disks and read-only files, on real file systems (issue 17, items 2, 4, 5).

A full disk is a small tmpfs mounted for the test and filled up; a read-only database is a
read-only bind mount of its folder (as root, ``chmod 444`` does not stop a write: a
read-only mount does), or an immutable file or folder (``chattr +i``), which root cannot
write either. Each is unmounted (or made mutable again) in the test's ``finally``. Where
the machine does not allow mounting (not root, no CAP_SYS_ADMIN) the tests skip and say so.
"""

from __future__ import annotations

import hashlib
import os
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from calibrate.cli import main
from calibrate.data import backup, store
from calibrate.errors import DatabaseError, DiskFullError

from apptest import assert_clean, page

SMALL_CSV = "id,status,visits,industry\n1,won,3,a\n2,lost,1,b\n"


# -- real file systems -------------------------------------------------------------------

def _run(*cmd: str) -> subprocess.CompletedProcess:
    return subprocess.run(list(cmd), capture_output=True, text=True)


def _unmount(path: Path) -> None:
    if _run("umount", str(path)).returncode:
        _run("umount", "-l", str(path))  # still busy: detach it now, freed when idle


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 24 MB tmpfs of the test's own: a disk that really fills up."""
    disk = tmp_path / "disk"
    disk.mkdir()
    done = _run("mount", "-t", "tmpfs", "-o", "size=24m,mode=0755", "tmpfs", str(disk))
    if done.returncode:
        pytest.skip("a real full disk needs a small tmpfs and it cannot be mounted here "
                    f"({done.stderr.strip() or 'mount failed'}; needs root with "
                    "CAP_SYS_ADMIN)")
    try:
        yield disk
    finally:
        _unmount(disk)


def fill(disk: Path, leave: int = 0) -> Path:
    """Fill ``disk`` until ``leave`` bytes are free; the filler is returned to be removed."""
    filler = disk / "filler"
    with open(filler, "ab") as f:
        while (free := shutil.disk_usage(disk).free) > leave:
            try:
                f.write(b"\0" * min(free - leave, 1 << 20))
                f.flush()
            except OSError:
                break
    return filler


@pytest.fixture
def read_only_view(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    """(a folder, the same folder seen through a read-only bind mount)."""
    rw, ro = tmp_path / "rw", tmp_path / "ro"
    rw.mkdir()
    ro.mkdir()
    done = _run("mount", "--bind", str(rw), str(ro))
    if done.returncode:
        pytest.skip("a real read-only database needs a read-only bind mount and it cannot "
                    f"be made here ({done.stderr.strip() or 'mount failed'}; needs root "
                    "with CAP_SYS_ADMIN)")
    try:
        done = _run("mount", "-o", "remount,bind,ro", str(ro))
        if done.returncode:
            pytest.skip(f"cannot remount the bind mount read-only: {done.stderr.strip()}")
        yield rw, ro
    finally:
        _unmount(ro)


def immutable(path: Path) -> None:
    """``chattr +i``: not even root may write, rename or delete it (undone in finally)."""
    done = _run("chattr", "+i", str(path))
    if done.returncode:
        pytest.skip(f"chattr +i is not available here: {done.stderr.strip()}")


def mutable(path: Path) -> None:
    _run("chattr", "-i", str(path))


# -- helpers ------------------------------------------------------------------------------

def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "calibrate.cli", *args], capture_output=True,
                          text=True, env={**os.environ, **(env or {})}, timeout=600)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def others(folder: Path, *expected: str) -> list[str]:
    """Files in ``folder`` other than ``expected`` (temporary or partial files left)."""
    return sorted(p.name for p in folder.iterdir() if p.name not in expected)


def counts(db: Path) -> tuple[int, int, int]:
    """(leads, fits, scenario rows), read without writing anything."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        leads = con.execute("SELECT count(*) FROM leads").fetchone()[0] \
            if store.table_exists(con, "leads") else 0
        fits = con.execute("SELECT count(*) FROM fits").fetchone()[0]
        scenarios = con.execute("SELECT count(*) FROM scenarios").fetchone()[0]
    finally:
        con.close()
    return leads, fits, scenarios


def small_db(path: Path, tmp_path: Path, scenario: str = "Kept") -> Path:
    from calibrate.data.ingest import ingest
    from calibrate.decide.scenarios import save_scenario

    csv = tmp_path / "small.csv"
    csv.write_text(SMALL_CSV)
    con = store.connect(path)
    ingest(con, csv)
    save_scenario(con, scenario, {"thresholds": {"min_profile": 40}})
    con.close()
    return path


# -- item 2: restore ----------------------------------------------------------------------

def test_restore_onto_a_full_disk_leaves_the_database_as_it_was(
        small_disk, sample_db_template, tmp_path):
    live = small_db(small_disk / "c.duckdb", tmp_path)
    before = digest(live)
    filler = fill(small_disk, leave=1 << 20)  # 1 MB free; the backup is about 6 MB
    done = cli("restore", str(sample_db_template), "--db", str(live))
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert "The disk is full" in done.stderr and str(live) in done.stderr
    assert "free on that disk" in done.stderr and "nothing was changed" in done.stderr.lower()
    assert digest(live) == before
    assert others(small_disk, "c.duckdb", "filler") == []  # no copy, no file moved aside
    filler.unlink()
    assert counts(live) == (2, 0, 1)


def test_a_restore_that_runs_out_of_space_midway_leaves_the_database_as_it_was(
        small_disk, sample_db_template, tmp_path, monkeypatch):
    """The free-space check passes (it is skipped), the copy itself hits the full disk."""
    live = small_db(small_disk / "c.duckdb", tmp_path)
    before = digest(live)
    fill(small_disk, leave=1 << 20)
    monkeypatch.setattr(backup, "free_space", lambda _path: None, raising=False)
    with pytest.raises(DiskFullError) as err:
        backup.restore(sample_db_template, live)
    assert "nothing was changed" in err.value.message.lower()
    assert f"{live} could not be written (1.0 MB free on that disk)" in err.value.message
    assert digest(live) == before
    assert others(small_disk, "c.duckdb", "filler") == []  # the partial copy is removed
    assert counts(live) == (2, 0, 1)


def test_restoring_the_database_onto_itself_is_refused(sample_db, tmp_path):
    before = digest(sample_db)
    link = tmp_path / "link.duckdb"
    link.symlink_to(sample_db)
    for source in (sample_db, link, Path(os.path.relpath(sample_db))):
        done = cli("restore", str(source), "--db", str(sample_db))
        assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
        assert "is the database itself" in done.stderr
        assert "nothing was changed" in done.stderr.lower()
    assert digest(sample_db) == before
    assert others(tmp_path, "app.duckdb", "link.duckdb") == []
    assert counts(sample_db)[0] == 50_000


def test_restore_refuses_a_duckdb_file_that_is_not_calibrate(tmp_path):
    live = small_db(tmp_path / "c.duckdb", tmp_path)
    invoices = tmp_path / "invoices.duckdb"
    con = duckdb.connect(str(invoices))
    con.execute("CREATE TABLE invoices AS SELECT range AS id, range * 9.5 AS amount "
                "FROM range(100)")
    con.close()
    live_before, source_before = digest(live), digest(invoices)
    done = cli("restore", str(invoices), "--db", str(live))
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert "not a calibrate database" in done.stderr and "invoices" in done.stderr
    assert digest(live) == live_before and digest(invoices) == source_before  # both untouched
    assert not list(tmp_path.glob("*before-restore*"))
    assert counts(live) == (2, 0, 1)


def test_restore_refuses_a_backup_cut_short(sample_db_template, tmp_path):
    """A truncated copy opens and counts its 50,000 leads: it must be read to its end."""
    live = small_db(tmp_path / "c.duckdb", tmp_path)
    cut = tmp_path / "cut.duckdb"
    data = sample_db_template.read_bytes()
    cut.write_bytes(data[: len(data) // 2])
    before = digest(live)
    done = cli("restore", str(cut), "--db", str(live))
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert "damaged" in done.stderr
    assert digest(live) == before and not list(tmp_path.glob("*before-restore*"))


def test_a_damaged_database_points_to_a_restore_that_works(sample_db_template, tmp_path):
    live = tmp_path / "data" / "calibrate.duckdb"
    live.parent.mkdir()
    shutil.copy(sample_db_template, live)
    assert cli("backup", "--db", str(live)).returncode == 0  # into data/backups/
    with open(live, "r+b") as f:  # a damaged disk: blocks overwritten with zeros
        f.seek(8192)
        f.write(b"\0" * (1 << 20))
    damaged = digest(live)
    with pytest.raises(DatabaseError) as err:
        store.connect(live)
    fix = err.value.fix
    assert "calibrate restore" in fix and "restore it from a backup" not in fix.lower()
    command = fix.split("Restore a backup over it: ", 1)[1].split(" (the newest", 1)[0]
    args = shlex.split(command)
    assert args[:2] == ["calibrate", "restore"] and str(live.parent / "backups") in args[2]
    done = cli(*args[1:])  # the command the message gives, as it is
    assert done.returncode == 0, done.stderr
    kept = next(live.parent.glob("calibrate.duckdb.before-restore-*"))
    assert "damaged database it replaced is kept as" in done.stdout and str(kept) in done.stdout
    assert digest(kept) == damaged  # the damaged file is kept, never deleted
    con = store.connect(live)
    assert store.lead_count(con) == 50_000
    con.close()


def test_restore_keeps_the_replaced_file_and_says_how_to_go_back(sample_db_template,
                                                                 tmp_path):
    live = small_db(tmp_path / "c.duckdb", tmp_path, scenario="Mine")
    done = cli("restore", str(sample_db_template), "--db", str(live))
    assert done.returncode == 0, done.stderr
    assert "50,000 leads" in done.stdout
    kept = next(tmp_path.glob("c.duckdb.before-restore-*"))
    assert f"The database it replaced is kept as {kept}" in done.stdout
    back = done.stdout.split("to go back to it: ", 1)[1].strip()
    done = cli(*shlex.split(back)[1:])
    assert done.returncode == 0, done.stderr
    assert counts(live) == (2, 0, 1)
    assert others(tmp_path, "c.duckdb", "small.csv") == sorted(
        p.name for p in tmp_path.glob("c.duckdb.before-restore-*"))  # no temporary left


def test_restore_moves_the_journal_of_the_replaced_database_with_it(sample_db_template,
                                                                   tmp_path):
    """A database left with its journal (.wal: a process killed before DuckDB wrote the
    journal into the file): the journal goes aside with its file, never onto the backup."""
    live = small_db(tmp_path / "c.duckdb", tmp_path)
    subprocess.run([sys.executable, "-c",
                    "import os, sys; from calibrate.data import store; "
                    "from calibrate.decide.scenarios import save_scenario; "
                    "con = store.connect(sys.argv[1]); "
                    "save_scenario(con, 'In the journal', {'thresholds': {}}); os._exit(0)",
                    str(live)], check=True)
    assert (tmp_path / "c.duckdb.wal").exists()
    done = cli("restore", str(sample_db_template), "--db", str(live))
    assert done.returncode == 0, done.stderr
    assert counts(live) == (50_000, 1, 0) and not (tmp_path / "c.duckdb.wal").exists()
    kept = next(tmp_path.glob("c.duckdb.before-restore-*[0-9]"))
    done = cli("restore", str(kept), "--db", str(live))  # going back keeps the journal's save
    assert done.returncode == 0, done.stderr
    assert counts(live) == (2, 0, 2)


def test_restore_refuses_to_replace_a_database_another_process_holds(sample_db_template,
                                                                    tmp_path):
    live = small_db(tmp_path / "c.duckdb", tmp_path)
    before = digest(live)
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); "
         "print('ready', flush=True); time.sleep(60)", str(live)],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        done = cli("restore", str(sample_db_template), "--db", str(live))
    finally:
        holder.kill()
        holder.wait()
    assert done.returncode == 2 and "in use by another process" in done.stderr, done.stderr
    assert digest(live) == before and not list(tmp_path.glob("*before-restore*"))


def test_another_programs_database_is_not_written_into(tmp_path, write_csv):
    invoices = tmp_path / "invoices.duckdb"
    con = duckdb.connect(str(invoices))
    con.execute("CREATE TABLE invoices AS SELECT 1 AS id")
    con.close()
    before = digest(invoices)
    done = cli("ingest", str(write_csv(SMALL_CSV)), "--db", str(invoices))
    assert done.returncode == 2 and "not a calibrate database" in done.stderr, done.stderr
    assert digest(invoices) == before


# -- item 4: full disk --------------------------------------------------------------------

def test_an_ingest_into_a_full_disk_says_so_and_keeps_the_leads(small_disk, tmp_path):
    from conftest import SAMPLE_CSV

    live = small_db(small_disk / "c.duckdb", tmp_path)
    wal = small_disk / "c.duckdb.wal"

    def stored() -> int:
        return live.stat().st_size + (wal.stat().st_size if wal.exists() else 0)

    size = stored()
    filler = fill(small_disk, leave=1 << 20)
    done = cli("ingest", str(SAMPLE_CSV), "--replace", "--db", str(live))
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert "The disk is full" in done.stderr and str(live) in done.stderr
    assert "free on that disk" in done.stderr
    assert "could not be read as CSV" not in done.stderr
    assert "Nothing was loaded from leads.csv: the stored leads are as they were" in done.stderr
    assert ("grew from" in done.stderr) == (stored() > size)  # DuckDB kept the space
    assert counts(live) == (2, 0, 1)  # read with the disk still full
    done = cli("fit", "--db", str(live))  # the next command: a message, not a traceback
    assert "Traceback" not in done.stderr
    filler.unlink()
    con = store.connect(live)
    assert store.lead_count(con) == 2 and not store.table_exists(con, store.STAGING)
    con.close()


def test_a_fit_on_a_full_disk_says_so(small_disk, sample_db_template):
    live = small_disk / "c.duckdb"
    shutil.copy(sample_db_template, live)
    fill(small_disk, leave=0)
    done = cli("fit", "--db", str(live))
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert "The disk is full" in done.stderr and "c.duckdb" in done.stderr
    assert "0 bytes free on that disk" in done.stderr
    assert "Nothing was saved" in done.stderr
    assert counts(live) == (50_000, 1, 0)


def test_a_backup_onto_a_full_disk_leaves_no_file_and_a_retry_works(
        small_disk, sample_db_template, tmp_path):
    live = tmp_path / "c.duckdb"
    shutil.copy(sample_db_template, live)
    out = small_disk / "backups" / "b.duckdb"
    filler = fill(small_disk, leave=1 << 20)
    done = cli("backup", "--db", str(live), "--out", str(out))
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert "The disk is full" in done.stderr and "free on that disk" in done.stderr
    assert str(out) in done.stderr and "already exists" not in done.stderr
    assert others(out.parent) == []  # no 0-byte or partial backup, no journal
    filler.unlink()
    done = cli("backup", "--db", str(live), "--out", str(out))  # the same command again
    assert done.returncode == 0, done.stderr
    assert backup.check_backup(out) == (50_000, 0)


def test_an_export_onto_a_full_disk_leaves_no_partial_file(small_disk, sample_db):
    out = small_disk / "weights.csv"
    fill(small_disk, leave=0)
    done = cli("export", "--format", "csv", "--out", str(out), "--db", str(sample_db))
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert "The disk is full" in done.stderr and str(out) in done.stderr
    assert others(small_disk, "filler") == []


def test_an_upload_onto_a_full_disk_says_so_and_leaves_nothing(small_disk, monkeypatch):
    from calibrate.ui import data

    live = small_disk / "x.duckdb"
    store.connect(live).close()
    uploads = small_disk / "uploads"
    uploads.mkdir()
    monkeypatch.setenv(store.ENV_DB, str(live))
    fill(small_disk, leave=256 << 10)
    rows = "".join(f"{i},{'won' if i % 3 else 'lost'},{i % 7},industry {i % 5}\n"
                   for i in range(60_000))
    csv = ("id,status,visits,industry\n" + rows).encode()  # about 1.5 MB
    at = page("data")
    at.file_uploader[0].upload("leads.csv", csv, "text/csv").run()
    assert_clean(at)  # no exception box
    shown = " ".join(e.value for e in at.error)
    assert "The disk is full" in shown and "free on that disk" in shown
    assert "nothing partial is left behind" in shown
    assert [p for p in uploads.rglob("*")] == []  # no partial file, no empty folder

    class Upload:  # the same through keep_upload itself
        name = "leads.csv"

        def __init__(self):
            import io

            self.buffer = io.BytesIO(csv)

        def seek(self, n):
            return self.buffer.seek(n)

        def read(self, n=-1):
            return self.buffer.read(n)

    with pytest.raises(DiskFullError):
        data.keep_upload("leads.csv", Upload())
    assert [p for p in uploads.rglob("*")] == []


# -- item 5: read-only --------------------------------------------------------------------

def _agreed_copy(sample_db_template: Path, folder: Path) -> Path:
    db = folder / "c.duckdb"
    shutil.copy(sample_db_template, db)
    for args in (["scenario", "save", "Sales", "--min-profile", "40", "--min-behavior", "30"],
                 ["scenario", "save", "Marketing", "--min-profile", "30", "--min-behavior",
                  "20"],
                 ["scenario", "agree", "Sales", "--by", "VP Sales"]):
        assert main([*args, "--db", str(db)]) == 0
    return db


def test_reading_commands_work_on_a_read_only_database(read_only_view, sample_db_template,
                                                       tmp_path):
    rw, ro = read_only_view
    _agreed_copy(sample_db_template, rw)
    db = ro / "c.duckdb"
    before = digest(db)
    files = sorted(rw.rglob("*"))  # the database and the agreement's automatic backup
    out = tmp_path / "out"
    out.mkdir()
    for fmt in ("csv", "json", "rules", "sql", "hubspot", "markdown", "html", "xlsx"):
        assert main(["export", "--format", fmt, "--out", str(out / f"w.{fmt}"),
                     "--db", str(db)]) == 0, fmt
        assert (out / f"w.{fmt}").stat().st_size > 0
    done = cli("export", "--format", "rules", "--db", str(db))
    assert done.returncode == 0 and done.stdout.startswith("score,field,operator"), done.stderr
    done = cli("scenario", "list", "--db", str(db))
    assert done.returncode == 0 and "Agreement in force: 'Sales'" in done.stdout, done.stderr
    done = cli("scenario", "compare", "Sales", "Marketing", "--db", str(db))
    assert done.returncode == 0 and "B - A" in done.stdout, done.stderr
    done = cli("backup", "--db", str(db), "--out", str(out / "b.duckdb"))
    assert done.returncode == 0, done.stderr
    assert backup.check_backup(out / "b.duckdb") == (50_000, 3)
    done = cli("backup", "--db", str(db))  # the default, backups/ beside it, is read-only
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert "read-only" in done.stderr and "--out" in done.stderr
    assert digest(db) == before and sorted(rw.rglob("*")) == files  # nothing written


def test_a_read_only_database_is_said_to_be_read_only(read_only_view, sample_db_template):
    rw, ro = read_only_view
    shutil.copy(sample_db_template, rw / "c.duckdb")
    db = ro / "c.duckdb"
    for args in (["fit"], ["scenario", "save", "X", "--min-profile", "40",
                           "--min-behavior", "30"],
                 ["ingest", str(Path(__file__).parent / "data" / "bad" / "semicolon.csv")]):
        done = cli(*args, "--db", str(db))
        assert done.returncode == 2 and "Traceback" not in done.stderr, (args, done.stderr)
        assert "read-only" in done.stderr, done.stderr
        assert "restore" not in done.stderr.lower(), done.stderr
        assert "calibrate export, backup --out FILE, scenario list" in done.stderr
    with pytest.raises(DatabaseError, match="read-only"):
        store.connect(db)


def test_an_immutable_file_or_folder_is_said_to_be_read_only(sample_db_template, tmp_path):
    """chattr +i on the file (its folder writable), then on the folder (the file writable:
    DuckDB could open it and fail at the first write, creating its journal)."""
    folder = tmp_path / "db"
    folder.mkdir()
    db = folder / "c.duckdb"
    shutil.copy(sample_db_template, db)
    before = digest(db)
    for locked in (db, folder):
        immutable(locked)
        try:
            done = cli("fit", "--db", str(db))
            assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
            assert "read-only" in done.stderr and "restore" not in done.stderr.lower()
            assert ("folder is read-only" in done.stderr) == (locked == folder)
            done = cli("export", "--format", "json", "--db", str(db))
            assert done.returncode == 0 and '"profile"' in done.stdout, done.stderr
        finally:
            mutable(locked)
    assert digest(db) == before


def test_an_export_that_needs_a_fit_says_so_on_a_read_only_database(read_only_view,
                                                                    tmp_path):
    rw, ro = read_only_view
    csv = tmp_path / "leads.csv"
    csv.write_text("id,status,visits\n" + "".join(
        f"{i},{('won', 'lost', 'lost')[i % 3]},{i % 5 + (i % 3 == 0) * 3}\n"
        for i in range(90)))
    assert cli("ingest", str(csv), "--db", str(rw / "c.duckdb")).returncode == 0  # unfitted
    done = cli("export", "--format", "json", "--db", str(ro / "c.duckdb"))
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert "No weights are saved for the loaded leads" in done.stderr
    assert "calibrate fit" in done.stderr


def test_reading_commands_on_a_missing_database_create_nothing(tmp_path):
    db = tmp_path / "none" / "c.duckdb"
    done = cli("scenario", "list", "--db", str(db))
    assert done.returncode == 0 and "No scenario is saved yet" in done.stdout, done.stderr
    done = cli("backup", "--db", str(db))
    assert done.returncode == 2 and "no database to back up" in done.stderr
    assert not db.parent.exists()
