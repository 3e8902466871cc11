"""HTTP defences shared by the emulator and the web chat.

Both servers are local tools on loopback, but a browser on the same machine can be made to talk
to them by any web page: through DNS rebinding (a foreign name that resolves to 127.0.0.1), by
cross-site "simple" requests (a form or ``fetch(..., {mode: "no-cors"})`` posting text/plain),
and by opening a file they serve as a page of their origin. This module holds the pieces that
close those doors, and the body readers that turn every parser failure into a 4xx answer:

* ``allowed_hosts`` — the ``Host`` values a loopback server answers to;
* ``EmulatorGuard`` — the emulator's middleware: Host check and no cross-site browser requests
  everywhere; a per-run secret header and JSON (or multipart) bodies on the side API;
* ``file_response`` — user files as downloads, images only as themselves;
* ``read_json`` / ``read_form`` — bodies parsed with every malformed-input error turned into
  ``BadBody`` (400, or 413 when too large) with a message a person can act on. Multipart is
  read into memory by our own loop over aiohttp's part reader: ``request.post()`` spools file
  parts to temporary files it leaves open when a later part turns out malformed.
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import quote

from aiohttp import BodyPartReader, hdrs, web
from aiohttp.http_exceptions import HttpProcessingError, LineTooLong

__all__ = [
    "SIDE_API_PREFIX",
    "SIDE_API_SECRET_HEADER",
    "BadBody",
    "EmulatorGuard",
    "Form",
    "FormFile",
    "allowed_hosts",
    "file_response",
    "image_type",
    "new_secret",
    "read_form",
    "read_json",
]

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

SIDE_API_PREFIX: Final = "/_emulator/"
SIDE_API_SECRET_HEADER: Final = "X-Emulator-Secret"  # noqa: S105 - a header name, not a secret
# Side-API routes that take a file; every other POST takes a JSON object.
_MULTIPART_SUFFIX: Final = "/files"
LOOPBACK_NAMES: Final = ("127.0.0.1", "localhost", "[::1]")
MAX_FORM_FIELDS: Final = 1000

_IMAGE_MAGIC: Final = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)
# Served files never run as a page of this origin, even if a browser ignored the headers.
_FILE_POLICY: Final = "default-src 'none'; img-src 'self'; sandbox"


def new_secret() -> str:
    """A per-run secret for a header: unguessable, URL- and header-safe."""
    return secrets.token_urlsafe(32)


def allowed_hosts(bound_host: str, port: int) -> frozenset[str]:
    """``Host`` header values that name this server: the loopback names and the bound address.

    A wildcard bind (0.0.0.0, ::) adds nothing: the names a LAN peer might use are unknown, and
    a server reachable from the LAN is not protected by a Host check anyway.
    """
    names = set(LOOPBACK_NAMES)
    try:
        address = ipaddress.ip_address(bound_host)
    except ValueError:
        names.add(bound_host.lower())
    else:
        if not address.is_unspecified:
            names.add(f"[{address}]" if address.version == 6 else str(address))
    hosts = {f"{name}:{port}" for name in names}
    if port == 80:  # a browser leaves the default port out
        hosts |= names
    return frozenset(hosts)


def image_type(content: bytes) -> str | None:
    """The image type the bytes really are (PNG, JPEG, GIF, WebP), or None."""
    for magic, mime in _IMAGE_MAGIC:
        if content.startswith(magic):
            return mime
    if content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return "image/webp"
    return None


def file_response(content: bytes, file_name: str) -> web.Response:
    """A user's file: an image inline under its real image type, anything else a download.

    The uploader's claimed content type is never used: ``text/html`` served at this origin would
    be a page that can call the server's API with the browser's credentials.
    """
    headers = {"X-Content-Type-Options": "nosniff", "Content-Security-Policy": _FILE_POLICY}
    image = image_type(content)
    if image is not None:
        return web.Response(body=content, content_type=image, headers=headers)
    headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(file_name)}"
    return web.Response(body=content, content_type="application/octet-stream", headers=headers)


class BadBody(Exception):
    """A request body that cannot be parsed; ``status`` is 400, or 413 when it is too large."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass(frozen=True, slots=True)
class FormFile:
    """An uploaded file part, read whole (the body size is bounded by the server)."""

    filename: str
    content: bytes
    content_type: str


@dataclass(slots=True)
class Form:
    """A parsed form: text fields and file parts by name (a repeated name keeps the last)."""

    fields: dict[str, str] = field(default_factory=dict)
    files: dict[str, FormFile] = field(default_factory=dict)


def _too_large(limit: int) -> BadBody:
    # Servers allow a little over their file limit for the form around it, so round down.
    size = f"{limit // 2**20} MB" if limit >= 2**20 else f"{limit // 2**10} KB"
    return BadBody(f"the request body is larger than the {size} limit", 413)


def _form_problem(error: Exception) -> str:
    """A short, fixed description of a multipart parser failure (never the attacker's bytes)."""
    if isinstance(error, LineTooLong):
        return "a header line of a part is too long"
    if isinstance(error, HttpProcessingError):
        return "a part has malformed or too many headers"
    if isinstance(error, UnicodeDecodeError):
        return "a text field is not valid in its charset"
    if isinstance(error, LookupError):
        return "a part names an unknown charset"
    if isinstance(error, RuntimeError):
        return "a part uses an unsupported transfer encoding"
    if "boundary" in str(error).lower():
        return "the multipart boundary is missing or does not match the body"
    if "EOF" in str(error):
        return "the body ends before its closing boundary"
    return "the body is not well-formed multipart/form-data"


async def read_form(request: web.Request) -> Form:
    """A multipart or url-encoded body (any other type reads as empty), or ``BadBody``."""
    try:
        if request.content_type == "multipart/form-data":
            return await _read_multipart(request, request.client_max_size)
        # url-encoded bodies are one buffer, bounded by client_max_size; no files, no spooling.
        posted = await request.post()
        return Form(fields={k: v for k, v in posted.items() if isinstance(v, str)})
    except web.HTTPRequestEntityTooLarge:
        raise _too_large(request.client_max_size) from None
    except (ValueError, LookupError, RuntimeError, HttpProcessingError) as error:
        # RuntimeError: aiohttp's answer to an unknown Content-Transfer-Encoding.
        raise BadBody(f"malformed form body: {_form_problem(error)}") from None


async def _read_multipart(request: web.Request, limit: int) -> Form:
    form = Form()
    read = 0
    reader = await request.multipart()
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader):
            raise BadBody("malformed form body: a part is itself multipart")
        if part.name is None:
            raise BadBody("malformed form body: a part has no name")
        if len(form.fields) + len(form.files) >= MAX_FORM_FIELDS:
            raise BadBody(f"the form has more than {MAX_FORM_FIELDS} fields", 413)
        raw = bytearray()
        while chunk := await part.read_chunk():
            read += len(chunk)
            if read > limit:
                raise _too_large(limit)
            raw.extend(chunk)
        # Only the transfer encoding applies: form-data parts are never compressed (RFC 7578).
        data = bytes(part.decode(raw))
        if part.filename:
            content_type = part.headers.get(hdrs.CONTENT_TYPE, "application/octet-stream")
            form.files[part.name] = FormFile(part.filename, data, content_type)
        else:
            form.fields[part.name] = data.decode(part.get_charset(default="utf-8"))
    return form


async def read_json(request: web.Request) -> Any:
    """``request.json()`` with every failure (bad JSON, charset, nesting, size) as ``BadBody``."""
    try:
        return await request.json()
    except web.HTTPRequestEntityTooLarge:
        raise _too_large(request.client_max_size) from None
    except RecursionError:
        raise BadBody("the JSON body is nested too deeply") from None
    except LookupError:
        raise BadBody("the body names an unknown charset") from None
    except ValueError:
        raise BadBody("the body is not valid JSON") from None


def _json_error(request: web.Request, status: int, message: str) -> web.Response:
    if request.path.startswith(SIDE_API_PREFIX):
        return web.json_response({"error": message}, status=status)
    # On the Bot API routes the refusal has the Bot API's shape, so a client can parse it.
    payload = {"ok": False, "error_code": status, "description": message}
    return web.json_response(payload, status=status)


def cross_site_browser_request(request: web.Request) -> bool:
    """True for a request a web page of another origin made the browser send.

    Bot API clients and test code send neither header; a browser sends ``Origin`` on every
    cross-origin request that can change state and ``Sec-Fetch-Site`` on every request.
    """
    origin = request.headers.get("Origin")
    if origin is not None and origin.lower() != f"{request.scheme}://{request.host}".lower():
        return True
    return request.headers.get("Sec-Fetch-Site", "").lower() in ("cross-site", "same-site")


class EmulatorGuard:
    """The emulator's middleware (see the module docstring for what each check stops).

    ``hosts`` is filled in once the socket is bound (the port is only known then); until then
    no request can arrive.
    """

    def __init__(self, secret: str) -> None:
        self.secret = secret
        self.hosts: frozenset[str] = frozenset()

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.host.lower() not in self.hosts:
            # The loopback server reached under a foreign name: a DNS-rebinding attempt.
            return _json_error(request, 421, "Misdirected Request: unexpected Host header")
        if cross_site_browser_request(request):
            return _json_error(request, 403, "Forbidden: cross-site requests are refused")
        if request.path.startswith(SIDE_API_PREFIX):
            refusal = self._side_api_refusal(request)
            if refusal is not None:
                return refusal
        return await handler(request)

    def _side_api_refusal(self, request: web.Request) -> web.Response | None:
        given = request.headers.get(SIDE_API_SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), self.secret.encode()):
            return _json_error(request, 403, f"missing or wrong {SIDE_API_SECRET_HEADER} header")
        if request.method != "POST":
            return None
        # text/plain (and urlencoded) bodies are what a cross-site form may send without asking.
        wanted = (
            "multipart/form-data"
            if request.path.endswith(_MULTIPART_SUFFIX)
            else "application/json"
        )
        if request.content_type != wanted:
            return _json_error(request, 415, f"the body must be {wanted}")
        return None
