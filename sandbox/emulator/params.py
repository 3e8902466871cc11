"""Bot API request parameters: decoded from HTTP, then read as typed values.

Telegram takes parameters in the query string, a JSON body, a url-encoded form or a multipart
form. ``read_params`` merges them into one dict, uploaded files as ``UploadedFile``. In a form
every value is a string, so ``int_param``, ``bool_param`` and ``json_param`` read a value the
same way whichever encoding it came in. Every request is checked against the spec before a
method reads it, so these readers never meet a value of the wrong type.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from aiohttp import web

from sandbox.emulator.records import BotApiError
from sandbox.http_safety import BadBody, read_form, read_json
from sandbox.spec import UploadedFile

__all__ = ["Params", "bool_param", "int_param", "json_param", "read_params"]

Params = dict[str, Any]


def int_param(params: Mapping[str, Any], name: str) -> int | None:
    value = params.get(name)
    if value is None:
        return None
    # Validated against the spec already, so this is an int or a decimal string.
    return int(value)


def bool_param(params: Mapping[str, Any], name: str) -> bool:
    value = params.get(name)
    return value is True or value == "true"


def json_param(params: Mapping[str, Any], name: str) -> Any:
    value = params.get(name)
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


async def read_params(request: web.Request) -> Params:
    """Decode query, JSON, url-encoded or multipart parameters (files as UploadedFile)."""
    params: Params = dict(request.query)
    if request.method != "POST" or not request.can_read_body:
        return params
    if request.content_type == "application/json":
        try:
            body = await read_json(request)
        except BadBody as error:
            raise BotApiError(error.status, f"Bad Request: {error.message}") from None
        if not isinstance(body, dict):
            raise BotApiError(400, "Bad Request: request body must be a JSON object")
        # Telegram treats a JSON null like an absent parameter.
        params.update({k: v for k, v in body.items() if v is not None})
        return params
    try:
        form = await read_form(request)
    except BadBody as error:
        raise BotApiError(error.status, f"Bad Request: {error.message}") from None
    params.update(form.fields)
    files = {
        name: UploadedFile(part.filename, part.content, part.content_type)
        for name, part in form.files.items()
    }
    # aiogram uploads InputFiles as parts with random names referenced by "attach://name";
    # a part nobody references is an ordinary (possibly unknown) parameter.
    texts = [v for v in params.values() if isinstance(v, str)]
    attachments = {
        name: f for name, f in files.items() if any(f"attach://{name}" in t for t in texts)
    }
    for name, uploaded in files.items():
        if name not in attachments:
            params[name] = uploaded
    for key, value in params.items():
        if isinstance(value, str) and value.removeprefix("attach://") in attachments:
            params[key] = attachments[value.removeprefix("attach://")]
    # A reference inside a JSON value (InputMedia.media) stays a string: the sends that take
    # media groups are emulated as bare records, which never read the files.
    return params
