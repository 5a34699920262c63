"""The extraction benchmark's dev/test split (benchmarks/extraction.py): pinned, by name only,
and a dev run never opens a test page. The pages here are our own writing, not shared data."""

import json

import pytest

from benchmarks.extraction import Case, half_of, main

BODY = "Pemerintah kota mengumumkan jadwal baru angkutan umum mulai pekan depan. " * 12


def test_the_split_never_moves():
    # Pinned: changing half_of would reshuffle every set and void the test half.
    assert [half_of(name) for name in ("1.html", "2.html", "3.html", "a.html", "b.html",
                                       "berita.html", "opini.html", "page.html.gz")] == [
        "test", "dev", "test", "dev", "test", "dev", "test", "dev"]


def test_the_half_follows_the_file_name_alone(tmp_path):
    one = Case("x", tmp_path / "first" / "berita.html", "http://a.test/1", body="satu")
    other = Case("y", tmp_path / "second" / "berita.html", "http://b.test/2", body="dua " * 50)
    assert one.half == other.half == "dev"


def _dataset(tmp_path):
    """A two-page set in id-slasherrb's layout: berita.html (dev) and opini.html (test, left
    out, so reading it would fail)."""
    root = tmp_path / "id-slasherrb"
    root.mkdir()
    (root / "berita.html").write_text(
        f"<html><head><title>Jadwal baru</title></head><body><article><p>{BODY}</p>"
        "</article></body></html>", encoding="utf-8")
    truth = {}
    for name in ("berita.html", "opini.html"):
        (root / f"{name}.txt").write_text(BODY, encoding="utf-8")
        truth[name] = {"url": f"http://kota.test/{name}", "expected_body_file": f"{name}.txt"}
    (root / "ground_truth.json").write_text(json.dumps(truth), encoding="utf-8")
    return root


def test_a_dev_run_never_opens_a_test_page(tmp_path, capsys):
    assert main(["--data", str(_dataset(tmp_path)), "--repeat", "1", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)["id-slasherrb"]
    assert report["pages"] == {"dev": 1, "test": 1}
    assert "test" not in report
    assert set(report["dev"]) == {"liputan", "plain-text", "plain-meta"}
    assert report["dev"]["liputan"]["f1"] > 0.9
    assert report["dev"]["plain-text"]["titles"] == 0  # text only: nothing to score


def test_verbose_is_refused_outside_the_dev_half(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--data", str(_dataset(tmp_path)), "--half", "test", "--verbose"])
    assert exit_.value.code == 2
    assert "dev half only" in capsys.readouterr().err
