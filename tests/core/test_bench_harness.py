"""The bench harness: the BENCH line contract (bench/README.md) and the report table."""

import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))

import _report  # noqa: E402
import common  # noqa: E402


def test_report_prints_the_contract_line(capsys):
    common.report("award_p95", 12.3456, "ms", target="<=20", ratio=1.5)
    common.report("award_throughput", 800, "awards/s")
    assert capsys.readouterr().out.splitlines() == [
        "BENCH award_p95 12.3456 ms target=<=20 ratio=1.5",
        "BENCH award_throughput 800 awards/s target=- ratio=-",
    ]


@pytest.mark.parametrize("bad", [{"target": "20"}, {"target": "=>20"}, {"unit": "per s"}])
def test_report_refuses_what_the_table_could_not_read(bad):
    args = {"name": "x", "value": 1, "unit": "ms", **bad}
    with pytest.raises(ValueError):
        common.report(**args)


def test_percentile_is_nearest_rank():
    values = list(range(1, 101))
    assert common.percentile(values, 50) == 50
    assert common.percentile(values, 95) == 95
    assert common.percentile(values, 100) == 100
    assert common.percentile([], 95) == 0.0


def test_run_threads_counts_calls_and_errors():
    def sometimes(i):
        if i % 10 == 0:
            raise RuntimeError("every tenth")

    timing = common.run_threads(sometimes, threads=4, calls=50, warmup=0)
    assert timing.calls + timing.errors == 200
    assert timing.errors == 20 and isinstance(timing.first_error, RuntimeError)
    assert timing.per_second > 0


def test_table_judges_targets_and_failures():
    text, failed, missed = _report.table([
        "noise before\n",
        "BENCH fast 600 req/s target=>=500 ratio=0.8\n",
        "BENCH slow 40 ms target=<=20 ratio=-\n",
        "BENCH plain 3 x target=- ratio=-\n",
        "FAILED award exit code 1\n",
    ])
    rows = {line.split("|")[0].strip(): line for line in text.splitlines()[2:]}
    assert set(rows) == {"fast", "slow", "plain", "award"}
    assert rows["fast"].rstrip().endswith("met") and "0.8" in rows["fast"]
    assert "NOT MET" in rows["slow"]
    assert rows["plain"].rstrip().endswith("-")
    assert "FAILED: exit code 1" in rows["award"]
    assert (failed, missed) == (1, 1)
