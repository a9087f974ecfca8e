"""The OpenAPI document (openapi.json, beside this module) and request bodies checked against its schemas.

The document is the one description of what each route takes: a body is valid when its schema in
``components.schemas`` says so (JSON Schema 2020-12, as OpenAPI 3.1 uses it), with unknown fields refused. The
values themselves (times in order, texts not too long, things that exist) are the database's to judge.
"""

from __future__ import annotations

import json
from datetime import datetime
from functools import cache
from importlib import resources

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError, best_match
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from runner.api.errors import MALFORMED_JSON, invalid

DOCUMENT_URI = "urn:sessionkeeper:openapi"
MAX_BODY_BYTES = 64 * 1024

FORMATS = FormatChecker(["uuid"])


@FORMATS.checks("date-time", raises=ValueError)
def is_rfc3339(value: object) -> bool:
    """An RFC 3339 time with its offset ("2026-12-01T10:00:00Z", "...+01:00"); a local time without one is not."""
    return not isinstance(value, str) or parse_time(value) is not None


def parse_time(value: str) -> datetime | None:
    """The time ``value`` names, when it is RFC 3339 with an offset; else None."""
    if len(value) < 20 or value[10] not in "Tt ":
        return None
    try:
        parsed = datetime.fromisoformat(value[:-1] + "+00:00" if value[-1] in "Zz" else value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


@cache
def document() -> dict:
    return json.loads(resources.files("runner.api").joinpath("openapi.json").read_text(encoding="utf-8"))


@cache
def validator(pointer: str) -> Draft202012Validator:
    """A validator for the schema at JSON pointer ``pointer`` of the document (its references resolved in it)."""
    registry = Registry().with_resource(DOCUMENT_URI, Resource(contents=document(), specification=DRAFT202012))
    return Draft202012Validator({"$ref": f"{DOCUMENT_URI}#{pointer}"}, registry=registry, format_checker=FORMATS)


def parse_json(raw: bytes) -> object:
    """The JSON document in ``raw``, or SK080 (not UTF-8, not JSON, or NaN/Infinity, which JSON does not have)."""

    def refuse_constant(name: str) -> object:
        raise ValueError(f"{name} is not a JSON value")

    try:
        return json.loads(raw.decode("utf-8"), parse_constant=refuse_constant)
    except UnicodeDecodeError:
        raise invalid("the body is not UTF-8 text", MALFORMED_JSON) from None
    except ValueError as problem:
        raise invalid(f"the body is not valid JSON: {problem}", MALFORMED_JSON) from None
    except RecursionError:
        raise invalid("the body nests too deeply to be read", MALFORMED_JSON) from None


def check(schema_name: str, value: object) -> dict:
    """``value`` when it matches the named schema of the document; else SK081 naming the first problem."""
    error = best_match(validator(f"/components/schemas/{schema_name}").iter_errors(value))
    if error is not None:
        raise invalid(describe(error))
    assert isinstance(value, dict)
    return value


def describe(error: ValidationError) -> str:
    """One readable line: where in the body, and what is wrong there."""
    where = "the body" + "".join(f"[{step!r}]" if isinstance(step, int) else f".{step}" for step in error.path)
    if error.validator == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        unknown = sorted(set(error.instance) - set(allowed)) if isinstance(error.instance, dict) else []
        return f"{where}: unknown field(s) {', '.join(unknown)} (allowed: {', '.join(allowed) or 'none'})"
    if error.validator == "required":
        return f"{where}: {error.message}"
    if error.validator == "format":
        expected = "an RFC 3339 time with an offset" if error.validator_value == "date-time" else "a UUID"
        return f"{where}: {error.instance!r} is not {expected}"
    return f"{where}: {error.message}"
