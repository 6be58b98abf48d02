"""The benchmark harness runs end to end on tiny sizes (no speed is asserted)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
RUN = ROOT / "benchmarks" / "run.py"

REQUIRED_KEYS = (
    "drain_jobs_per_s",
    "enqueue_single_jobs_per_s",
    "enqueue_single_ceiling_jobs_per_s",
    "enqueue_bulk_jobs_per_s",
    "enqueue_sql_bulk_jobs_per_s",
    "latency_p50_ms",
    "latency_p95_ms",
    "finish_latency_p50_ms",
    "ceiling_jobs_per_s",
    "scale_ratio",
    "worker_peak_rss_mb",
)


def test_quick_run_measures_every_figure_and_prints_one_table(tmp_path: Path) -> None:
    output = tmp_path / "latest.json"

    proc = subprocess.run(
        [sys.executable, str(RUN), "--quick", "--output", str(output)],
        capture_output=True,
        text=True,
        timeout=280,
        cwd=ROOT,
    )

    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    figures = json.loads(output.read_text())
    assert figures["failures"] == {}
    for key in REQUIRED_KEYS:
        assert isinstance(figures[key], int | float), f"{key} = {figures[key]!r}"
        assert figures[key] > 0, f"{key} = {figures[key]!r}"
    assert figures["scale_fetch_uses_index"] is True, figures["scale_fetch_plan"]
    assert set(figures["ceiling"]) == {"1c_x1", "2c_x1", "1c_x100", "2c_x100"}
    assert proc.stdout.count("figure ") == 1
    assert "drain, 1 worker process" in proc.stdout


def test_an_unknown_part_is_refused_with_its_name() -> None:
    proc = subprocess.run(
        [sys.executable, str(RUN), "--parts", "drain,warp"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )

    assert proc.returncode == 2
    assert "unknown parts: warp" in proc.stderr
