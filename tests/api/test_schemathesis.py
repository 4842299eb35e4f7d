"""Schemathesis against the served OpenAPI document, in process (the Flask app as WSGI).

Every operation gets MAX_EXAMPLES generated cases per mode (positive: valid per the schema; negative:
invalid), derandomized so a run is repeatable. Each response must not be a 5xx, must use a documented
status code and content type, and must match its schema.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.generation import GenerationMode

MAX_EXAMPLES = {GenerationMode.POSITIVE: 25, GenerationMode.NEGATIVE: 10}
META = {"GET /api/v1/docs", "GET /api/v1/openapi.json"}
CHECKS = {
    GenerationMode.POSITIVE: [
        not_a_server_error,
        status_code_conformance,
        content_type_conformance,
        response_schema_conformance,
    ],
    GenerationMode.NEGATIVE: [
        not_a_server_error,
        status_code_conformance,
        content_type_conformance,
        response_schema_conformance,
        negative_data_rejection,
    ],
}


@pytest.fixture(scope="module")
def schema(api_app):
    with api_app.app_context():
        return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", api_app)


def _operations(schema):
    out = []
    for result in schema.get_all_operations():
        out.append(result.ok())
    return out


@pytest.mark.parametrize("mode", list(MAX_EXAMPLES), ids=lambda m: m.value)
def test_schemathesis(api_app, schema, mode):
    operations = _operations(schema)
    assert len(operations) >= 7, [op.label for op in operations]
    counts: dict[str, int] = {}
    for operation in operations:
        if mode is GenerationMode.NEGATIVE and operation.label in META:
            continue  # only a free-form header: nothing to make invalid
        strategy = operation.as_strategy(generation_mode=mode)

        @settings(
            max_examples=MAX_EXAMPLES[mode],
            derandomize=True,
            database=None,
            deadline=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=strategy)
        def run(case):
            counts[case.operation.label] = counts.get(case.operation.label, 0) + 1
            with api_app.app_context():
                response = case.call()
            case.validate_response(response, checks=CHECKS[mode])

        run()
    total = sum(counts.values())
    print(f"schemathesis {mode.value}: {total} cases over {len(counts)} operations: {counts}")
    assert set(counts) >= {op.label for op in operations} - META
    assert total >= 100 if mode is GenerationMode.POSITIVE else total >= 30
