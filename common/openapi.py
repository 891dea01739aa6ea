"""OpenAPI post-processing: document the error responses every operation can give.

drf-spectacular documents the success response of each operation. Integrations also need the errors:
400 for invalid input (a body, a query parameter or a filter naming something that does not exist),
401 without valid credentials, 403 when the role may not, 404 for an unknown or invisible object, 429
past the rate limit. common.api_errors.exception_handler gives every error one of two shapes, described
here once: a 400 names each field with its messages (errors of no field under `non_field_errors`),
every other error is {"detail": message}.
"""

from __future__ import annotations

from typing import Any

MESSAGES = {"type": "array", "items": {"type": "string"}}
VALIDATION_ERROR_SCHEMA = {
    "type": "object",
    "description": "Invalid input: one entry per field in error with its messages (a nested field or a "
    "row of a list names its own entries the same way); errors that belong to no field are under "
    "`non_field_errors`.",
    "properties": {"non_field_errors": MESSAGES},
    "additionalProperties": {"oneOf": [MESSAGES, {"type": "object"}]},
    "example": {"amount": ["A valid number is required."], "non_field_errors": ["The month is locked."]},
}
ERROR_SCHEMA = {
    "type": "object",
    "description": "Every error but invalid input: one message.",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}
# A 400 is invalid input, named field by field, or (rarely) a request that could not be read at all
# (malformed JSON, a number the database cannot store), which has no field to name: {"detail"}.
BAD_REQUEST_SCHEMA = {
    "oneOf": [{"$ref": "#/components/schemas/ValidationError"}, {"$ref": "#/components/schemas/Error"}]
}
ERRORS = {
    "400": "Invalid input: each field (and row) in error with its messages, the rest under non_field_errors.",
    "401": "Missing, invalid or revoked credentials.",
    "403": "Your role may not do this.",
    "404": "No such object, or not one you may see.",
    "429": "Too many requests: slow down.",
}
# Operations that take a body also refuse a body they cannot read.
BODY_ERRORS = {"415": "Unsupported media type: send JSON, a form or multipart data."}


# JSON Schema's "time" format is RFC 3339's full-time, which needs a UTC offset; the API's times of day
# are local wall-clock times ("10:00:00", in the object's own time zone), so they are described by a
# pattern instead of a format that every response would violate.
LOCAL_TIME = {"pattern": r"^\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?$"}


def _local_times(node: Any) -> None:
    if isinstance(node, dict):
        if node.get("type") == "string" and node.get("format") == "time":
            del node["format"]
            node.update(LOCAL_TIME)
        for value in node.values():
            _local_times(value)
    elif isinstance(node, list):
        for value in node:
            _local_times(value)


def _schema(status: str) -> dict[str, Any]:
    return BAD_REQUEST_SCHEMA if status == "400" else {"$ref": "#/components/schemas/Error"}


def document_error_responses(
    result: dict[str, Any], generator: Any, request: Any, public: bool
) -> dict[str, Any]:
    _local_times(result)
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components.setdefault("Error", ERROR_SCHEMA)
    components.setdefault("ValidationError", VALIDATION_ERROR_SCHEMA)
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            responses = operation.setdefault("responses", {})
            errors = {**ERRORS, **(BODY_ERRORS if "requestBody" in operation else {})}
            for status, description in errors.items():
                responses.setdefault(
                    status,
                    {
                        "description": description,
                        "content": {"application/json": {"schema": _schema(status)}},
                    },
                )
    return result
