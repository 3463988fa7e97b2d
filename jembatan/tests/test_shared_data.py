"""Reference data the repository may not ship: a test that needs it skips when it is absent, and
fails under CI=true, where a skipped check would hide a gap."""

import pytest
from _pytest.outcomes import Failed, Skipped

from jembatan import shared_data


def test_a_present_reference_file_is_found_in_the_configured_folder(tmp_path, monkeypatch):
    (tmp_path / "sample.csv").write_text("a,b\n")
    monkeypatch.setenv("JEMBATAN_SHARED_DATA", str(tmp_path))
    assert shared_data.needed_by_test("sample.csv") == tmp_path / "sample.csv"


def test_an_absent_reference_file_skips_the_test_with_the_reason(tmp_path, monkeypatch):
    monkeypatch.setenv("JEMBATAN_SHARED_DATA", str(tmp_path))
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(Skipped, match="not shipped with the repository"):
        shared_data.needed_by_test("absent.csv")


def test_an_absent_reference_file_fails_under_ci(tmp_path, monkeypatch):
    monkeypatch.setenv("JEMBATAN_SHARED_DATA", str(tmp_path))
    monkeypatch.setenv("CI", "true")
    with pytest.raises(Failed, match="absent.csv"):
        shared_data.needed_by_test("absent.csv")


def test_there_is_no_fixed_absolute_fallback(monkeypatch):
    monkeypatch.delenv("JEMBATAN_SHARED_DATA", raising=False)
    assert shared_data.shared_data_dir() == shared_data._ROOT.parent / "shared" / "data"
