"""Property-based tests of every operation in /api/v1/openapi.json (Schemathesis, in-process
against the WSGI app, as a community admin with a bearer token): no input gets a 5xx, and
every answer has a documented status, content type and body shape.

Each operation is fuzzed three ways: schema-valid inputs aimed at real objects of the actor's
community (so the happy paths run), schema-valid inputs with random path values, and
schema-violating inputs. Bounded by ``MAX_EXAMPLES`` per operation so the suite stays fast;
raise it to dig: ``LINLI_SCHEMATHESIS_EXAMPLES=300 scripts/test.sh sqlite tests/core/test_schemathesis.py``.

(``schemathesis.pytest.from_fixture`` would give one pytest item per operation, but it breaks
on pytest 9, which dropped ``Node._nodeid``; so the operations are walked here with the
public ``APIOperation.as_strategy`` and Hypothesis' ``given``.)
"""

import os

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from tests.tenant_objects import community_objects

# Examples per operation, shared out between the three ways (about half to the happy paths).
MAX_EXAMPLES = int(os.environ.get("LINLI_SCHEMATHESIS_EXAMPLES", "25"))
ACTOR = "c1_admin"
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance,
          status_code_conformance]


def real_path_values(app, world) -> dict:
    """Slugs of the actor's places and one real object of each kind in its community."""
    return {"community": world.slugs["c1"], "district": world.slugs["d1"],
            "merchant": world.slugs["m1"], **community_objects(app, world, "c1")}


def fuzz(strategy, headers, examples: int) -> None:
    @given(case=strategy)
    @settings(max_examples=max(1, examples), deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def run(case):
        case.call_and_validate(headers=headers, checks=CHECKS)

    run()


def test_every_api_operation(app, rollback, world):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    headers = {"Authorization": f"Bearer {world.tokens[ACTOR]}"}
    real = real_path_values(app, world)
    failures, labels = [], []
    for result in schema.get_all_operations():
        operation = result.ok()
        labels.append(operation.label)
        names = [p.name for p in operation.path_parameters]
        unknown = [n for n in names if n not in real]
        assert not unknown, f"{operation.label}: add the kind of object for {unknown} to tests/tenant_objects.py"
        fixed = {n: real[n] for n in names}
        ways = {
            "real objects": (operation.as_strategy(path_parameters=fixed), MAX_EXAMPLES // 2),
            "random paths": (operation.as_strategy(), MAX_EXAMPLES // 5 if names else 0),
            "invalid input": (operation.as_strategy(generation_mode=GenerationMode.NEGATIVE,
                                                    path_parameters=fixed), MAX_EXAMPLES // 3),
        }
        for way, (strategy, examples) in ways.items():
            if not examples:
                continue
            try:
                fuzz(strategy, headers, examples)
            except Exception as exc:  # collect every operation's failure, then report them all
                failures.append(f"{operation.label} ({way}):\n{exc}")
    assert "POST /api/v1/tokens" in labels and len(labels) >= 6, labels
    assert not failures, "\n\n".join(failures)
