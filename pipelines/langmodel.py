"""py3langid's language model, held in half the memory and scoring the same.

Every extraction worker holds the model, so its size is paid once per core: py3langid keeps
67 MB of tables (a 40 MB byte-level DFA of uint32 states, a 27 MB float16 feature-by-class
table) and peaks 40 MB above that while loading. Two facts about the model make it smaller
without changing a score:

- the DFA's states need 17 bits (104,583 of them): the low 16 go in a uint16 table and the
  top bit in a bit plane (20.9 MB instead of 40);
- most of a class's feature weights are its floor, the weight of a feature the class never
  showed in training (2.6 M of the 14.2 M cells are above it): the cells above the floor are
  kept row by row, as (class, weight above the floor) pairs (13.6 MB instead of 27; the
  lift is stored as float32, exact for two float16 weights, because numpy's float16
  arithmetic is emulated and tripled the scoring time).

A text's score for class c is then floor_c * sum(w) + sum over its features f with c in
row f of w_f * lift[f, c], with w_f = log(1 + count_f) as py3langid computes
it. The tables are read from py3langid's own file a slice at a time, so loading never holds
more than the compact form plus one slice. tests/test_language.py checks the results equal
py3langid's on every text it classifies.
"""

from __future__ import annotations

import lzma
import shutil
import tempfile
import zipfile
from collections import Counter
from collections.abc import Iterator
from typing import IO

import numpy as np
from py3langid.langid import MODEL_DIR, MODEL_FILE, RAW_FLOOR, LanguageIdentifier

STATE_BITS = 17
_SLICE = 1 << 18  # table cells read at a time: ~1 MB, the transient of a load


def _member(archive: zipfile.ZipFile, name: str) -> tuple[IO[bytes], tuple[int, ...],
                                                            np.dtype]:
    """A .npy member of the model opened for streaming: (stream, shape, dtype)."""
    stream = archive.open(f"{name}.npy")
    version = np.lib.format.read_magic(stream)
    read_header = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                   else np.lib.format.read_array_header_2_0)
    shape, fortran, dtype = read_header(stream)
    if fortran:
        raise ValueError(f"py3langid model: {name} is not in C order")
    return stream, shape, dtype


def _slices(stream: IO[bytes], dtype: np.dtype, count: int,
            size: int = _SLICE) -> Iterator[np.ndarray]:
    while count > 0:
        n = min(size, count)
        yield np.frombuffer(stream.read(n * dtype.itemsize), dtype=dtype, count=n)
        count -= n


def _whole(archive: zipfile.ZipFile, name: str) -> np.ndarray:
    stream, shape, dtype = _member(archive, name)
    with stream:
        return np.frombuffer(stream.read(), dtype=dtype).reshape(shape)


class CompactIdentifier(LanguageIdentifier):
    """py3langid's LanguageIdentifier over the compact tables (its text encoding, class
    aliases and decisions are its own; only the feature walk and the score are here)."""

    def __init__(self, archive: zipfile.ZipFile) -> None:
        pc, classes = _whole(archive, "pc"), _whole(archive, "classes").tolist()
        out = _whole(archive, "out_feat")
        rows = _whole(archive, "nextmove_row")
        super().__init__(None, np.asarray(pc, dtype=np.float32), classes, None, None,
                         tk_row=())
        self._rows = (rows.astype(np.int64) << 8).tolist()  # a list: the walk's fastest read
        self._out = out.tolist()
        self._low, self._high = self._read_states(archive)
        self._floor, self._start, self._cls, self._lift = self._read_weights(archive)

    @staticmethod
    def _read_states(archive: zipfile.ZipFile) -> tuple[memoryview, bytes]:
        stream, shape, dtype = _member(archive, "nextmove")
        (count,) = shape
        low = np.empty(count, dtype=np.uint16)
        high = bytearray((count + 7) // 8)
        with stream:
            at = 0
            for part in _slices(stream, dtype, count):  # slices are multiples of 8 cells
                if int(part.max(initial=0)) >> STATE_BITS:
                    raise ValueError("py3langid model: a DFA state needs more than 17 bits")
                low[at:at + len(part)] = part
                bits = np.packbits((part >> 16).astype(np.uint8), bitorder="little")
                high[at // 8:at // 8 + len(bits)] = bits.tobytes()
                at += len(part)
        return memoryview(low).cast("B").cast("H"), bytes(high)

    @staticmethod
    def _read_weights(archive: zipfile.ZipFile) -> tuple[np.ndarray, np.ndarray, np.ndarray,
                                                          np.ndarray]:
        """Three passes over the table, one slice at a time: each class's floor, how many
        cells of each feature are above it, then those cells into arrays of their size."""
        _, (features, classes), dtype = _member(archive, "ptc")

        def tables() -> Iterator[np.ndarray]:
            stream, _, _ = _member(archive, "ptc")
            with stream:
                for part in _slices(stream, dtype, features * classes,
                                    max(1, _SLICE // classes) * classes):
                    yield part.reshape(-1, classes)

        floor = np.full(classes, np.inf, dtype=np.float32)
        for table in tables():
            np.minimum(floor, table.min(axis=0), out=floor)
        above_floor = floor.astype(dtype)
        starts = np.zeros(features + 1, dtype=np.int64)
        at = 0
        for table in tables():
            starts[at + 1:at + 1 + len(table)] = np.count_nonzero(table > above_floor, axis=1)
            at += len(table)
        np.cumsum(starts, out=starts)
        cls = np.empty(starts[-1], dtype=np.uint8)
        lift = np.empty(starts[-1], dtype=np.float32)
        at = 0
        for table in tables():
            row, col = np.nonzero(table > above_floor)
            cells = slice(starts[at], starts[at + len(table)])
            cls[cells] = col
            lift[cells] = table[row, col].astype(np.float32) - floor[col]
            at += len(table)
        return floor, starts, cls, lift

    def features(self, text: bytes) -> Counter[int] | None:
        """How often each feature of the model occurs in the text (py3langid's DFA walk)."""
        rows, low, high, out = self._rows, self._low, self._high, self._out
        state, found = 0, []
        append = found.append
        for letter in text:
            cell = rows[state] + letter
            state = low[cell] | ((high[cell >> 3] >> (cell & 7)) & 1) << 16
            feature = out[state]
            if feature >= 0:
                append(feature)
        return Counter(found) if found else None

    def _raw_score(self, text: bytes) -> np.ndarray:
        visits = self.features(text)
        if not visits:
            fill = 0.0 if self._norm_probs else RAW_FLOOR
            return np.full(len(self.nb_classes), fill, dtype=np.float32)
        ids = np.fromiter(visits.keys(), dtype=np.int64, count=len(visits))
        weights = np.log1p(np.fromiter(visits.values(), dtype=np.float32, count=len(visits)))
        first, last = self._start[ids], self._start[ids + 1]
        lengths = last - first
        # every (class, weight) cell of the features found, as one index array
        cells = np.repeat(first - np.cumsum(lengths) + lengths, lengths) + np.arange(
            lengths.sum())
        scores = self._floor * weights.sum() + np.bincount(
            self._cls[cells], weights=np.repeat(weights, lengths) * self._lift[cells],
            minlength=len(self._floor))
        return (scores + self.nb_pc).astype(np.float32)


def load() -> CompactIdentifier:
    """The compact identifier from py3langid's bundled model (xz-compressed .npz), inflated
    to a temporary file as py3langid does, so the archive is never in memory whole."""
    with tempfile.TemporaryFile(suffix=".npz") as tmp:
        with lzma.open(MODEL_DIR / MODEL_FILE) as src:
            shutil.copyfileobj(src, tmp, length=1 << 20)
        tmp.seek(0)
        with zipfile.ZipFile(tmp) as archive:
            return CompactIdentifier(archive)
