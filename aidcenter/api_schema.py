"""The OpenAPI schema tells the truth about errors: every operation documents the error
statuses and bodies API.md promises (drf-spectacular post-processing hook)."""

from __future__ import annotations

ERROR_SCHEMAS = {
    "FieldErrors": {
        "type": "object",
        "description": "Bad input: each field (or `detail`) with its messages.",
        "additionalProperties": {
            "oneOf": [
                {"type": "array", "items": {"type": "string"}},
                {"type": "string"},
                {"type": "object"},
            ]
        },
    },
    "Detail": {
        "type": "object",
        "properties": {"detail": {"type": "string"}},
        "required": ["detail"],
    },
    "Conflict": {
        "type": "object",
        "description": "A conflict, always with a machine-readable `code` (e.g. `id_conflict`, "
        "`stale_version` with the `current` record, `duplicate_national_id`, "
        "`insufficient_funds`).",
        "properties": {
            "code": {"type": "string"},
            "detail": {"type": "string"},
            "current": {"type": "object"},
        },
        "required": ["code"],
        "additionalProperties": True,
    },
}


def _ref(name: str) -> dict:
    return {"content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}}}


def add_error_responses(result, generator, request, public):
    """Add 400, 401, 403, 404, 409 and 429 to every operation of /api/v1/."""
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components.update(ERROR_SCHEMAS)
    for path, operations in result.get("paths", {}).items():
        if not path.startswith("/api/v1/"):
            continue
        for method, operation in operations.items():
            if method not in {"get", "post", "patch", "put", "delete"}:
                continue
            responses = operation.setdefault("responses", {})
            responses.setdefault("400", {"description": "Bad input.", **_ref("FieldErrors")})
            responses.setdefault(
                "401", {"description": "No or wrong credentials.", **_ref("Detail")}
            )
            responses.setdefault(
                "403", {"description": "The role may not do this.", **_ref("Detail")}
            )
            responses.setdefault(
                "404",
                {
                    "description": "Not found, out of the caller's scope, or past the last page.",
                    **_ref("Detail"),
                },
            )
            if method != "get":
                responses.setdefault("409", {"description": "Conflict.", **_ref("Conflict")})
            if method in {"post", "patch", "put", "delete"}:
                responses.setdefault(
                    "405", {"description": "Method not allowed.", **_ref("Detail")}
                )
            responses.setdefault(
                "429",
                {
                    "description": "Throttled: try again after `Retry-After` seconds.",
                    "headers": {"Retry-After": {"schema": {"type": "integer"}}},
                    **_ref("Detail"),
                },
            )
    return result
