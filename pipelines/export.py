"""Exports of indexed articles: CSV, JSON Lines, Parquet, written as they stream in.

Rows come from `pipelines.index.research.export` (every field of EXPORT_COLUMNS); memory
holds one batch, whatever the number of articles.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from itertools import islice
from pathlib import Path
from typing import Any, BinaryIO, TextIO

from pipelines.index.research import EXPORT_COLUMNS

EXPORT_FORMATS = ("csv", "jsonl", "parquet")
PARQUET_BATCH = 5_000  # rows per Parquet row group: bounded memory, columnar enough


class ExportError(Exception):
    """An export that cannot be written (a missing library, an unwritable file)."""


def write_export(rows: Iterable[dict[str, Any]], fmt: str, output: Path | None) -> int:
    """Write `rows` as `fmt` to `output` (standard output when None); the rows written.
    A file is written beside its final name and renamed when complete, so an interrupted
    export never leaves a truncated file that looks whole."""
    if fmt not in EXPORT_FORMATS:
        raise ExportError(f"unknown export format {fmt!r}; use one of {', '.join(EXPORT_FORMATS)}")
    if fmt == "parquet":
        if output is None:
            raise ExportError("parquet is a binary format: give a file to write")
        with _atomic(output, binary=True) as out:
            return _parquet(rows, out)
    if output is None:
        return _WRITERS[fmt](rows, sys.stdout)
    with _atomic(output, binary=False) as out:
        return _WRITERS[fmt](rows, out)


@contextmanager
def _atomic(path: Path, *, binary: bool) -> Iterator[Any]:
    partial = path.with_name(path.name + ".partial")
    try:
        handle = partial.open("wb") if binary else partial.open("w", encoding="utf-8",
                                                               newline="")
    except OSError as exc:
        raise ExportError(f"cannot write {path}: {exc.strerror}") from exc
    try:
        with handle:
            yield handle
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)


def _csv(rows: Iterable[dict[str, Any]], out: TextIO) -> int:
    writer = csv.DictWriter(out, fieldnames=list(EXPORT_COLUMNS), extrasaction="ignore")
    writer.writeheader()
    written = 0
    for row in rows:
        # A list field (tags) as JSON: one cell, parseable back.
        writer.writerow({k: json.dumps(v, ensure_ascii=False) if isinstance(v, list) else v
                         for k, v in row.items()})
        written += 1
    return written


def _jsonl(rows: Iterable[dict[str, Any]], out: TextIO) -> int:
    written = 0
    buffer = io.StringIO()
    for row in rows:
        buffer.write(json.dumps(row, ensure_ascii=False))
        buffer.write("\n")
        written += 1
        if buffer.tell() > 1 << 20:
            out.write(buffer.getvalue())
            buffer = io.StringIO()
    out.write(buffer.getvalue())
    return written


def _parquet(rows: Iterable[dict[str, Any]], out: BinaryIO) -> int:
    try:  # imported here: pyarrow is slow to import and only Parquet needs it
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError as exc:  # a dependency, but an install may lack it
        raise ExportError("parquet export needs pyarrow: pip install pyarrow") from exc
    types = {**{name: pa.int64() for name in _INTEGER_COLUMNS},
             "relevance": pa.float64(), "tags": pa.list_(pa.string())}
    schema = pa.schema([(name, types.get(name, pa.string())) for name in EXPORT_COLUMNS])
    written = 0
    it = iter(rows)
    with pq.ParquetWriter(out, schema, compression="zstd") as writer:
        while batch := list(islice(it, PARQUET_BATCH)):
            columns = {name: [row.get(name) for row in batch] for name in EXPORT_COLUMNS}
            writer.write_table(pa.Table.from_pydict(columns, schema=schema))
            written += len(batch)
    return written


_INTEGER_COLUMNS = ("id", "word_count", "pages", "cluster_id", "status", "warc_offset",
                    "warc_length", "run_id")
_WRITERS = {"csv": _csv, "jsonl": _jsonl}
