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
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from PIL import Image, UnidentifiedImageError

from domain.errors import InvalidInput


class DocumentFormat(enum.Enum):
    """The formats a checked document may be in, by the name people know them by. A
    certificate is a PDF, JPG or PNG (`FORMAT_OF_EXTENSION`); a file relayed in a return case
    may also be a WEBP image (`domain.returns.files`)."""

    PDF = "PDF"
    JPEG = "JPG"
    PNG = "PNG"
    WEBP = "WEBP"


@dataclass(frozen=True, slots=True)
class Answers:
    """The message a check answers each problem with (every one takes `file_name`)."""

    not_type: str  # also takes `claimed`, the format's name
    damaged: str
    active_content: str
    too_many_pixels: str  # also takes `max_megapixels`


CERTIFICATE_ANSWERS = Answers(
    not_type="warehouse.document_not_type",
    damaged="warehouse.document_damaged",
    active_content="warehouse.document_active_content",
    too_many_pixels="warehouse.document_too_many_pixels",
)


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
# other files inside the document, or play media (a rendition may run a script of its own); a
# certificate needs none of them.
ACTIVE_PDF_NAMES = frozenset(
    {
        b"JavaScript",
        b"JS",
        b"Launch",
        b"EmbeddedFile",
        b"EmbeddedFiles",
        b"RichMedia",
        b"Rendition",
    }
)
# `%%EOF` ends the last revision; some writers put a little padding after it.
PDF_TRAILER_WINDOW = 1024
# Object streams hold dictionaries compressed; what they unpack to, all of them together.
MAX_OBJECT_STREAM_BYTES = 64 * 2**20

# Which of Pillow's readers may look at a file claimed as each image type (no other reader
# runs on it), and the formats they may find: phones save JPEGs as MPO, a JPEG container.
_PILLOW_READERS = {
    DocumentFormat.JPEG: ["JPEG"],
    DocumentFormat.PNG: ["PNG"],
    DocumentFormat.WEBP: ["WEBP"],
}
_PILLOW_FOUND = {
    DocumentFormat.JPEG: {"JPEG", "MPO"},
    DocumentFormat.PNG: {"PNG"},
    DocumentFormat.WEBP: {"WEBP"},
}
# A PDF name: "/" and the regular characters after it (whitespace and delimiters end it).
_PDF_NAME = re.compile(rb"/([^\s\x00()<>\[\]{}/%]*)")
_PDF_NAME_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
# The active names looked for in every byte of the file, stream data included. A viewer jumps
# to objects by their offsets, so any stretch the in-order scan takes for stream data may hold
# an object to it. These names are 6 to 13 letters, which compressed or image data, however
# random, holds by chance about once in 256**7 places (a 20 MB file has 2 * 10**7): never.
# `/JS` is too short for that, but a JavaScript action is typed `/S /JavaScript` and a
# document-level script sits under `/JavaScript` in the names tree, so both are found by the
# long name; a rendition action, which may carry `/JS` too, is typed `/S /Rendition`.
_RAW_ACTIVE_NAMES = ACTIVE_PDF_NAMES - {b"JS"}
# A name token as long as one of those can be written: from the shortest (Launch) as is to the
# longest (EmbeddedFiles) with every letter a `#xx` escape. Longer tokens are not looked at.
_RAW_NAME = re.compile(rb"/([^\s\x00()<>\[\]{}/%]{6,39})(?![^\s\x00()<>\[\]{}/%])")
_STREAM_KEYWORD = re.compile(rb"(?<=[\s>])stream(?:\r\n|\n|\r)")
# What the string-aware reading steps over while it looks for the next `stream` keyword, as a viewer
# parsing an object would: a literal string, a hex string (`<`, but not a dictionary's `<<`) and
# a comment, so a `stream` written inside one of them is not taken for the keyword.
_STREAM_OR_SKIPPED = re.compile(rb"<<|<|\(|%|" + _STREAM_KEYWORD.pattern)
# A literal string's text up to its next unescaped parenthesis (they nest, balanced).
_LITERAL_STRING_PART = re.compile(rb"[^()\\]*(?:\\.[^()\\]*)*([()])", re.DOTALL)
_END_OF_LINE = re.compile(rb"[\r\n]")


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


def check_pdf(data: bytes, file_name: str, answers: Answers = CERTIFICATE_ANSWERS) -> None:
    """A PDF header, a trailer at the end, and no active content in any dictionary.

    This is a scan, not a PDF parser. The long active names (all but `/JS`) are looked for in
    every byte of the file as stored, stream data included, so no object stored plainly can
    carry them past it, wherever a viewer finds that object. Then the file is read in order,
    once stepping over strings and comments and once not, for every active name outside stream
    data and inside the object streams where newer writers compress dictionaries. What none of
    this sees is compressed or encrypted: an encrypted object stream, or an object stream both
    in-order readings take for other stream data (one placed after a `stream` keyword forged
    between objects, where a viewer that jumps by offsets does not look) (docs/certificates.md).
    """
    refuse = _Refusals(answers, file_name)
    if not data.startswith(b"%PDF-"):
        raise refuse.not_the_claimed(DocumentFormat.PDF)
    if b"%%EOF" not in data[-PDF_TRAILER_WINDOW:]:
        raise refuse.damaged()
    if _has_raw_active_name(data):
        raise refuse.active_content()
    # Read twice, a `stream` inside a string or comment skipped and taken for the keyword: a
    # viewer jumping to an object may land inside what either reading takes for a string or a
    # comment, so an object stream either one finds is unpacked and read.
    for skip_strings in (True, False):
        for text in _pdf_dictionaries(data, refuse, skip_strings=skip_strings):
            if ACTIVE_PDF_NAMES & _pdf_names(text):
                raise refuse.active_content()


def _has_raw_active_name(data: bytes) -> bool:
    """Whether a long active name is anywhere in `data`, `#xx` escapes decoded: one pass over
    the bytes, one short token at a time."""
    for token in _RAW_NAME.finditer(data):
        name = token[1]
        if b"#" in name:
            name = _PDF_NAME_ESCAPE.sub(lambda escape: bytes([int(escape[1], 16)]), name)
        if name in _RAW_ACTIVE_NAMES:
            return True
    return False


def _pdf_names(text: bytes) -> set[bytes]:
    """The names in `text`, with `#xx` escapes decoded (`/J#53` is `/JS`)."""
    return {
        _PDF_NAME_ESCAPE.sub(lambda escape: bytes([int(escape[1], 16)]), name)
        for name in _PDF_NAME.findall(text)
    }


def _pdf_dictionaries(data: bytes, refuse: _Refusals, *, skip_strings: bool) -> Iterator[bytes]:
    """The parts of the file where dictionaries are: everything outside stream data, and each
    object stream, as stored and unpacked. Image and page streams are skipped unread. With
    `skip_strings`, a `stream` inside a string or a comment is not taken for the keyword."""
    # Only a file that says it is encrypted may have object streams this cannot unpack: a
    # viewer needs the key too. One that merely says so is still read where it can be.
    encrypted = b"/Encrypt" in data
    unpacked = 0
    position = 0
    find_keyword = _next_stream_keyword if skip_strings else _STREAM_KEYWORD.search
    while (keyword := find_keyword(data, position)) is not None:
        # What precedes the keyword since the last stream: the stream's own dictionary, and
        # any objects stored plainly in between. Read whole, so no comment can cut it short.
        before = data[position : keyword.start()]
        yield before
        end = data.find(b"endstream", keyword.end())
        if end < 0:
            raise refuse.damaged()
        names = _pdf_names(before)
        if _holds_objects(names):
            stored = data[keyword.end() : end]
            yield stored
            objects = _inflate(stored, MAX_OBJECT_STREAM_BYTES - unpacked, refuse)
            if objects is not None:
                unpacked += len(objects)
                yield objects
            elif names & _OTHER_FILTERS or (b"FlateDecode" in names and not encrypted):
                # Packed in a way writers do not use for objects, or not unpacking: a stream
                # no one can read cannot be shown to be harmless.
                raise refuse.damaged()
        position = end + len(b"endstream")
    yield data[position:]


def _next_stream_keyword(data: bytes, position: int) -> re.Match[bytes] | None:
    """The next `stream` keyword from `position` that is not inside a string or a comment.
    None if there is none, or a string or comment runs to the end of the file: the rest is then
    read whole as text, which can only find more names."""
    while (found := _STREAM_OR_SKIPPED.search(data, position)) is not None:
        token = found[0]
        if token == b"<<":
            position = found.end()
        elif token == b"<":
            position = data.find(b">", found.end()) + 1
            if position == 0:
                return None
        elif token == b"%":
            if (line_end := _END_OF_LINE.search(data, found.end())) is None:
                return None
            position = line_end.start()
        elif token == b"(":
            if (string_end := _literal_string_end(data, found.end())) is None:
                return None
            position = string_end
        else:
            return found
    return None


def _literal_string_end(data: bytes, position: int) -> int | None:
    """Where the literal string whose text starts at `position` ends (after its closing
    parenthesis), counting nested parentheses and skipping escaped ones; None if it never does.
    One step a parenthesis: a 20 MB file of nothing else takes seconds, within the worker's time
    limit, and an ordinary file has few outside its streams."""
    depth = 1
    while depth:
        part = _LITERAL_STRING_PART.match(data, position)
        if part is None:
            return None
        depth += 1 if part[1] == b"(" else -1
        position = part.end()
    return position


def _holds_objects(names: set[bytes]) -> bool:
    """Whether a stream with these names in its dictionary keeps objects: its type says so, or
    it has the /N and /First a reader finds them by (a reader need not look at the type)."""
    return b"ObjStm" in names or {b"N", b"First"} <= names


# Stream filters other than FlateDecode, the one writers pack object streams with.
_OTHER_FILTERS = frozenset(
    {b"LZWDecode", b"ASCII85Decode", b"ASCIIHexDecode", b"RunLengthDecode", b"Crypt"}
)


def _inflate(stored: bytes, budget: int, refuse: _Refusals) -> bytes | None:
    """`stored` unpacked with zlib (None: it is not zlib data); past `budget` bytes, a bomb."""
    if budget <= 0:
        raise refuse.damaged()
    inflater = zlib.decompressobj()
    try:
        unpacked = inflater.decompress(stored, budget)
    except zlib.error:
        return None
    if inflater.unconsumed_tail:
        raise refuse.damaged()
    return unpacked


# ----- JPEG and PNG -----


def check_image(
    path: Path, claimed: DocumentFormat, file_name: str, answers: Answers = CERTIFICATE_ANSWERS
) -> None:
    """The image is `claimed`, within `MAX_PIXELS`, and decodes to the end."""
    refuse = _Refusals(answers, file_name)
    readers = _PILLOW_READERS[claimed]
    try:
        with warnings.catch_warnings():
            # Pillow warns about (and past twice its own limit refuses) a decompression bomb
            # when it reads the header; either way it is an image with too many pixels.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path, formats=readers) as image:
                if image.format not in _PILLOW_FOUND[claimed]:
                    raise refuse.not_the_claimed(claimed)
                width, height = image.size
                if width * height > MAX_PIXELS:
                    raise refuse.too_many_pixels()
                image.verify()  # a PNG's chunk checksums, without decoding
            # A verified image cannot be decoded; a fresh one is, to the last pixel (a cut-off
            # JPEG only shows there).
            with Image.open(path, formats=readers) as image:
                image.load()
    except InvalidInput:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise refuse.too_many_pixels() from None
    except UnidentifiedImageError:
        raise refuse.not_the_claimed(claimed) from None
    except MemoryError:
        raise
    except Exception:  # whatever a damaged image makes a decoder raise
        raise refuse.damaged() from None


# ----- the answers -----


@dataclass(frozen=True, slots=True)
class _Refusals:
    """The answers of one check, about one file."""

    answers: Answers
    file_name: str

    def not_the_claimed(self, claimed: DocumentFormat) -> InvalidInput:
        return InvalidInput(self.answers.not_type, file_name=self.file_name, claimed=claimed.value)

    def damaged(self) -> InvalidInput:
        return InvalidInput(self.answers.damaged, file_name=self.file_name)

    def active_content(self) -> InvalidInput:
        return InvalidInput(self.answers.active_content, file_name=self.file_name)

    def too_many_pixels(self) -> InvalidInput:
        return InvalidInput(
            self.answers.too_many_pixels,
            file_name=self.file_name,
            max_megapixels=MAX_PIXELS // 1_000_000,
        )
