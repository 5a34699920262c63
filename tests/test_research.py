"""The researcher's loop: search by Indonesian word forms and aliases, filters, full
exports, counts per local day, on real index files (a hand-built one and the crawled demo)."""

from __future__ import annotations

import csv
import io
import json
import sqlite3

import pytest
import sqlite_utils

from pipelines.export import write_export
from pipelines.extract import Article
from pipelines.index import Index, SearchQueryError, open_readonly, research, schema
from pipelines.index.fts import build
from pipelines.index.research import Selection
from pipelines.warc import HttpExchange, WarcWriter
from tests.conftest import liputan

# -- the query rewrite ----------------------------------------------------------------------


def test_bare_words_match_their_stem_and_phrases_stay_exact():
    terms = build('kerusuhan AND "status darurat"')
    assert terms.match == ('{title_stems text_stems} : "rusuh" AND '
                           '{title text} : "status darurat"')
    assert terms.marks("kerusuhan") and terms.marks("merusuh") and terms.marks("darurat")


def test_exact_flag_prefix_and_hyphenated_names():
    assert build("kerusuhan", exact=True).match == '{title text} : "kerusuhan"'
    assert build("tokay*").match == '{title text} : "tokay" *'
    assert build("Kassym-Jomart").match == '{title_stems text_stems} : "kassym jomart"'


def test_a_name_stands_for_its_spellings():
    aliases = research.fts.alias_groups([["Tokayev", "Tokaev"], ["CSTO", "ODKB"]])
    match = build("Tokaev OR odkb", aliases=aliases).match
    assert match == ('({title_stems text_stems} : "tokayev" OR {title_stems text_stems} :'
                     ' "tokaev") OR ({title_stems text_stems} : "csto" OR'
                     ' {title_stems text_stems} : "odkb")')


def test_fts5_column_filters_and_near_pass_through():
    assert build("NEAR(tokayev almaty, 5)").match == "NEAR(tokayev almaty, 5)"
    assert build("title : almaty").match == "title : almaty"


@pytest.mark.parametrize("query", ['"unterminated', "AND OR", "( )", "***"])
def test_queries_with_nothing_to_run_are_refused_clearly(query, tmp_path):
    Index(tmp_path / "index.db").close()
    conn = open_readonly(tmp_path / "index.db")
    with pytest.raises(SearchQueryError):
        research.search(conn, Selection(query))
    conn.close()


# -- a hand-built index -------------------------------------------------------------------

def _article(url, title, text, outlet, published, language="id"):
    return Article(url=url, title=title, text=text, outlet=outlet, published_at=published,
                   language=language, word_count=len(text.split()))


@pytest.fixture
def small(tmp_path):
    """Four articles over two runs and three outlets; one published at 06:00 WIB on
    24 January (23 January in UTC), one undated, one in Malay."""
    index = Index(tmp_path / "index.db")
    writer = WarcWriter(tmp_path / "w", "t", tmp_path)
    first, second = index.start_run("alpha"), index.start_run("beta")
    rows = [
        (first, _article("http://a.test/1", "Kerusuhan di Almaty",
                         "Kerusuhan meluas di Almaty setelah harga gas naik.", "A",
                         "2022-01-05T10:00:00+07:00")),
        (first, _article("http://b.test/2", "Pagi di Nur-Sultan",
                         "Warga merusuh di pusat kota pada pagi hari.", "B",
                         "2022-01-24T06:00:00+07:00")),
        (second, _article("http://c.test/3", "Harga gas", "Harga gas turun lagi.", "C",
                          None)),
        (second, _article("http://c.test/4", "Rusuhan di Almaty", "Rusuhan berlaku.", "C",
                          "2022-01-06T09:00:00+08:00", language="ms")),
    ]
    for run, art in rows:
        record = writer.write_exchange(HttpExchange(art.url, 200, [("Content-Type",
                                                                    "text/html")], b"<p>x"))
        index.add_article(index.add_capture(run, art.url, 200, "text/html", record), art)
    writer.close()
    index.close()
    conn = open_readonly(tmp_path / "index.db")
    yield conn
    conn.close()


def ids(result):
    return sorted(h.url.rsplit("/", 1)[1] for h in result.hits)


def test_search_by_word_forms_with_repeatable_filters(small):
    assert ids(research.search(small, Selection("rusuh"))) == ["1", "2", "4"]
    assert ids(research.search(small, Selection("rusuh", exact=True))) == []
    assert ids(research.search(small, Selection("rusuh", outlets=("A", "C")))) == ["1", "4"]
    assert ids(research.search(small, Selection("almaty", languages=("ms",)))) == ["4"]
    assert ids(research.search(small, Selection("gas", runs=(2,)))) == ["3"]
    assert ids(research.search(small, Selection("gas", crawls=("alpha",)))) == ["1"]


def test_search_reports_how_many_match_beyond_the_limit(small):
    result = research.search(small, Selection("almaty OR gas"), limit=1)
    assert len(result.hits) == 1 and result.total == 3
    assert "[" in result.hits[0].snippet  # the matched word is marked


def test_published_day_is_the_outlets_local_day(small):
    days = dict(small.execute("SELECT url, published_day FROM articles"))
    assert days["http://b.test/2"] == "2022-01-24"  # 23 January 23:00 in UTC
    counts = research.timeline(small, Selection(), "day", per_outlet=False)
    assert counts[0].period == "2022-01-05" and counts[-1].period == "2022-01-24"
    assert len(counts) == 20  # every day between, zeros included
    assert {c.period: c.articles for c in counts}["2022-01-24"] == 1
    assert research.undated(small, Selection()) == 1


def test_timeline_per_week_and_month_per_outlet(small):
    weeks = research.timeline(small, Selection(), "week")
    assert {(c.period, c.outlet): c.articles for c in weeks if c.articles} == {
        ("2022-01-03", "A"): 1, ("2022-01-03", "C"): 1, ("2022-01-24", "B"): 1}
    months = research.timeline(small, Selection("almaty"), "month", per_outlet=False)
    assert [(c.period, c.articles) for c in months] == [("2022-01", 2)]


def test_export_carries_every_field_and_the_warc_pointer(small, tmp_path):
    target = tmp_path / "all.jsonl"
    assert write_export(small, Selection(), "jsonl", target) == 4
    rows = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 4 and list(rows[0]) == list(research.EXPORT_COLUMNS)
    assert all(r["warc_file"] and r["record_id"] and r["crawl"] for r in rows)
    assert rows[0]["text"].startswith("Kerusuhan meluas") and rows[0]["tags"] == []
    assert write_export(small, Selection("almaty"), "csv", tmp_path / "a.csv") == 2
    written = list(csv.DictReader((tmp_path / "a.csv").open(encoding="utf-8")))
    assert [r["url"] for r in written] == ["http://a.test/1", "http://c.test/4"]
    assert written[0]["published_day"] == "2022-01-05"
    assert write_export(small, Selection("nothing_like_it"), "parquet", tmp_path / "e.pq") == 0
    assert not list(tmp_path.glob("*.partial"))


def test_an_index_from_before_the_stems_gets_them(tmp_path):
    path = tmp_path / "old.db"
    db = sqlite_utils.Database(path)
    schema.migrations.apply(db, stop_before="m006_research")
    db["runs"].insert({"id": 1, "crawl": "old", "kind": "crawl", "status": "finished"})
    db["captures"].insert({"id": 1, "run_id": 1, "url": "http://a.test/1",
                           "record_id": "<urn:uuid:1>"})
    db["articles"].insert({"id": 1, "capture_id": 1, "url": "http://a.test/1",
                           "title": "Kerusuhan", "text": "Kerusuhan di Almaty.",
                           "published_at": "2022-01-05T23:30:00+07:00"})
    db.conn.close()
    Index(path).close()
    conn = open_readonly(path)
    assert ids(research.search(conn, Selection("rusuh"))) == ["1"]
    assert conn.execute("SELECT published_day FROM articles").fetchone()[0] == "2022-01-05"
    conn.close()


def test_readonly_connection_cannot_write(small):
    with pytest.raises(sqlite3.OperationalError):
        small.execute("DELETE FROM articles")


# -- the crawled demo, through the CLI ----------------------------------------------------

def _hits(crawled, *args):
    result = liputan("search", *args, "--archive", str(crawled.root), "--json",
                     "--limit", "1000")
    assert result.returncode == 0, result.stderr
    return sorted(h["id"] for h in json.loads(result.stdout))


def test_word_forms_and_aliases_find_the_same_stories(crawled):
    assert _hits(crawled, "rusuh") == _hits(crawled, "kerusuhan") != []
    assert _hits(crawled, "Tokaev") == _hits(crawled, "Tokayev") != []
    exact = _hits(crawled, "Tokayev", "--no-aliases", "--exact")
    assert set(exact) < set(_hits(crawled, "Tokayev"))


def test_search_says_when_it_shows_fewer_rows_than_match(crawled):
    result = liputan("search", "Kazakhstan", "--limit", "2", "--archive", str(crawled.root))
    assert result.returncode == 0 and "showing 2 of" in result.stderr


def test_export_has_a_row_per_article_in_every_format(crawled, tmp_path):
    import pyarrow.parquet as pq

    conn = sqlite3.connect(crawled.root / "index.db")
    articles = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
    conn.close()
    out = liputan("export", "--archive", str(crawled.root))
    assert out.returncode == 0 and len(out.stdout.splitlines()) == articles
    assert f"exported {articles} articles" in out.stderr
    out = liputan("export", "--format", "csv", "--archive", str(crawled.root))
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    assert len(rows) == articles and rows[0]["text"] and rows[0]["warc_file"]
    target = tmp_path / "all.parquet"
    out = liputan("export", "--format", "parquet", "-o", str(target), "--archive",
                  str(crawled.root))
    assert out.returncode == 0, out.stderr
    table = pq.read_table(target)
    assert table.num_rows == articles and "text" in table.column_names
    assert not (tmp_path / "all.parquet.partial").exists()


def test_export_errors_are_one_line(crawled, tmp_path):
    out = liputan("export", "--format", "parquet", "--archive", str(crawled.root))
    assert out.returncode == 1 and "--output" in out.stderr and "Traceback" not in out.stderr
    out = liputan("export", '"broken', "--archive", str(crawled.root))
    assert out.returncode == 1 and "unbalanced quote" in out.stderr


def test_timeline_table_chart_and_plot(crawled, tmp_path):
    out = liputan("timeline", "--archive", str(crawled.root), "--csv")
    assert out.returncode == 0 and out.stdout.startswith("period,outlet,articles")
    out = liputan("timeline", "Almaty", "--by", "week", "--chart", "--archive",
                  str(crawled.root))
    assert out.returncode == 0 and "█" in out.stdout
    for name in ("coverage.png", "coverage.svg"):
        out = liputan("timeline", "--plot", str(tmp_path / name), "--archive",
                      str(crawled.root))
        assert out.returncode == 0, out.stderr
        assert (tmp_path / name).stat().st_size > 1000
    assert (tmp_path / "coverage.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    out = liputan("timeline", "--plot", str(tmp_path / "x.gif"), "--archive",
                  str(crawled.root))
    assert out.returncode == 1 and ".png or .svg" in out.stderr


def test_search_writes_nothing_and_loads_neither_the_crawler_nor_sqlite_utils(crawled, tmp_path):
    import hashlib
    import os
    import shutil
    import subprocess
    import sys

    from tests.conftest import REPO

    root = tmp_path / "archive"
    shutil.copytree(crawled.root, root)
    liputan("check", "--archive", str(root))  # no -wal left from the crawl's writer
    index = root / "index.db"
    before = (hashlib.sha256(index.read_bytes()).hexdigest(), os.stat(index).st_mtime_ns)
    for args in (["search", "Almaty"], ["timeline", "--by", "month"], ["show", "1"]):
        done = liputan(*args, "--archive", str(root))
        assert done.returncode == 0, done.stderr
    assert (hashlib.sha256(index.read_bytes()).hexdigest(), os.stat(index).st_mtime_ns
            ) == before
    # What a search imports (timings are benchmarks/search.py's): not Scrapy, not the
    # extractors, not sqlite-utils (a writer's library, a tenth of a second to load).
    code = ("import sys\nfrom crawler.cli import cli\n"
            f"sys.argv = ['liputan', 'search', 'Almaty', '--archive', {str(root)!r}]\n"
            "try:\n    cli(prog_name='liputan')\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in ('scrapy', 'trafilatura', 'sqlite_utils', 'twisted')"
            " if m in sys.modules))\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                          text=True, timeout=60)
    assert done.stdout.strip().splitlines()[-1] == "[]", done.stdout + done.stderr


def test_an_index_of_an_earlier_schema_is_upgraded_once_by_a_read(crawled, tmp_path):
    import shutil

    root = tmp_path / "archive"
    shutil.copytree(crawled.root, root)
    db = sqlite3.connect(root / "index.db")
    last = db.execute("SELECT max(rowid) FROM _sqlite_migrations").fetchone()[0]
    db.execute("DELETE FROM _sqlite_migrations WHERE rowid=?", [last])  # one step behind
    db.commit()
    db.close()
    first = liputan("search", "Almaty", "--archive", str(root))
    assert first.returncode == 0 and "upgraded" in first.stderr, first.stderr
    again = liputan("search", "Almaty", "--archive", str(root))
    assert again.returncode == 0 and "upgraded" not in again.stderr
    assert again.stdout == first.stdout


def test_the_schema_version_counts_every_schema_step():
    from pipelines.index import SCHEMA_VERSION

    assert len(schema.migrations.pending(sqlite_utils.Database(memory=True))) == SCHEMA_VERSION


def test_every_command_is_where_the_cli_looks_for_it():
    import importlib

    from crawler.cli import COMMAND_MODULES, cli

    for module in set(COMMAND_MODULES.values()):
        importlib.import_module(f"crawler.cli.{module}")
    assert set(cli.commands) == set(COMMAND_MODULES)
