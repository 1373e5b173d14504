"""Additions to the generated OpenAPI schema: the error and 304 responses every endpoint can give.
A postprocessing hook named in SPECTACULAR_SETTINGS."""

ERROR = {
    "type": "object",
    "description": "For a 400, one key per offending parameter with a list of problems; otherwise `detail`.",
    "additionalProperties": {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]},
}


def _error(description):
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def add_error_responses(result, generator, request, public):
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR
    for path_item in result.get("paths", {}).values():
        for operation in path_item.values():
            responses = operation["responses"]
            responses["304"] = {"description": "Not modified since the ETag or date the client sent."}
            responses["400"] = _error("Invalid parameter: the body names each parameter and its problem.")
            if any(p["in"] == "path" for p in operation.get("parameters", [])):
                responses["404"] = _error("No published record has this slug.")
            responses["429"] = _error("Too many requests from this address; see the Retry-After header.")
    return result
