"""``explore``: run a scene (or a lab experiment) under many schedules, check every run's
promises, and shrink the first failure to a short trace that ``run --replay`` re-executes.

Schedule ``i`` (from 0) runs the scene with seed ``S + i`` under the strategy seeded ``S + i``:
the scene seed is derived, so schedule ``i`` of random or pos is exactly ``run SCENE --schedule
STRATEGY --seed S+i`` (with the same flags). PCT places its priority changes among the steps a
run takes (measured once, on one random schedule), not among ``run``'s 2000. A lab
experiment runs once per schedule under the ``any`` interleaving: nothing forced and no
simulated durations, so the strategy alone orders the threads' steps.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import shlex
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from app.engine.clock import SimClock
from app.engine.contract import SceneSpec
from app.engine.exploring import CHECKS, FollowStrategy, Outcome, run_schedule, shrink
from app.engine.faults import SpecError
from app.engine.simulation import Simulation
from app.scenes import registry
from app.sync.control import ReplayStrategy, Strategy, make_strategy
from app.trace.export import JsonlWriter
from app.trace.format import read_trace, trace_header
from app.trace.recorder import TraceRecorder, bind_thread_name

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
DEFAULT_STRATEGY = "pos"


@dataclasses.dataclass
class Target:
    """What is explored: a scene, its flags (as ``run`` takes them) and its config maker."""

    name: str  # as given: "restaurant", "lab:lost-wakeup"
    spec: SceneSpec
    flags: dict[str, str]
    faults: str

    def config(self, seed: int) -> Any:
        spec = self.spec
        given = spec.read_flags(dict(self.flags))
        config = spec.configure(spec.default_config(), given)
        return spec.with_common(config, seed=seed, faults=self.faults)

    def build(self, seed: int) -> Callable[[TraceRecorder], Simulation]:
        config = self.config(seed)
        return lambda recorder: self.spec.build(config, SimClock(None, recorder=recorder), recorder, None)

    def run_command(self, seed: int, trace: str) -> str:
        words = ["python", "-m", "app", "run", self.spec.name]
        for flag, value in self.flags.items():
            words += [f"--{flag}", value]
        words += ["--seed", str(seed)]
        if self.faults:
            words += ["--faults", self.faults]
        return shlex.join([*words, "--replay", trace])


def target(text: str, variant: str | None, faults: str) -> Target:
    """``SCENE`` or ``lab:EXPERIMENT`` (raises SpecError with one line)."""
    scene, _, experiment = text.partition(":")
    spec = registry.get(scene)
    flags: dict[str, str] = {}
    if spec.name == "lab":
        flags = {"experiment": experiment or "basics", "variant": variant or "right", "interleaving": "any"}
    elif experiment:
        raise SpecError(f"{text!r}: only the lab has experiments (lab:NAME)")
    elif variant:
        raise SpecError("--variant goes with the lab (lab:EXPERIMENT)")
    t = Target(text, spec, flags, faults)
    t.config(0)  # bad flags or faults: SpecError now, before any run
    return t


def strategy_for(name: str, seed: int, depth: int | None, steps: int | None = None) -> Strategy:
    options: dict[str, int] = {}
    if name == "pct":
        options = {k: v for k, v in (("depth", depth), ("steps", steps)) if v}
    return make_strategy(name, seed, **options)


def pct_steps(t: Target, seed: int) -> int:
    """How many scheduling steps a run takes (one random schedule's): PCT places its
    priority changes among that many, so they fall inside a small run."""
    return max(run_schedule(t.build(seed), make_strategy("random", seed), t.spec.invariants).steps, 1)


def explore(args: argparse.Namespace) -> int:
    bind_thread_name("explore")
    t = target(args.target, args.variant, args.faults or "")
    n, base = args.schedules, args.seed
    invariants = t.spec.invariants
    t0 = time.monotonic()
    failing: list[tuple[int, Outcome]] = []
    checks: Counter[str] = Counter()
    steps = 0
    k = pct_steps(t, base) if args.strategy == "pct" and n else None
    for i in range(n):
        seed = base + i
        out = run_schedule(t.build(seed), strategy_for(args.strategy, seed, args.pct_depth, k), invariants)
        steps += out.steps
        if out.failed:
            checks[out.failed] += 1
            failing.append((i, out))
            if out.failed == "hang":
                break  # a thread is stuck outside the scheduler: the next runs would be too
    wall = time.monotonic() - t0
    report: dict[str, Any] = {
        "target": t.name,
        "scene": t.spec.name,
        **({"variant": t.flags["variant"]} if "variant" in t.flags else {}),
        "strategy": args.strategy,
        **({"pct_steps": k} if k else {}),
        "seed": base,
        "scene_seed": "seed + schedule index",
        "schedules": n,
        "schedules_run": (failing[-1][0] + 1) if failing and failing[-1][1].failed == "hang" else n,
        "failures": len(failing),
        "failed_checks": dict(checks),
        "first_failure": None,
        "wall_s": round(wall, 3),
        "schedules_per_s": round(n / wall, 1) if wall > 0 else None,
        "mean_steps": round(steps / max(n, 1), 1),
    }
    if failing:
        index, first = failing[0]
        report["first_failure"] = _reproduce(args, t, index, first)
    _print(report, args.json)
    return EXIT_FAILED if failing else EXIT_OK


def _reproduce(args: argparse.Namespace, t: Target, index: int, first: Outcome) -> dict[str, Any]:
    """Shrink the failing schedule, write it as a trace, check the trace replays it."""
    seed = args.seed + index
    check, message = first.failures[0]
    found = {"found_by": args.strategy, "seed": seed, "schedule": index}
    info: dict[str, Any] = {
        "index": index,
        "scene_seed": seed,
        "check": check,
        "message": message,
        "choices": len(first.chosen),
        "steps": first.steps,
    }
    if check == "hang":
        return info  # a run that never ended cannot be replayed
    build = t.build(seed)

    def fails(choices: list[str]) -> bool:
        return run_schedule(build, FollowStrategy(choices), t.spec.invariants).failed == check

    forced, tries = shrink(first.chosen, fails, budget=args.shrink_budget)
    path = args.out or f"explore-{t.name.replace(':', '-')}.jsonl"
    config = t.config(seed)
    header = trace_header(t.spec.name, config, seed)
    header["schedule"] = FollowStrategy(forced, found).describe()
    writers: list[JsonlWriter] = []

    def subscribe(recorder: TraceRecorder) -> None:
        try:
            writer = JsonlWriter(Path(path), header=header)
        except OSError as exc:
            raise SpecError(f"cannot write {path}: {exc.strerror or exc}") from None
        recorder.subscribe(writer)
        writers.append(writer)

    final = run_schedule(
        build, FollowStrategy(forced, found), t.spec.invariants, record_choices=True, subscribe=subscribe
    )
    for w in writers:
        w.close()
    _, records = read_trace(path)
    recorded = [r for r in records if r["kind"] == "sched.choice"]
    again = run_schedule(build, ReplayStrategy(recorded), t.spec.invariants)
    info.update(
        shrunk_choices=len(forced),
        forced=forced,
        shrink_runs=tries,
        reproduced=final.failed == check,
        replayed=again.failed == check,
        shrunk_message=final.failures[0][1] if final.failures else "",
        trace=path,
        replay=t.run_command(seed, path),
    )
    return info


def _print(report: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print(json.dumps(report))
        return
    what = report["target"] + (f" ({report['variant']})" if "variant" in report else "")
    print(
        f"explored {what}: {report['schedules_run']} schedules ({report['strategy']}, seeds "
        f"{report['seed']}..{report['seed'] + report['schedules'] - 1}) in {report['wall_s']} s "
        f"({report['schedules_per_s']}/s, {report['mean_steps']} steps each)"
    )
    if not report["failures"]:
        print(f"no failure: every run kept every promise ({', '.join(CHECKS)})")
        return
    kinds = ", ".join(f"{k} {n}" for k, n in report["failed_checks"].items())
    print(f"FAILURES: {report['failures']} of {report['schedules_run']} schedules ({kinds})")
    f = report["first_failure"]
    print(f"first failure: schedule {f['index']} (seed {f['scene_seed']}): {f['check']}: {f['message']}")
    if "trace" not in f:
        return
    print(
        f"shrunk from {f['choices']} choices to {f['shrunk_choices']} forced ({f['shrink_runs']} runs): "
        f"{' '.join(f['forced']) or '(none: the default schedule fails)'}"
    )
    ok = "reproduces it" if f["reproduced"] and f["replayed"] else "DOES NOT reproduce it"
    print(f"trace: {f['trace']} ({ok})")
    print(f"replay: {f['replay']}")


__all__ = ["DEFAULT_STRATEGY", "explore", "target"]
