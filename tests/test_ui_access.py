"""Optional passphrase: off by default, required and checked when configured."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from calibrate.ui.access import ENV, check

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def test_check_is_exact():
    assert check("open sesame", "open sesame")
    assert not check("open sesame ", "open sesame") and not check("", "x")


def test_no_passphrase_means_no_prompt(sample_db, monkeypatch):
    monkeypatch.delenv(ENV, raising=False)
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert not at.exception
    assert not any(t.label == "Workshop passphrase" for t in at.text_input)
    assert any(m.label == "MQLs per month" for m in at.metric)


def test_passphrase_guards_the_app(sample_db, monkeypatch):
    monkeypatch.setenv(ENV, "tuesday-workshop")
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert not any(m.label == "MQLs per month" for m in at.metric)
    at.text_input(key="passphrase_input").input("wrong")
    at.button[0].click().run()
    assert "not right" in at.error[0].value
    at.text_input(key="passphrase_input").input("tuesday-workshop")
    at.button[0].click().run()
    assert not at.exception
    assert any(m.label == "MQLs per month" for m in at.metric)
