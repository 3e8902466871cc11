"""What a warehouse certificate really is: its content read against the type its name claims.

Sellers send certificates as PDF, JPG or PNG; the bot passes the very same file on to platform
operators, who open it. The name and the MIME type are only what the sender says, so before a
file is kept its bytes are read here: a PDF must look like one from its header to its trailer
and carry no active content, an image must be the format its name says, within a pixel limit,
and decode to the end.

This reads a hostile file, so it runs in the file worker (`bot.certificate_check`), a child
process with memory and time limits, on a download already cut off at the size limit. Every way
the file can fail is an `InvalidInput` naming the problem.
"""

from __future__ import annotations

import enum
import re
import warnings
import zlib
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

from PIL import Image, UnidentifiedImageError

from domain.errors import InvalidInput


class DocumentFormat(enum.Enum):
    """The formats a certificate may be in, by the name sellers know them by."""

    PDF = "PDF"
    JPEG = "JPG"
    PNG = "PNG"


FORMAT_OF_EXTENSION = {
    ".pdf": DocumentFormat.PDF,
    ".jpg": DocumentFormat.JPEG,
    ".jpeg": DocumentFormat.JPEG,
    ".png": DocumentFormat.PNG,
}
# A scan of an A4 page at 600 dpi is 35 megapixels. Decoding is what costs memory (up to four
# bytes a pixel), so the limit is checked on the header's dimensions before any pixel is read.
MAX_PIXELS = 50_000_000
# Dictionary keys and types that make a PDF viewer run a script, start a program, or carry
# other files inside the document; a certificate needs none of them.
ACTIVE_PDF_NAMES = frozenset(
    {b"JavaScript", b"JS", b"Launch", b"EmbeddedFile", b"EmbeddedFiles", b"RichMedia"}
)
# `%%EOF` ends the last revision; some writers put a little padding after it.
PDF_TRAILER_WINDOW = 1024
# Object streams hold dictionaries compressed; what they unpack to, all of them together.
MAX_OBJECT_STREAM_BYTES = 64 * 2**20

# Which of Pillow's readers may look at a file claimed as each image type (no other reader
# runs on it), and the formats they may find: phones save JPEGs as MPO, a JPEG container.
_PILLOW_READERS = {DocumentFormat.JPEG: ["JPEG"], DocumentFormat.PNG: ["PNG"]}
_PILLOW_FOUND = {DocumentFormat.JPEG: {"JPEG", "MPO"}, DocumentFormat.PNG: {"PNG"}}
# A PDF name: "/" and the regular characters after it (whitespace and delimiters end it).
_PDF_NAME = re.compile(rb"/([^\s\x00()<>\[\]{}/%]*)")
_PDF_NAME_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
_STREAM_KEYWORD = re.compile(rb"(?<=[\s>])stream(?:\r\n|\n|\r)")


def claimed_format(file_name: str) -> DocumentFormat | None:
    return FORMAT_OF_EXTENSION.get(PurePosixPath(file_name).suffix.lower())


def check_certificate_file(path: Path, file_name: str) -> DocumentFormat:
    """The format of the certificate at `path`, once its content proved to be what `file_name`
    claims; `InvalidInput` saying what is wrong otherwise."""
    claimed = claimed_format(file_name)
    if claimed is None:
        raise InvalidInput("warehouse.document_type", file_name=file_name)
    if claimed == DocumentFormat.PDF:
        check_pdf(path.read_bytes(), file_name)
    else:
        check_image(path, claimed, file_name)
    return claimed


# ----- PDF -----


def check_pdf(data: bytes, file_name: str) -> None:
    """A PDF header, a trailer at the end, and no active content in any dictionary.

    This is a scan, not a PDF parser: it reads the names in the file outside its streams, and
    inside the object streams where newer writers compress dictionaries. It reads the file in
    order, where a viewer jumps to objects by their offsets, so a file crafted against it
    (an encrypted object stream, a "stream" keyword forged in a string) can slip past; it
    catches active content as ordinary tools write it (docs/certificates.md).
    """
    if not data.startswith(b"%PDF-"):
        raise _not_the_claimed(DocumentFormat.PDF, file_name)
    if b"%%EOF" not in data[-PDF_TRAILER_WINDOW:]:
        raise _damaged(file_name)
    for text in _pdf_dictionaries(data, file_name):
        if ACTIVE_PDF_NAMES & _pdf_names(text):
            raise InvalidInput("warehouse.document_active_content", file_name=file_name)


def _pdf_names(text: bytes) -> set[bytes]:
    """The names in `text`, with `#xx` escapes decoded (`/J#53` is `/JS`)."""
    return {
        _PDF_NAME_ESCAPE.sub(lambda escape: bytes([int(escape[1], 16)]), name)
        for name in _PDF_NAME.findall(text)
    }


def _pdf_dictionaries(data: bytes, file_name: str) -> Iterator[bytes]:
    """The parts of the file where dictionaries are: everything outside stream data, and each
    object stream, as stored and unpacked. Image and page streams are skipped unread."""
    # Only a file that says it is encrypted may have object streams this cannot unpack: a
    # viewer needs the key too. One that merely says so is still read where it can be.
    encrypted = b"/Encrypt" in data
    unpacked = 0
    position = 0
    while (keyword := _STREAM_KEYWORD.search(data, position)) is not None:
        # What precedes the keyword since the last stream: the stream's own dictionary, and
        # any objects stored plainly in between. Read whole, so no comment can cut it short.
        before = data[position : keyword.start()]
        yield before
        end = data.find(b"endstream", keyword.end())
        if end < 0:
            raise _damaged(file_name)
        names = _pdf_names(before)
        if _holds_objects(names):
            stored = data[keyword.end() : end]
            yield stored
            objects = _inflate(stored, MAX_OBJECT_STREAM_BYTES - unpacked, file_name)
            if objects is not None:
                unpacked += len(objects)
                yield objects
            elif names & _OTHER_FILTERS or (b"FlateDecode" in names and not encrypted):
                # Packed in a way writers do not use for objects, or not unpacking: a stream
                # no one can read cannot be shown to be harmless.
                raise _damaged(file_name)
        position = end + len(b"endstream")
    yield data[position:]


def _holds_objects(names: set[bytes]) -> bool:
    """Whether a stream with these names in its dictionary keeps objects: its type says so, or
    it has the /N and /First a reader finds them by (a reader need not look at the type)."""
    return b"ObjStm" in names or {b"N", b"First"} <= names


# Stream filters other than FlateDecode, the one writers pack object streams with.
_OTHER_FILTERS = frozenset(
    {b"LZWDecode", b"ASCII85Decode", b"ASCIIHexDecode", b"RunLengthDecode", b"Crypt"}
)


def _inflate(stored: bytes, budget: int, file_name: str) -> bytes | None:
    """`stored` unpacked with zlib (None: it is not zlib data); past `budget` bytes, a bomb."""
    if budget <= 0:
        raise _damaged(file_name)
    inflater = zlib.decompressobj()
    try:
        unpacked = inflater.decompress(stored, budget)
    except zlib.error:
        return None
    if inflater.unconsumed_tail:
        raise _damaged(file_name)
    return unpacked


# ----- JPEG and PNG -----


def check_image(path: Path, claimed: DocumentFormat, file_name: str) -> None:
    """The image is `claimed`, within `MAX_PIXELS`, and decodes to the end."""
    readers = _PILLOW_READERS[claimed]
    try:
        with warnings.catch_warnings():
            # Pillow warns about (and past twice its own limit refuses) a decompression bomb
            # when it reads the header; either way it is an image with too many pixels.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path, formats=readers) as image:
                if image.format not in _PILLOW_FOUND[claimed]:
                    raise _not_the_claimed(claimed, file_name)
                width, height = image.size
                if width * height > MAX_PIXELS:
                    raise _too_many_pixels(file_name)
                image.verify()  # a PNG's chunk checksums, without decoding
            # A verified image cannot be decoded; a fresh one is, to the last pixel (a cut-off
            # JPEG only shows there).
            with Image.open(path, formats=readers) as image:
                image.load()
    except InvalidInput:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_many_pixels(file_name) from None
    except UnidentifiedImageError:
        raise _not_the_claimed(claimed, file_name) from None
    except MemoryError:
        raise
    except Exception:  # whatever a damaged image makes a decoder raise
        raise _damaged(file_name) from None


# ----- the answers -----


def _not_the_claimed(claimed: DocumentFormat, file_name: str) -> InvalidInput:
    return InvalidInput("warehouse.document_not_type", file_name=file_name, claimed=claimed.value)


def _damaged(file_name: str) -> InvalidInput:
    return InvalidInput("warehouse.document_damaged", file_name=file_name)


def _too_many_pixels(file_name: str) -> InvalidInput:
    return InvalidInput(
        "warehouse.document_too_many_pixels",
        file_name=file_name,
        max_megapixels=MAX_PIXELS // 1_000_000,
    )
