"""Binary media built by hand: a one-page PDF and small baseline JPEGs.

No image or PDF library is needed: the formats are simple enough to write directly, and doing so
keeps every byte deterministic (the crawler's revisit tests compare payload digests).
"""

from __future__ import annotations

import struct


def build_pdf(title: str, lines: list[str]) -> bytes:
    """A valid single-page PDF 1.4 with Helvetica text, with a correct xref table."""

    def pdf_string(text: str) -> str:
        text = text.encode("latin-1", "replace").decode("latin-1")
        return "(" + text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ")"

    ops = ["BT", "/F1 16 Tf", "72 770 Td", f"{pdf_string(title)} Tj", "/F1 11 Tf", "0 -28 Td"]
    for line in lines:
        ops += [f"{pdf_string(line)} Tj", "0 -16 Td"]
    ops.append("ET")
    stream = "\n".join(ops).encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Title " + pdf_string(title).encode("latin-1") + b" /Producer (fixtureweb) >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref_at = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info 6 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, xref_at)
    return bytes(out)


class _BitWriter:
    def __init__(self) -> None:
        self.bits: list[int] = []

    def write(self, value: int, length: int) -> None:
        self.bits.extend((value >> (length - 1 - i)) & 1 for i in range(length))

    def tobytes(self) -> bytes:
        bits = self.bits + [1] * (-len(self.bits) % 8)  # pad with 1-bits, as JPEG requires
        out = bytearray()
        for i in range(0, len(bits), 8):
            byte = int("".join(map(str, bits[i:i + 8])), 2)
            out.append(byte)
            if byte == 0xFF:
                out.append(0x00)  # byte stuffing inside entropy-coded data
        return bytes(out)


def _segment(marker: int, payload: bytes) -> bytes:
    return struct.pack(">BBH", 0xFF, marker, len(payload) + 2) + payload


def build_jpeg(comment: str, width_blocks: int = 12, height_blocks: int = 8,
               tint: int = 0) -> bytes:
    """A baseline greyscale JPEG made of flat 8x8 blocks (only DC coefficients are coded).

    Custom Huffman tables keep it tiny: DC categories 0-8 all get 4-bit codes, and the AC table
    only needs the end-of-block symbol. ``comment`` goes into a COM segment, which is how
    otherwise identical pictures get distinct bytes.
    """
    quant = bytes([8] + [16] * 63)  # DC quantiser 8: quantised DC == mean level - 128
    dc_bits = bytes([0, 0, 0, 9] + [0] * 12)
    ac_bits = bytes([0, 2] + [0] * 14)
    width, height = width_blocks * 8, height_blocks * 8
    header = (
        b"\xff\xd8"
        + _segment(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")
        + _segment(0xFE, comment.encode("utf-8"))
        + _segment(0xDB, b"\x00" + quant)
        + _segment(0xC0, struct.pack(">BHHB", 8, height, width, 1) + b"\x01\x11\x00")
        + _segment(0xC4, b"\x00" + dc_bits + bytes(range(9)))
        + _segment(0xC4, b"\x10" + ac_bits + b"\x00\x01")
        + _segment(0xDA, b"\x01\x01\x00\x00\x3f\x00")
    )
    writer = _BitWriter()
    previous = 0
    for by in range(height_blocks):
        for bx in range(width_blocks):
            # A sky-to-ground gradient with a darker band: a plausible photo placeholder.
            level = 200 - by * 14 + bx * 3 + tint
            if height_blocks // 2 <= by <= height_blocks // 2 + 1:
                level -= 60
            dc = max(0, min(255, level)) - 128
            diff, previous = dc - previous, dc
            size = abs(diff).bit_length()
            writer.write(size, 4)
            if size:
                writer.write(diff if diff > 0 else diff + (1 << size) - 1, size)
            writer.write(0b00, 2)  # end of block: all AC coefficients are zero
    return header + writer.tobytes() + b"\xff\xd9"
