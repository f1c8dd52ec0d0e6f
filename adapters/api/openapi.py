"""The API's OpenAPI 3.1 document, served at /api/v1/openapi.json (tests validate it and match it to the routes)."""

from __future__ import annotations

from functools import cache

PROBLEM = {"$ref": "#/components/responses/Problem"}
ORG = {"name": "org", "in": "path", "required": True, "description": "The organization's id (the token's own).",
       "schema": {"type": "integer", "minimum": 1}}
CODE = {"name": "code", "in": "path", "required": True, "description": "The key result's code, in any letter case.",
        "schema": {"type": "string", "maxLength": 64}}
PAGE = [
    {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 200}},
    {"name": "offset", "in": "query", "schema": {"type": "integer", "minimum": 0, "default": 0}},
]
NUMBER = {"type": ["number", "null"]}
TEXT = {"type": ["string", "null"]}


def _errors(*codes: int) -> dict:
    return {str(code): PROBLEM for code in codes}


def _json(schema_name: str, description: str) -> dict:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema_name}"}}}}


@cache
def document(server: str = "/api/v1") -> dict:
    read_errors = _errors(401, 403, 404, 422, 429)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "okrbot API", "version": "1",
            "description": "Read an organization's key results and post check-ins. Every call but this document "
                           "needs `Authorization: Bearer TOKEN` (`okrbot token create`). Errors are RFC 9457 "
                           "problem details; a 422 lists each wrong field with what was expected.",
        },
        "servers": [{"url": server}],
        "security": [{"bearer": []}],
        "paths": {
            "/openapi.json": {"get": {
                "operationId": "openapi", "summary": "This document", "security": [],
                "responses": {"200": {"description": "The OpenAPI document",
                                      "content": {"application/json": {"schema": {"type": "object"}}}}},
            }},
            "/orgs/{org}/key-results": {"get": {
                "operationId": "listKeyResults", "summary": "Key results, filtered",
                "parameters": [
                    ORG,
                    {"name": "team", "in": "query", "description": "owning team's key", "schema": {"type": "string"}},
                    {"name": "cycle", "in": "query", "description": "a cycle's name, `current` (default) or `all`",
                     "schema": {"type": "string"}},
                    {"name": "owner", "in": "query", "description": "the owner's email", "schema": {"type": "string"}},
                    *PAGE,
                ],
                "responses": {"200": _json("KeyResultList", "Key results in the dashboard's order"), **read_errors},
            }},
            "/orgs/{org}/key-results/{code}": {"get": {
                "operationId": "getKeyResult", "summary": "One key result", "parameters": [ORG, CODE],
                "responses": {"200": _json("KeyResult", "The key result"), **read_errors},
            }},
            "/orgs/{org}/key-results/{code}/checkins": {
                "get": {
                    "operationId": "listCheckins", "summary": "A key result's check-ins, newest first",
                    "parameters": [ORG, CODE, *PAGE],
                    "responses": {"200": _json("CheckinList", "The history"), **read_errors},
                },
                "post": {
                    "operationId": "postCheckin", "summary": "Post a check-in (source `api`)",
                    "description": "Stored once per Idempotency-Key: a retry with the same key and body gets the "
                                   "first answer again (header `Idempotent-Replayed: true`); the same key with "
                                   "another body is refused (422). Needs a token with scope `write`.",
                    "parameters": [ORG, CODE, {
                        "name": "Idempotency-Key", "in": "header", "required": True,
                        "description": "a unique value per check-in (a UUID), repeated on every retry",
                        "schema": {"type": "string", "maxLength": 255}}],
                    "requestBody": {"required": True, "content": {"application/json": {
                        "schema": {"$ref": "#/components/schemas/CheckinRequest"}}}},
                    "responses": {"200": _json("CheckinCreated", "A retry: the first call's answer"),
                                  "201": _json("CheckinCreated", "Stored"),
                                  **_errors(400, 401, 403, 404, 409, 413, 422, 429)},
                },
            },
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                           "description": "a token from `okrbot token create`"}},
            "responses": {"Problem": {"description": "RFC 9457 problem details", "content": {
                "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}},
            "schemas": SCHEMAS,
        },
    }


SCHEMAS = {
    "Problem": {
        "type": "object", "required": ["type", "title", "status", "detail"],
        "properties": {
            "type": {"type": "string", "format": "uri"}, "title": {"type": "string"},
            "status": {"type": "integer"}, "detail": {"type": "string"}, "instance": {"type": "string"},
            "errors": {"type": "array", "items": {
                "type": "object", "required": ["field", "expected"],
                "properties": {"field": {"type": "string", "description": "a JSON pointer into the body, or a "
                                                                          "query parameter or header name"},
                               "expected": {"type": "string"}, "given": {}}}},
        },
    },
    "KeyResult": {
        "type": "object",
        "required": ["code", "title", "objective", "team", "cycle", "owner", "confidence", "colour", "start",
                     "target", "current", "unit", "milestone", "value_source", "connector", "updated_at",
                     "removed"],
        "properties": {
            "code": {"type": "string"}, "title": {"type": "string"},
            "objective": {"type": "object", "properties": {
                "key": {"type": "string"}, "title": {"type": "string"},
                "level": {"enum": ["company", "department", "team"]}}},
            "team": TEXT, "cycle": {"type": "string"}, "owner": TEXT,
            "confidence": {"type": "integer", "minimum": 1, "maximum": 10},
            "colour": {"enum": ["red", "yellow", "green"]},
            "start": NUMBER, "target": NUMBER, "current": NUMBER, "unit": TEXT, "milestone": TEXT,
            "value_source": {"type": ["string", "null"], "description": "where the current value came from: "
                             "slack, teams, sandbox, import, cli, api or connector"},
            "connector": {"type": ["string", "null"], "description": "sql, http or csv when the value is pulled"},
            "updated_at": {"type": ["string", "null"], "format": "date-time"},
            "removed": {"type": ["object", "null"], "description": "when and why an honest change removed it "
                        "(it takes no check-in and is not listed); null while it is live",
                        "properties": {"at": {"type": "string", "format": "date-time"}, "reason": TEXT}},
        },
    },
    "KeyResultList": {"type": "object", "required": ["key_results", "next_offset"], "properties": {
        "key_results": {"type": "array", "items": {"$ref": "#/components/schemas/KeyResult"}},
        "next_offset": {"type": ["integer", "null"]}}},
    "Checkin": {
        "type": "object", "required": ["at", "confidence", "value", "note", "source", "person"],
        "properties": {"at": {"type": "string", "format": "date-time"},
                       "confidence": {"type": "integer", "minimum": 1, "maximum": 10}, "value": NUMBER,
                       "note": TEXT, "source": {"type": "string"}, "person": TEXT},
    },
    "CheckinList": {"type": "object", "required": ["code", "checkins", "next_offset"], "properties": {
        "code": {"type": "string"}, "checkins": {"type": "array", "items": {"$ref": "#/components/schemas/Checkin"}},
        "next_offset": {"type": ["integer", "null"]}}},
    "CheckinRequest": {
        "type": "object", "additionalProperties": False, "minProperties": 1,
        "properties": {"value": {"type": "number"},
                       "confidence": {"type": "integer", "minimum": 1, "maximum": 10,
                                      "description": "a person's judgement; connectors never set it"},
                       "note": {"type": "string", "maxLength": 500}},
    },
    "CheckinCreated": {"type": "object", "required": ["checkin", "key_result"], "properties": {
        "checkin": {"$ref": "#/components/schemas/Checkin"}, "key_result": {"$ref": "#/components/schemas/KeyResult"}}},
}
