"""Exports of indexed articles: JSON Lines, CSV, Parquet, written as they stream in.

Rows come from `pipelines.index.research.export` (every field of EXPORT_COLUMNS) in
batches: memory holds one batch, whatever the number of articles. JSON lines are built by
SQLite; CSV and Parquet by Arrow (both C code: the rows never become Python dicts).
"""

from __future__ import annotations

import sqlite3
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pipelines.index.research import EXPORT_COLUMNS, Selection, export

EXPORT_FORMATS = ("jsonl", "csv", "parquet")
BATCH = 5_000  # rows per batch (and per Parquet row group): bounded memory
_INTEGER_COLUMNS = ("id", "word_count", "pages", "cluster_id", "status", "warc_offset",
                    "warc_length", "run_id")


class ExportError(Exception):
    """An export that cannot be written (a missing library, an unwritable file)."""


def write_export(conn: sqlite3.Connection, selection: Selection, fmt: str,
                 output: Path | None, on_rows: Callable[[int], None] | None = None) -> int:
    """Write the selected articles as `fmt` to `output` (standard output when None); the
    rows written. `on_rows(n)` is told of every batch (progress). A file is written beside
    its final name and renamed when complete: an interrupted export never looks whole."""
    if fmt not in EXPORT_FORMATS:
        raise ExportError(f"unknown export format {fmt!r}; use one of {', '.join(EXPORT_FORMATS)}")
    if fmt == "parquet" and output is None:
        raise ExportError("parquet is a binary format: give a file to write")
    batches = _batches(export(conn, selection, as_json=fmt == "jsonl"), on_rows)
    if output is None:
        return _WRITERS[fmt](batches, sys.stdout.buffer)
    with _atomic(output) as out:
        return _WRITERS[fmt](batches, out)


def _batches(cursor: sqlite3.Cursor, on_rows: Callable[[int], None] | None
             ) -> Iterator[list[tuple[Any, ...]]]:
    while batch := cursor.fetchmany(BATCH):
        yield batch
        if on_rows is not None:
            on_rows(len(batch))


@contextmanager
def _atomic(path: Path) -> Iterator[Any]:
    partial = path.with_name(path.name + ".partial")
    try:
        handle = partial.open("wb")
    except OSError as exc:
        raise ExportError(f"cannot write {path}: {exc.strerror}") from exc
    try:
        with handle:
            yield handle
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)


def _jsonl(batches: Iterator[list[tuple[Any, ...]]], out: Any) -> int:
    written = 0
    for batch in batches:
        out.write(("\n".join(row[0] for row in batch) + "\n").encode("utf-8"))
        written += len(batch)
    out.flush()
    return written


def _arrow():
    try:  # imported here: pyarrow is slow to import and only CSV and Parquet need it
        import pyarrow as pa
    except ImportError as exc:  # a dependency, but an install may lack it
        raise ExportError("csv and parquet exports need pyarrow: pip install pyarrow") from exc
    types = {**{name: pa.int64() for name in _INTEGER_COLUMNS}, "relevance": pa.float64()}
    return pa, pa.schema([(name, types.get(name, pa.string())) for name in EXPORT_COLUMNS])


def _tables(batches: Iterator[list[tuple[Any, ...]]], pa: Any, schema: Any) -> Iterator[Any]:
    for batch in batches:
        columns = list(zip(*batch, strict=True))
        yield pa.Table.from_arrays([pa.array(c, type=f.type) for c, f in
                                    zip(columns, schema, strict=True)], schema=schema)


def _csv(batches: Iterator[list[tuple[Any, ...]]], out: Any) -> int:
    pa, schema = _arrow()
    import pyarrow.csv as pacsv

    written = 0
    options = pacsv.WriteOptions(quoting_style="needed")
    with pacsv.CSVWriter(out, schema, write_options=options) as writer:
        for table in _tables(batches, pa, schema):
            writer.write_table(table)
            written += table.num_rows
    return written


def _parquet(batches: Iterator[list[tuple[Any, ...]]], out: Any) -> int:
    pa, schema = _arrow()
    import pyarrow.parquet as pq

    written = 0
    with pq.ParquetWriter(out, schema, compression="zstd") as writer:
        for table in _tables(batches, pa, schema):
            writer.write_table(table)
            written += table.num_rows
    return written


_WRITERS = {"jsonl": _jsonl, "csv": _csv, "parquet": _parquet}
