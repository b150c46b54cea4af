"""The headless CLI as a user runs it: outputs, exit codes, signals."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import wait_for

ROOT = Path(__file__).resolve().parents[1]


def run_cli(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        cwd=ROOT,
    )


def test_json_summary_has_the_contract_fields():
    proc = run_cli("run", "restaurant", "--orders", "40", "--seed", "3", "--json")
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    for key in ("scenario", "placed", "served", "cancelled", "faults", "restarts", "wall_s"):
        assert key in summary
    assert summary["scenario"] == "restaurant"
    assert summary["placed"] == summary["served"] == 40
    assert proc.stderr == ""


def test_faults_and_traces_are_written(tmp_path):
    trace, chrome = tmp_path / "t.jsonl", tmp_path / "c.json"
    proc = run_cli(
        "run",
        "restaurant",
        "--orders",
        "60",
        "--faults",
        "crash=0.05,burn=0.05,stall=0.02,walkout=0.02",
        "--trace",
        str(trace),
        "--chrome-trace",
        str(chrome),
        "--json",
    )
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    assert summary["served"] + summary["cancelled"] == summary["placed"] == 60
    records = [json.loads(line) for line in trace.read_text().splitlines()]
    assert sum(r["kind"] == "order.placed" for r in records) == 60
    assert sum(r["kind"] == "fault.injected" for r in records) == summary["faults"]
    assert json.loads(chrome.read_text())["traceEvents"]


def test_human_summary_without_json():
    proc = run_cli("run", "restaurant", "--orders", "5", "--stations", "5")
    assert proc.returncode == 0
    assert "5 orders, 5 served" in proc.stdout


@pytest.mark.parametrize(
    "args,words",
    [
        (["run", "restaurant", "--speed", "99"], "speed"),
        (["run", "restaurant", "--speed", "fast"], "speed"),
        (["run", "restaurant", "--orders", "-1"], "--orders"),
        (["run", "restaurant", "--orders", "ten"], "--orders"),
        (["run", "restaurant", "--seed", "x"], "seed"),
        (["run", "restaurant", "--faults", "boom=1"], "unknown fault kind"),
        (["run", "restaurant", "--faults", "crash=2"], "from 0 to 1"),
        (["run", "restaurant", "--stations", "40"], "--stations"),
        (["run", "restaurant", "--max-restarts", "-1"], "--max-restarts"),
        (["run", "restaurant", "--max-restarts", "many"], "--max-restarts"),
        (["run", "orchestrator", "--restart-window", "0"], "--restart-window"),
        (["run", "orchestrator", "--restart-window", "nan"], "--restart-window"),
        (["run", "orchestrator", "--restart-window", "soon"], "--restart-window"),
        (["run", "kitchen"], "unknown scene"),
        (["run", "restaurant", "--trace", "/no/such/dir/t.jsonl"], "cannot write"),
        (["run"], "SCENE"),
        (["dance"], "invalid choice"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args, words):
    proc = run_cli(*args)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert words in lines[0] and "Traceback" not in proc.stderr
    assert proc.stdout == ""


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_is_a_forced_shutdown_that_still_reports(sig, tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    trace = tmp_path / "t.jsonl"
    cmd = [sys.executable, "-m", "app", "run", "restaurant", "--orders", "100000", "--speed", "16"]
    proc = subprocess.Popen(
        [*cmd, "--json", "--trace", str(trace)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )
    try:
        # Under way once a chef has started preparing (the trace streams to disk).
        wait_for(lambda: trace.exists() and "part.started" in trace.read_text(), timeout=20)
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=10)
    finally:
        proc.kill()
    assert proc.returncode == 128 + sig, err
    summary = json.loads(out)
    assert summary["interrupted"] is True
    assert summary["placed"] == 100000
    assert summary["served"] + summary["cancelled"] == summary["placed"]
    assert summary["cancel_reasons"] == {f"interrupted by {signal.Signals(sig).name}": summary["cancelled"]}
    assert summary["threads_alive"] == []
    assert "Traceback" not in err


def test_orchestrator_run_reports_states_and_restarts():
    # A budget that cannot run out: every crash is recovered, so the run must succeed.
    args = ["--orders", "40", "--faults", "crash=0.1", "--json", "--seed", "2", "--max-restarts", "1000"]
    proc = run_cli("run", "orchestrator", *args)
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    assert summary["scenario"] == "orchestrator"
    assert summary["escalated"] is None and summary["restarts"] >= 1
    assert summary["placed"] == summary["served"] == 40
    assert summary["states_visited"][:3] == ["INITIALIZING", "READY", "PROCESSING"]
    assert summary["final_state"] == "SHUTDOWN"
    assert set(summary["restarts_by_component"]) == {"Database", "Cache", "API server"}
    assert "PROCESSING" in summary["time_in_state_s"]
    for key in ("placed", "served", "cancelled", "faults", "restarts", "wall_s"):
        assert key in summary


def test_scenario_file_run(tmp_path):
    trace = tmp_path / "t.jsonl"
    proc = run_cli(
        "run",
        str(ROOT / "resources/scenarios/web-stack.toml"),
        "--orders",
        "5",
        "--json",
        "--trace",
        str(trace),
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["served"] == 5
    kinds = [json.loads(line)["kind"] for line in trace.read_text().splitlines()]
    assert kinds.count("state.changed") == 3


def test_bad_scenario_file_is_one_line_exit_2(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('scene = "orchestrator"\n[[component]]\nname = "A"\ndepends_on = ["A"]\n')
    proc = run_cli("run", str(bad))
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0 and "dependency cycle" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("args", [["--faults", "burn=0.1"], ["--stations", "4"]])
def test_restaurant_only_flags_are_refused_for_the_orchestrator(args):
    proc = run_cli("run", "orchestrator", *args)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr


@pytest.mark.parametrize("scene", ["restaurant", "orchestrator"])
def test_a_spent_restart_budget_fails_the_run_with_exit_1(scene):
    proc = run_cli("run", scene, "--orders", "30", "--faults", "crash=1.0", "--json")
    assert proc.returncode == 1, proc.stderr
    summary = json.loads(proc.stdout)
    assert summary["escalated"] == "restart budget exhausted (5 restarts in 30 s)"
    assert summary["served"] + summary["cancelled"] == summary["placed"] == 30
    assert summary["threads_alive"] == [] and "Traceback" not in proc.stderr


@pytest.mark.parametrize("scene", ["restaurant", "orchestrator"])
def test_restart_flags_set_the_budget(scene):
    args = [
        "--orders",
        "30",
        "--faults",
        "crash=1.0",
        "--json",
        "--max-restarts",
        "2",
        "--restart-window",
        "7.5",
    ]
    proc = run_cli("run", scene, *args)
    assert proc.returncode == 1, proc.stderr
    assert json.loads(proc.stdout)["escalated"] == "restart budget exhausted (2 restarts in 7.5 s)"


def test_a_long_run_with_faults_needs_a_bigger_budget_and_gets_it():
    """Faults at a few per cent escalate by design once the window is wide; the flags let a
    soak run through."""
    run = ["run", "restaurant", "--orders", "2000", "--faults", "crash=0.01,burn=0.01", "--json"]
    strict = run_cli(*run, "--restart-window", "1e6")
    assert strict.returncode == 1 and json.loads(strict.stdout)["escalated"]
    relaxed = run_cli(*run, "--restart-window", "1e6", "--max-restarts", "100000")
    assert relaxed.returncode == 0, relaxed.stderr
    summary = json.loads(relaxed.stdout)
    assert summary["escalated"] is None and summary["restarts"] > 5
    assert summary["served"] + summary["cancelled"] == summary["placed"] == 2000
