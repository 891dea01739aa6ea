"""OpenAPI post-processing: document the error responses every operation can give.

drf-spectacular documents the success response of each operation. Integrations also need the errors:
400 for invalid input (a body, a query parameter or a filter naming something that does not exist),
401 without valid credentials, 403 when the role may not, 404 for an unknown or invisible object, 429
past the rate limit. Each error body is the DRF shape: a `detail` message or field -> messages.
"""

from __future__ import annotations

from typing import Any

ERROR_SCHEMA = {
    "type": "object",
    "description": "Either `detail` (one message) or one entry per field with its messages.",
    # `detail` is a message, or the messages of a field that happens to be called "detail".
    "properties": {"detail": {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]}},
    "additionalProperties": True,
}
ERRORS = {
    "400": "Invalid input: the body names each field (and row) in error.",
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


def document_error_responses(
    result: dict[str, Any], generator: Any, request: Any, public: bool
) -> dict[str, Any]:
    _local_times(result)
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components.setdefault("Error", ERROR_SCHEMA)
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
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                    },
                )
    return result
