"""Bot API request validation against the machine-readable Telegram Bot API 10.1 spec.

The fake Bot API server (``sandbox.emulator``) runs every request the bot makes through
:func:`check_request` so that a bot which passes its end-to-end tests cannot be sending requests
the real Telegram would reject or silently ignore: unknown methods, unknown or misspelt
parameters, missing required parameters, and values of the wrong type.

Values may arrive in three encodings (JSON body, url-encoded form, multipart form). In forms every
top-level value is a string and objects/arrays are JSON-encoded strings, so top-level values are
decoded leniently; values nested inside JSON are checked strictly against their JSON types.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

__all__ = [
    "LEGACY_PARAMETERS",
    "BotApiSpec",
    "LegacyParameter",
    "MethodSpec",
    "ParamSpec",
    "UploadedFile",
    "ValidationResult",
    "check_request",
    "load_spec",
    "validate_request",
]

SPEC_RESOURCE = "telegram-bot-api-10.1.json"

_INT_RE = re.compile(r"-?\d+")
_FLOAT_RE = re.compile(r"-?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?")
# Subtypes of a union object (BotCommandScope, InputMedia, ...) say which one they are in the
# description of their discriminator field: 'must be chat' or 'always "emoji"'.
_DISCRIMINATOR_RE = re.compile(r'(?:must be|always) "?([a-z_]+)"?')
_DISCRIMINATOR_FIELDS = ("type", "source", "status")


@dataclass(frozen=True, slots=True)
class UploadedFile:
    """A file part of a multipart request (what Telegram calls an ``InputFile``)."""

    filename: str
    content: bytes
    content_type: str = "application/octet-stream"


@dataclass(frozen=True, slots=True)
class LegacyParameter:
    """A parameter Telegram still accepts although its documentation no longer lists it."""

    name: str
    types: tuple[str, ...]
    replacement: str


# Deliberately short and named: these are the only parameters outside the spec the emulator lets
# through, and each use is reported as a warning so the bot can move to the replacement.
LEGACY_PARAMETERS: Mapping[str, LegacyParameter] = {
    p.name: p
    for p in (
        LegacyParameter("reply_to_message_id", ("Integer",), "reply_parameters"),
        LegacyParameter("allow_sending_without_reply", ("Boolean",), "reply_parameters"),
        LegacyParameter("disable_web_page_preview", ("Boolean",), "link_preview_options"),
    )
}


@dataclass(frozen=True, slots=True)
class ParamSpec:
    """One parameter of a method or one field of an object type."""

    name: str
    types: tuple[str, ...]
    required: bool
    description: str = ""


@dataclass(frozen=True, slots=True)
class MethodSpec:
    """One Bot API method."""

    name: str
    params: Mapping[str, ParamSpec]
    returns: tuple[str, ...]


@dataclass(slots=True)
class ValidationResult:
    """Outcome of checking one request: hard problems and legacy-parameter warnings."""

    method: str | None
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _describe(value: Any) -> str:
    """Short, readable description of a value for error messages."""
    if isinstance(value, UploadedFile):
        return f"uploaded file {value.filename!r}"
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{type(value).__name__} {text}"


class BotApiSpec:
    """The parsed Bot API spec with a request checker."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.version: str = str(data.get("version", "unknown"))
        self.methods: dict[str, MethodSpec] = {}
        for name, raw in data["methods"].items():
            params = {
                f["name"]: ParamSpec(
                    f["name"], tuple(f["types"]), bool(f["required"]), f.get("description", "")
                )
                for f in raw.get("fields", [])
            }
            self.methods[name] = MethodSpec(name, params, tuple(raw.get("returns", [])))
        # Telegram matches method names case-insensitively (``/bot<token>/SENDMESSAGE`` works).
        self._by_lower = {name.lower(): name for name in self.methods}
        self.types: dict[str, Mapping[str, Any]] = dict(data["types"])

    # -- lookup -------------------------------------------------------------------------------

    def method(self, name: str) -> MethodSpec | None:
        """Return the method spec for ``name`` in any letter case, or None if unknown."""
        canonical = self._by_lower.get(name.lower())
        return self.methods[canonical] if canonical else None

    def canonical_name(self, name: str) -> str | None:
        """The documented spelling of a method name given in any case."""
        return self._by_lower.get(name.lower())

    # -- request checking ---------------------------------------------------------------------

    def check(self, method: str, params: Mapping[str, Any]) -> ValidationResult:
        """Check one request; ``params`` values may be decoded JSON, form strings or files."""
        spec = self.method(method)
        if spec is None:
            return ValidationResult(None, [f"unknown method {method!r}"])
        result = ValidationResult(spec.name)
        for name, value in params.items():
            param = spec.params.get(name)
            if param is None:
                legacy = LEGACY_PARAMETERS.get(name)
                # A legacy name is only tolerated where its replacement exists, i.e. on methods
                # where Telegram historically accepted it.
                if legacy is not None and legacy.replacement in spec.params:
                    result.warnings.append(
                        f"legacy parameter {name!r} is accepted by Telegram but undocumented; "
                        f"use {legacy.replacement!r}"
                    )
                    result.problems.extend(self.check_value(value, legacy.types, name, top=True))
                else:
                    result.problems.append(f"unknown parameter {name!r}")
                continue
            result.problems.extend(self.check_value(value, param.types, name, top=True))
        for param in spec.params.values():
            if param.required and param.name not in params:
                result.problems.append(f"missing required parameter {param.name!r}")
        return result

    def check_value(
        self, value: Any, types: Iterable[str], path: str, *, top: bool = False
    ) -> list[str]:
        """Check ``value`` against a union of type expressions; return problems (empty = ok).

        ``top`` marks a top-level request parameter, which may be a form-encoded string.
        """
        types = tuple(types)
        failures: list[tuple[str, list[str]]] = []
        for type_expr in types:
            problems = self._check_one(value, type_expr, path, top)
            if not problems:
                return []
            failures.append((type_expr, problems))
        # When the value clearly aimed at one structured candidate (a dict for an object type),
        # its detailed problems are more useful than a generic "expected X or Y".
        structured = [p for _, p in failures if not p[0].startswith(f"{path}: expected ")]
        if structured:
            return min(structured, key=len)
        return [f"{path}: expected {' or '.join(types)}, got {_describe(value)}"]

    def _check_one(self, value: Any, type_expr: str, path: str, top: bool) -> list[str]:
        expected = [f"{path}: expected {type_expr}, got {_describe(value)}"]
        if type_expr.startswith("Array of "):
            item_type = type_expr.removeprefix("Array of ")
            if top and isinstance(value, str):
                try:
                    value = json.loads(value)
                except ValueError:
                    return [f"{path}: expected JSON-encoded {type_expr}, got invalid JSON"]
            if not isinstance(value, list):
                return expected
            problems: list[str] = []
            for index, item in enumerate(value):
                problems.extend(self.check_value(item, (item_type,), f"{path}[{index}]"))
            return problems
        if type_expr == "Integer":
            if isinstance(value, int) and not isinstance(value, bool):
                return []
            if top and isinstance(value, str) and _INT_RE.fullmatch(value.strip()):
                return []
            return expected
        if type_expr == "Float":
            if isinstance(value, int | float) and not isinstance(value, bool):
                return []
            if top and isinstance(value, str) and _FLOAT_RE.fullmatch(value.strip()):
                return []
            return expected
        if type_expr == "Boolean":
            if isinstance(value, bool):
                return []
            if top and isinstance(value, str) and value in ("true", "false"):
                return []
            return expected
        if type_expr == "String":
            return [] if isinstance(value, str) else expected
        if type_expr == "InputFile":
            # An uploaded part, or a reference: file_id, HTTP URL or "attach://<part name>".
            return [] if isinstance(value, UploadedFile | str) and value != "" else expected
        type_spec = self.types.get(type_expr)
        if type_spec is None:
            return [f"{path}: spec has no type {type_expr!r}"]
        return self._check_object(value, type_expr, type_spec, path, top)

    def _check_object(
        self, value: Any, name: str, type_spec: Mapping[str, Any], path: str, top: bool
    ) -> list[str]:
        subtypes = type_spec.get("subtypes")
        if top and isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                # A few unions (RichText) admit a bare String, so only objects must be JSON.
                if not subtypes:
                    return [f"{path}: expected JSON-encoded {name}, got invalid JSON"]
        if subtypes:
            return self._check_union(value, name, subtypes, path)
        if not isinstance(value, dict):
            return [f"{path}: expected {name}, got {_describe(value)}"]
        problems: list[str] = []
        fields = {f["name"]: f for f in type_spec.get("fields", [])}
        for key, item in value.items():
            f = fields.get(key)
            if f is None:
                problems.append(f"{path}: unknown field {key!r} for {name}")
                continue
            problems.extend(self.check_value(item, f["types"], f"{path}.{key}"))
            if key in _DISCRIMINATOR_FIELDS:
                match = _DISCRIMINATOR_RE.search(f.get("description", ""))
                if match and item != match.group(1):
                    problems.append(f"{path}.{key}: must be {match.group(1)!r} for {name}")
        for key, f in fields.items():
            if f["required"] and key not in value:
                problems.append(f"{path}: missing required field {key!r} for {name}")
        return problems

    def _check_union(self, value: Any, name: str, subtypes: list[str], path: str) -> list[str]:
        candidate_problems: list[str] | None = None
        for subtype in subtypes:
            problems = self._check_one(value, subtype, path, False)
            if not problems:
                return []
            # Remember the subtype the value claims to be, to explain why it failed.
            if (
                candidate_problems is None
                and isinstance(value, dict)
                and self._discriminator_matches(subtype, value)
            ):
                candidate_problems = problems
        if candidate_problems is not None:
            return candidate_problems
        return [f"{path}: value matches none of {name}'s kinds ({', '.join(subtypes)})"]

    def _discriminator_matches(self, subtype: str, value: Mapping[str, Any]) -> bool:
        spec = self.types.get(subtype)
        if spec is None:
            return False
        for f in spec.get("fields", []):
            if f["name"] in _DISCRIMINATOR_FIELDS:
                match = _DISCRIMINATOR_RE.search(f.get("description", ""))
                if match and value.get(f["name"]) == match.group(1):
                    return True
        return False


@lru_cache(maxsize=1)
def load_spec() -> BotApiSpec:
    """Load the bundled Bot API spec (parsed once per process)."""
    raw = resources.files("sandbox").joinpath(SPEC_RESOURCE).read_text(encoding="utf-8")
    return BotApiSpec(json.loads(raw))


def check_request(method: str, params: Mapping[str, Any]) -> ValidationResult:
    """Check a request against the bundled spec, returning problems and warnings."""
    return load_spec().check(method, params)


def validate_request(method: str, params: Mapping[str, Any]) -> list[str]:
    """Problems with a request (empty list = valid); legacy-parameter warnings are not included."""
    return check_request(method, params).problems
