"""Files the demo uploads, made here so the package ships no binary samples."""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from typing import Literal

__all__ = ["SAMPLE_FILES", "SampleFile"]


@dataclass(frozen=True, slots=True)
class SampleFile:
    content: bytes
    mime_type: str
    # How it is sent: a document (a file, as it is), or a photo (compressed, as a phone's
    # camera sends it; the return request takes photos, not image files).
    kind: Literal["document", "photo"] = "document"


def _tiny_pdf(title: str) -> bytes:
    """A valid one-page PDF with no text content: enough for a document upload."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
        f"<< /Title ({title}) >>".encode("latin-1"),
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R /Info 4 0 R >>\n"
        f"startxref\n{xref}\n%%EOF\n"
    ).encode()
    return bytes(out)


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    checksum = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", checksum)


def _damaged_parcel_png(width: int = 240, height: int = 180) -> bytes:
    """A drawn photo of a dented cardboard box on a table: a real PNG a browser shows."""
    table, box, tape, dent = (92, 92, 100), (196, 152, 98), (226, 206, 160), (110, 78, 46)
    left, right, top, bottom = width // 6, width * 5 // 6, height // 5, height * 5 // 6
    rows = bytearray()
    for y in range(height):
        rows.append(0)  # filter: none
        for x in range(width):
            colour = table
            if left <= x < right and top <= y < bottom:
                colour = box
                if abs(x - width // 2) < width // 30:
                    colour = tape
                # The crushed corner, and a dark crease running from it across the lid.
                if (x - left) + (y - top) < width // 10:
                    colour = table
                elif abs((x - left) - 2 * (y - top)) < 3 and x < left + width // 3:
                    colour = dent
            rows += bytes(colour)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", zlib.compress(bytes(rows), 9))
        + _png_chunk(b"IEND", b"")
    )


# By the name an UPLOAD step gives as its argument.
SAMPLE_FILES: dict[str, SampleFile] = {
    "warehouse-certificate.pdf": SampleFile(
        _tiny_pdf("Warehouse certificate (sample)"), "application/pdf"
    ),
    "damaged-parcel.png": SampleFile(_damaged_parcel_png(), "image/png", kind="photo"),
}
