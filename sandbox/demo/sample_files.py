"""Files the demo uploads, made here so the package ships no binary samples."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["SAMPLE_FILES", "SampleFile"]


@dataclass(frozen=True, slots=True)
class SampleFile:
    content: bytes
    mime_type: str


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


# By the name an UPLOAD step gives as its argument.
SAMPLE_FILES: dict[str, SampleFile] = {
    "warehouse-certificate.pdf": SampleFile(
        _tiny_pdf("Warehouse certificate (sample)"), "application/pdf"
    ),
}
