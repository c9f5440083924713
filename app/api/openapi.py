"""The OpenAPI 3 document; a test checks that every /api/v1 route is described here."""

from app.core.forms import FIRST_YEAR, LAST_YEAR, MAX_ID

ERROR_CODES = [
    "bad_request",
    "invalid_json",
    "invalid_pagination",
    "invalid_filter",
    "unauthorized",
    "invalid_credentials",
    "forbidden",
    "not_found",
    "method_not_allowed",
    "conflict",
    "possible_duplicate",
    "payload_too_large",
    "validation_error",
    "invalid_person",
    "duplicate_id_number",
    "merged_record",
    "reason_required",
    "transition_not_allowed",
    "activity_frozen",
    "activity_locked",
    "not_open",
    "already_enrolled",
    "no_quota",
    "quota_full",
    "unknown_person",
    "not_active",
    "children_outside_dates",
    "invalid_status",
    "invalid_session",
    "invalid_activity",
    "rate_limited",
    "server_error",
    # attendance (check-in refusals)
    "expired",
    "invalid",
    "wrong_session",
    "not_enrolled",
    "ambiguous",
    "cancelled",
    "waitlisted",
    "outside_window",
    "frozen",
    "nonce_reused",
    "too_old",
    "identity_required",
    "invalid_identity",
    "invalid_scanned_at",
    "session_required",
    # evaluations and certificates
    "not_attended",
    "already_answered",
    "not_yet_open",
    "closed",
    "invalid_answers",
    "has_answers",
    "not_issuable",
    "not_valid",
]


def _or_empty(schema: dict) -> dict:
    """A query filter: a form sends its empty fields as ``name=``, and every filter reads that as
    "not set" (the fuzzing found the document saying otherwise)."""
    return {"anyOf": [schema, {"type": "string", "maxLength": 0}]}


OPTIONAL_DATE = _or_empty({"type": "string", "format": "date"})
OPTIONAL_INT = _or_empty({"type": "integer"})


def _ref(name):
    return {"$ref": f"#/components/schemas/{name}"}


def _list_of(name):
    return {
        "type": "object",
        "properties": {
            "items": {"type": "array", "items": _ref(name)},
            "total": {"type": "integer"},
            "page": {"type": "integer"},
            "per_page": {"type": "integer", "maximum": 200},
        },
    }


def _json(schema, description="OK"):
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _body(schema):
    """A JSON object body the operation cannot do without (no body is a 400 ``invalid_json``)."""
    return {"required": True, "content": {"application/json": {"schema": schema}}}


ERRORS = {str(s): {"$ref": "#/components/responses/Error"} for s in (400, 401, 403, 404, 409, 413, 422, 429, 500)}
PAGING = [
    {
        "name": "page",
        "in": "query",
        "schema": {"type": "integer", "maximum": MAX_ID, "default": 1},
        "description": "served as 1 below 1",
    },
    {
        "name": "per_page",
        "in": "query",
        "schema": {"type": "integer", "default": 50},
        "description": "served as 1 below 1 and as 200 above 200, the most a page holds",
    },
]
PERSON_ID = {"name": "person_id", "in": "path", "required": True, "schema": {"type": "integer"}}

PERSON_PROPERTIES = {
    "id": {"type": "integer", "readOnly": True},
    "full_name": {"type": "string", "maxLength": 100, "description": "NFC; capitalised on save"},
    "gender": {"type": "string", "enum": ["female", "male"]},
    "birth_date": {"type": "string", "format": "date", "nullable": True},
    "birth_year": {"type": "integer", "nullable": True, "description": "when the exact date is unknown"},
    "ethnicity_code": {"type": "string", "nullable": True, "description": "GSO QĐ 121-TCTK code, see /ethnicities"},
    "id_number": {
        "type": "string",
        "nullable": True,
        "description": "12 digits, always masked as 0200******12; GET /people/{id}?reveal=id_number gives "
        "the full number to roles that may see it, and the reveal is audited",
    },
    "phone": {"type": "string", "nullable": True, "description": "normalised to 0xxxxxxxxx; +84 accepted"},
    "unit_id": {"type": "integer"},
    "level": {"type": "string", "enum": ["province", "district", "commune", "village"]},
    "category": {"type": "string", "nullable": True, "description": "participant category code, see /categories"},
    "position": {"type": "string", "nullable": True, "maxLength": 120},
    "workplace": {"type": "string", "nullable": True, "maxLength": 200},
    "merged_into_id": {
        "type": "integer",
        "nullable": True,
        "readOnly": True,
        "description": "set when this record was merged into another (a duplicate); lists leave it out",
    },
}


ACTIVITY_ID = {"name": "activity_id", "in": "path", "required": True, "schema": {"type": "integer"}}
YEAR = {
    "name": "year",
    "in": "query",
    "schema": _or_empty({"type": "integer", "minimum": FIRST_YEAR, "maximum": LAST_YEAR}),
}
KINDS = ["training", "workshop", "study_tour", "central_training", "monitoring"]
STATUSES = ["draft", "submitted", "approved", "open", "in_progress", "completed", "settled", "cancelled"]
LEVELS = ["province", "district", "commune", "village"]
NULLABLE_INT = {"type": "integer", "nullable": True}
NULLABLE_TEXT = {"type": "string", "nullable": True}


MONEY_FIGURES = {
    "allocated": {"type": "integer", "description": "đồng allocated (a line: itself and the lines under it)"},
    "committed": {"type": "integer", "description": "estimates of activities submitted or later"},
    "spent": {
        "type": "integer",
        "nullable": True,
        "description": "expenditures recorded, voided ones excluded; null for roles that do not read costs",
    },
    "remaining": {"type": "integer", "nullable": True, "description": "allocated - spent; null as spent"},
    "disbursement_rate": {"type": "number", "nullable": True, "description": "spent / allocated"},
}

PLANNING_SCHEMAS = {
    "FundingSource": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "code": {"type": "string"},
            "name": {"type": "string"},
            "year": {"type": "integer"},
            "amount": {"type": "integer", "description": "đồng"},
            "carried_over_from": NULLABLE_INT,
            "legal_basis": NULLABLE_TEXT,
            "deadline": {"type": "string", "format": "date", "nullable": True},
            **MONEY_FIGURES,
        },
    },
    "BudgetLine": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "code": {"type": "string"},
            "name": {"type": "string"},
            "parent_id": NULLABLE_INT,
            "year": {"type": "integer"},
            "kind": {"type": "string", "enum": ["programme", "project", "subproject", "content"]},
            **MONEY_FIGURES,
        },
    },
    "ActivityInput": {
        "type": "object",
        "properties": {
            "kind": {"type": "string", "enum": KINDS},
            "title": {"type": "string", "maxLength": 300},
            "topic_codes": {"type": "array", "items": {"type": "string"}},
            "category_codes": {"type": "array", "items": {"type": "string"}},
            "target_levels": {"type": "array", "items": {"type": "string", "enum": LEVELS}},
            "start_date": {"type": "string", "format": "date"},
            "end_date": {"type": "string", "format": "date"},
            "venue_id": NULLABLE_INT,
            "venue_text": NULLABLE_TEXT,
            "destination_scope": {"type": "string", "enum": ["in_province", "out_of_province"], "nullable": True},
            "capacity": {"type": "integer", "minimum": 1},
            "budget_line_id": {"type": "integer"},
            "funding_source_id": {"type": "integer"},
            "estimated_cost": NULLABLE_INT,
            "plan_id": NULLABLE_INT,
            "unit_id": NULLABLE_INT,
            "description": NULLABLE_TEXT,
            "itinerary": NULLABLE_TEXT,
            "transport": NULLABLE_TEXT,
            "lodging": NULLABLE_TEXT,
            "report": NULLABLE_TEXT,
            "findings": NULLABLE_TEXT,
            "recommendations": NULLABLE_TEXT,
        },
    },
    "Activity": {
        "allOf": [
            {"$ref": "#/components/schemas/ActivityInput"},
            {
                "type": "object",
                "properties": {
                    "id": {"type": "integer"},
                    "status": {"type": "string", "enum": STATUSES},
                    "venue": NULLABLE_TEXT,
                    "destinations": {"type": "array", "items": {"type": "object"}},
                    "warnings": {
                        "type": "array",
                        "items": {"type": "string"},
                        "description": "double-booked trainers or venues, capacity over the venue's, dates outside "
                        "the plan year or after the funding deadline, no allocation",
                    },
                },
            },
        ]
    },
    "Session": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "activity_id": {"type": "integer"},
            "title": {"type": "string"},
            "starts_at": {"type": "string", "format": "date-time"},
            "ends_at": {"type": "string", "format": "date-time"},
            "venue_id": NULLABLE_INT,
            "trainer_ids": {"type": "array", "items": {"type": "integer"}},
        },
    },
    "Transition": {
        "type": "object",
        "required": ["status"],
        "properties": {
            "status": {"type": "string", "enum": STATUSES[1:]},
            "reason": {"type": "string", "description": "required to cancel or send back"},
        },
    },
}


ENROLMENT = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "person_id": {"type": "integer"},
        "status": {"type": "string", "enum": ["registered", "waitlisted", "cancelled"]},
        "position": {"type": "integer", "nullable": True, "description": "place on the waiting list"},
        "unit_id": {"type": "integer", "description": "the person's unit when enrolled"},
        "replaces_id": {"type": "integer", "nullable": True, "description": "the enrolment this one took over"},
        "qr_code": {"type": "string", "description": "organisers only: the personal QR payload (DA7E1:<token>)"},
    },
}


def _registration_paths(errors: dict) -> dict:
    enrolment_id = {"name": "enrolment_id", "in": "path", "required": True, "schema": {"type": "integer"}}
    return {
        "/activities/{activity_id}/enrolments": {
            "get": {
                "summary": "Enrolments whose people the caller may see",
                "parameters": [ACTIVITY_ID, *PAGING],
                "responses": {"200": _json(_list_of("Enrolment")), **errors},
            },
            "post": {
                "summary": "Enrol a person (registered while seats last, then waitlisted)",
                "parameters": [ACTIVITY_ID],
                "requestBody": _body(
                    {"type": "object", "required": ["person_id"], "properties": {"person_id": {"type": "integer"}}}
                ),
                "responses": {"201": _json(_ref("Enrolment")), **errors},
            },
        },
        "/activities/{activity_id}/enrolments/{enrolment_id}/cancel": {
            "post": {
                "summary": "Cancel with a reason; the first on the waiting list takes the seat",
                "parameters": [ACTIVITY_ID, enrolment_id],
                "requestBody": _body(
                    {"type": "object", "required": ["reason"], "properties": {"reason": {"type": "string"}}}
                ),
                "responses": {"200": _json(_ref("Enrolment")), **errors},
            }
        },
    }


SESSION_ID = {"name": "session_id", "in": "path", "required": True, "schema": {"type": "integer"}}
ATTENDANCE_SCHEMAS = {
    "CheckinCode": {
        "type": "object",
        "properties": {
            "url": {
                "type": "string",
                "description": "what the session's QR encodes now: BASE_URL/c/{session_id}/{code}",
            },
            "server_now": {"type": "string", "format": "date-time"},
            "refresh_at": {"type": "string", "format": "date-time", "description": "when the next code is shown"},
            "expires_at": {"type": "string", "format": "date-time", "description": "when this code stops working"},
            "present": {"type": "integer"},
            "enrolled": {"type": "integer"},
            "women_present": {"type": "integer"},
            "late": {"type": "integer"},
        },
    },
    "CheckinResult": {
        "type": "object",
        "properties": {
            "status": {"type": "string", "enum": ["checked_in", "already_checked_in"]},
            "checked_in_at": {"type": "string", "format": "date-time"},
            "checked_in_at_text": {"type": "string", "description": "HH:MM, Vietnam time"},
            "method": {"type": "string", "enum": ["self_scan", "personal_qr", "manual", "paper", "walk_in"]},
            "late": {"type": "boolean"},
            "replayed": {"type": "boolean", "description": "the same nonce was seen before: the first scan's answer"},
            "person": {
                "type": "object",
                "description": "full_name; for organisers also unit, birth_year, id_last_digits, phone_last_digits",
                "properties": {"full_name": {"type": "string"}},
            },
        },
    },
    "Certificate": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "serial": {"type": "string", "description": "register number, e.g. 0123/GCN-SLĐTBXH"},
            "person_id": {"type": "integer"},
            "status": {"type": "string", "enum": ["valid", "revoked", "replaced"]},
            "issued_on": {"type": "string", "format": "date"},
            "verify_url": {"type": "string"},
            "pdf_url": {"type": "string"},
        },
    },
    "Verification": {
        "type": "object",
        "properties": {
            "status": {"type": "string", "enum": ["valid", "revoked"]},
            "detail": {"type": "string", "enum": ["valid", "revoked", "replaced"]},
            "serial": {"type": "string"},
            "full_name": {"type": "string"},
            "birth_date": {"type": "string", "format": "date", "nullable": True},
            "activity_title": {"type": "string"},
            "start_date": {"type": "string", "format": "date"},
            "end_date": {"type": "string", "format": "date"},
            "issued_on": {"type": "string", "format": "date"},
            "issuing_body": {"type": "string"},
            "replaced_by": {
                "type": "string",
                "nullable": True,
                "description": "serial of the certificate that replaced it",
            },
            "revoked_on": {"type": "string", "format": "date", "nullable": True},
            "anonymised": {
                "type": "boolean",
                "description": "the holder's identity was erased at their request; full_name is a pseudonym",
            },
        },
    },
    "EvaluationSummary": {
        "type": "object",
        "properties": {
            "activity_id": {"type": "integer"},
            "responses": {"type": "integer", "description": "answers to the activity's surveys (caller's scope)"},
            "questionnaires": {"type": "array", "items": {"type": "object"}},
            "questions": {
                "type": "array",
                "description": "mean (1-5) per rating question: questionnaire_id, question_id, text, aspect, "
                "trainer_id, answers, mean",
                "items": {"type": "object"},
            },
            "pre_test_mean": {"type": "number", "nullable": True, "description": "share of the points, 0..1"},
            "post_test_mean": {"type": "number", "nullable": True},
            "gain": {"type": "number", "nullable": True, "description": "mean gain of people with both tests"},
            "paired": {"type": "integer"},
            "post_test_pass_rate": {"type": "number", "nullable": True},
        },
    },
    "Attendance": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "person_id": {"type": "integer"},
            "checked_in_at": {"type": "string", "format": "date-time"},
            "method": {"type": "string"},
            "status": {"type": "string", "enum": ["present", "late"]},
            "flags": {"type": "array", "items": {"type": "string", "enum": ["shared_device", "long_after_start"]}},
        },
    },
}


def _attendance_paths(errors: dict) -> dict:
    scan = {
        "type": "object",
        "required": ["session_id", "code"],
        "properties": {
            "session_id": {"type": "integer"},
            "code": {"type": "string", "description": "the personal QR payload, DA7E1:<token>"},
            "nonce": {"type": "string", "description": "client id of this scan; the same nonce twice is one scan"},
            "scanned_at": {"type": "string", "format": "date-time", "description": "when scanned (offline queue)"},
            "device": {"type": "string"},
        },
    }
    return {
        "/sessions/{session_id}/checkin-code": {
            "get": {
                "summary": "The rotating check-in URL of a session now (organisers)",
                "parameters": [SESSION_ID],
                "responses": {"200": _json(_ref("CheckinCode")), **errors},
            }
        },
        "/sessions/{session_id}/qr.png": {
            "get": {
                "summary": "The session's current check-in QR as a PNG image (organisers)",
                "parameters": [SESSION_ID],
                "responses": {"200": {"description": "PNG", "content": {"image/png": {}}}, **errors},
            }
        },
        "/checkins": {
            "post": {
                "summary": "Record an organiser's scan of a personal QR (live or from an offline queue)",
                "requestBody": _body(scan),
                "responses": {
                    "201": _json(_ref("CheckinResult"), "Recorded"),
                    "200": _json(_ref("CheckinResult"), "Already checked in, or the same nonce again"),
                    **errors,
                },
            }
        },
        "/activities/{activity_id}/certificates": {
            "post": {
                "summary": "Issue certificates to every eligible participant not yet holding one",
                "parameters": [ACTIVITY_ID],
                "responses": {
                    "201": _json(_list_of("Certificate"), "Issued"),
                    "200": _json(_list_of("Certificate"), "Nobody left to issue to"),
                    **errors,
                },
            }
        },
        "/certificates/{certificate_id}/pdf": {
            "get": {
                "summary": "A certificate's PDF (people the caller may see)",
                "parameters": [
                    {"name": "certificate_id", "in": "path", "required": True, "schema": {"type": "integer"}}
                ],
                "responses": {"200": {"description": "PDF", "content": {"application/pdf": {}}}, **errors},
            }
        },
        "/verify/{code}": {
            "get": {
                "summary": "Public verification of a certificate; unknown codes all get one uniform 404",
                "security": [],
                "parameters": [{"name": "code", "in": "path", "required": True, "schema": {"type": "string"}}],
                "responses": {"200": _json(_ref("Verification")), **errors},
            }
        },
        "/activities/{activity_id}/evaluation-summary": {
            "get": {
                "summary": "Survey responses and mean score per question; pre/post test means and gain",
                "parameters": [ACTIVITY_ID],
                "responses": {"200": _json(_ref("EvaluationSummary")), **errors},
            }
        },
        "/sessions/{session_id}/attendance": {
            "get": {
                "summary": "Who is recorded present at a session (people the caller may see)",
                "parameters": [SESSION_ID, *PAGING],
                "responses": {"200": _json(_list_of("Attendance")), **errors},
            }
        },
    }


TRAINED_ROW = {
    "type": "object",
    "properties": {
        "key": {"type": "string", "description": "group key (an id, a code or an enum value); 'none' = not known"},
        "label": {"type": "string"},
        "people": {"type": "integer", "description": "distinct persons who attended at least one session"},
        "women": {"type": "integer"},
        "women_share": {"type": "number", "nullable": True, "description": "women / people, 0..1"},
        "person_times": {"type": "integer", "description": "(person, activity) pairs attended"},
        "ethnic_minority": {"type": "integer"},
    },
}


def _report_paths(errors: dict) -> dict:
    def query(name, schema, description=None):
        return {"name": name, "in": "query", "schema": schema, **({"description": description} if description else {})}

    return {
        "/reports/trained": {
            "get": {
                "summary": "People trained and person-times by one breakdown (caller's scope)",
                "parameters": [
                    YEAR,
                    query("by", {"type": "string", "enum": list(trained_breakdowns())}),
                    query("period", {"type": "string", "enum": ["year", "h1", "h2", "custom"]}),
                    query("date_from", OPTIONAL_DATE, "with period=custom; empty = not set"),
                    query("date_to", OPTIONAL_DATE, "with period=custom; empty = not set"),
                    query("unit_id", OPTIONAL_INT),
                    query("kind", {"type": "string"}),
                    query("topic_id", OPTIONAL_INT),
                    query("budget_line_code", {"type": "string"}),
                    query("funding_source_id", OPTIONAL_INT),
                ],
                "responses": {
                    "200": _json(
                        {
                            "type": "object",
                            "properties": {
                                "by": {"type": "string"},
                                "year": {"type": "integer", "nullable": True},
                                "period": {"type": "string"},
                                "rows": {"type": "array", "items": TRAINED_ROW},
                                "overlap": {
                                    **TRAINED_ROW,
                                    "nullable": True,
                                    "description": "people counted in several groups, as negative figures: "
                                    "rows + overlap = total",
                                },
                                "total": TRAINED_ROW,
                            },
                        }
                    ),
                    **errors,
                },
            }
        }
    }


def trained_breakdowns():
    from app.reports.trained import BREAKDOWNS

    return BREAKDOWNS


def _planning_paths(errors: dict) -> dict:
    def body(name):
        return _body(_ref(name))

    return {
        "/funding-sources": {
            "get": {
                "summary": "Funding sources",
                "parameters": [YEAR, *PAGING],
                "responses": {"200": _json(_list_of("FundingSource")), **errors},
            }
        },
        "/budget-lines": {
            "get": {
                "summary": "Budget lines with allocated, committed and spent money",
                "parameters": [YEAR, *PAGING],
                "responses": {"200": _json(_list_of("BudgetLine")), **errors},
            }
        },
        "/activities": {
            "get": {
                "summary": "Activities the caller may see",
                "parameters": [
                    YEAR,
                    {"name": "kind", "in": "query", "schema": _or_empty({"type": "string", "enum": KINDS})},
                    {"name": "status", "in": "query", "schema": _or_empty({"type": "string", "enum": STATUSES})},
                    {"name": "unit_id", "in": "query", "schema": OPTIONAL_INT},
                    {"name": "budget_line_id", "in": "query", "schema": OPTIONAL_INT},
                    {"name": "topic", "in": "query", "schema": {"type": "string"}},
                    *PAGING,
                ],
                "responses": {"200": _json(_list_of("Activity")), **errors},
            },
            "post": {
                "summary": "Plan an activity (a draft)",
                "requestBody": body("ActivityInput"),
                "responses": {"201": _json(_ref("Activity")), **errors},
            },
        },
        "/activities/{activity_id}": {
            "get": {
                "summary": "One activity",
                "parameters": [ACTIVITY_ID],
                "responses": {"200": _json(_ref("Activity")), **errors},
            },
            "patch": {
                "summary": "Change some fields of an activity",
                "parameters": [ACTIVITY_ID],
                "requestBody": body("ActivityInput"),
                "responses": {"200": _json(_ref("Activity")), **errors},
            },
        },
        "/activities/{activity_id}/status": {
            "post": {
                "summary": "One workflow step (409 not allowed now, 403 wrong role)",
                "parameters": [ACTIVITY_ID],
                "requestBody": body("Transition"),
                "responses": {"200": _json(_ref("Activity")), **errors},
            }
        },
        "/activities/{activity_id}/sessions": {
            "get": {
                "summary": "Sessions of an activity",
                "parameters": [ACTIVITY_ID, *PAGING],
                "responses": {"200": _json(_list_of("Session")), **errors},
            },
            "post": {
                "summary": "Add a session",
                "parameters": [ACTIVITY_ID],
                "requestBody": body("Session"),
                "responses": {"201": _json(_ref("Session")), **errors},
            },
        },
    }


def build_document() -> dict:
    person_input = {
        "type": "object",
        "properties": {
            **{k: v for k, v in PERSON_PROPERTIES.items() if k != "id"},
            "confirm": {"type": "boolean", "description": "save despite warnings and possible duplicates"},
        },
    }
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Dự án 7 — training management API",
            "version": "1.0.0",
            "description": 'Errors: {"error": {"code", "message", "fields"}}. Codes: '
            + ", ".join(ERROR_CODES)
            + ". Objects outside the caller's scope are 404. Text anywhere in a request (path, query, "
            "body, keys too) must not contain U+0000: such a request is a 400 bad_request.",
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "responses": {"Error": _json(_ref("Error"), "Error")},
            "schemas": {
                "PossibleDuplicate": {
                    "description": "409 possible_duplicate: the error object also carries what to check; "
                    "send the same request with confirm=true to save anyway",
                    "type": "object",
                    "properties": {
                        "error": {
                            "type": "object",
                            "properties": {
                                "code": {"type": "string", "enum": ["possible_duplicate"]},
                                "message": {"type": "string"},
                                "duplicates": {"type": "array", "items": _ref("Person")},
                                "hidden_duplicates": {
                                    "type": "integer",
                                    "description": "look-alikes outside the caller's scope (counted, not shown)",
                                },
                                "warnings": {"type": "array", "items": {"type": "string"}},
                            },
                        }
                    },
                },
                "Error": {
                    "type": "object",
                    "properties": {
                        "error": {
                            "type": "object",
                            "properties": {
                                "code": {"type": "string", "enum": ERROR_CODES},
                                "message": {"type": "string"},
                                "fields": {"type": "object", "additionalProperties": {"type": "string"}},
                            },
                        }
                    },
                },
                "Unit": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "integer"},
                        "code": {"type": "string"},
                        "name": {"type": "string"},
                        "level": {"type": "string", "enum": ["province", "district", "commune", "village"]},
                        "kind": {"type": "string"},
                        "parent_id": {"type": "integer", "nullable": True},
                        "valid_from": {"type": "string", "format": "date", "nullable": True},
                        "valid_to": {"type": "string", "format": "date", "nullable": True},
                        "successor_ids": {"type": "array", "items": {"type": "integer"}},
                    },
                },
                "Ethnicity": {
                    "type": "object",
                    "properties": {
                        "code": {"type": "string"},
                        "name": {"type": "string"},
                        "is_minority": {"type": "boolean"},
                        "code_system": {"type": "string"},
                        "code_2008": {"type": "string", "nullable": True},
                    },
                },
                "Named": {
                    "type": "object",
                    "properties": {
                        "code": {"type": "string"},
                        "name": {"type": "string"},
                        "name_en": {"type": "string", "nullable": True},
                        "active": {"type": "boolean"},
                    },
                },
                "Person": {"type": "object", "properties": PERSON_PROPERTIES},
                "PersonInput": person_input,
                **PLANNING_SCHEMAS,
                "Enrolment": ENROLMENT,
                **ATTENDANCE_SCHEMAS,
            },
        },
        "paths": {
            "/auth/token": {
                "post": {
                    "summary": "Get a bearer token",
                    "security": [],
                    "requestBody": _body(
                        {
                            "type": "object",
                            "required": ["username", "password"],
                            "properties": {"username": {"type": "string"}, "password": {"type": "string"}},
                        }
                    ),
                    "responses": {
                        "201": _json(
                            {
                                "type": "object",
                                "properties": {
                                    "token": {"type": "string"},
                                    "expires_at": {"type": "string", "format": "date-time"},
                                },
                            }
                        ),
                        **ERRORS,
                    },
                },
                "delete": {
                    "summary": "Revoke the token used for this call",
                    "responses": {"204": {"description": "Revoked"}, **ERRORS},
                },
            },
            "/units": {
                "get": {
                    "summary": "Administrative units",
                    "parameters": [
                        {
                            "name": "level",
                            "in": "query",
                            "schema": _or_empty({"type": "string", "enum": LEVELS}),
                        },
                        {"name": "parent_id", "in": "query", "schema": OPTIONAL_INT},
                        {
                            "name": "on",
                            "in": "query",
                            "schema": OPTIONAL_DATE,
                            "description": "only units in force on this date",
                        },
                        {"name": "q", "in": "query", "schema": {"type": "string"}},
                        *PAGING,
                    ],
                    "responses": {"200": _json(_list_of("Unit")), **ERRORS},
                }
            },
            "/ethnicities": {
                "get": {
                    "summary": "Ethnic groups",
                    "responses": {
                        "200": _json(_list_of("Ethnicity")),
                        **ERRORS,
                    },
                }
            },
            "/categories": {
                "get": {
                    "summary": "Participant categories",
                    "responses": {
                        "200": _json(_list_of("Named")),
                        **ERRORS,
                    },
                }
            },
            "/topics": {
                "get": {
                    "summary": "Training topics",
                    "responses": {
                        "200": _json(_list_of("Named")),
                        **ERRORS,
                    },
                }
            },
            "/people": {
                "get": {
                    "summary": "People in the caller's scope",
                    "parameters": [
                        {
                            "name": "q",
                            "in": "query",
                            "schema": {"type": "string"},
                            "description": "name words without diacritics, phone digits, or a citizen ID",
                        },
                        {"name": "unit_id", "in": "query", "schema": OPTIONAL_INT},
                        *PAGING,
                    ],
                    "responses": {"200": _json(_list_of("Person")), **ERRORS},
                },
                "post": {
                    "summary": "Register a person",
                    "requestBody": _body(_ref("PersonInput")),
                    "responses": {
                        "201": _json(_ref("Person")),
                        **ERRORS,
                        "409": _json(_ref("PossibleDuplicate"), "Possible duplicate (or another conflict)"),
                    },
                },
            },
            "/people/{person_id}": {
                "get": {
                    "summary": "One person",
                    "parameters": [
                        PERSON_ID,
                        {
                            "name": "reveal",
                            "in": "query",
                            "schema": {"type": "string", "enum": ["id_number"]},
                            "description": "return the full citizen ID (403 for roles that may not; audited)",
                        },
                    ],
                    "responses": {"200": _json(_ref("Person")), **ERRORS},
                },
                "patch": {
                    "summary": "Change some fields of a person",
                    "parameters": [PERSON_ID],
                    "requestBody": _body(_ref("PersonInput")),
                    "responses": {
                        "200": _json(_ref("Person")),
                        **ERRORS,
                        "409": _json(_ref("PossibleDuplicate"), "Possible duplicate (or another conflict)"),
                    },
                },
            },
            **_planning_paths(ERRORS),
            **_registration_paths(ERRORS),
            **_attendance_paths(ERRORS),
            **_report_paths(ERRORS),
            "/openapi.json": {
                "get": {
                    "summary": "This document",
                    "security": [],
                    "responses": {"200": {"description": "OpenAPI 3 document"}},
                }
            },
        },
    }
