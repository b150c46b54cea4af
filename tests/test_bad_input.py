"""Fuzzing what users type and write: never a traceback, always one line and exit 2.
And the run-time faults that must not crash or hang the program."""

from __future__ import annotations

import json
import threading

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import app.headless
from app.cli import main
from app.engine.faults import SpecError
from app.scenes.scenario import load_scenario

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

FLAGS = [
    "--orders",
    "--seed",
    "--speed",
    "--faults",
    "--stations",
    "--trace",
    "--chrome-trace",
    "--json",
    "--bogus",
]
word = st.one_of(
    st.sampled_from(
        [
            "max",
            "16",
            "0.25",
            "-1",
            "1e9",
            "nan",
            "crash=0.1",
            "burn=2",
            "x=y",
            "",
            "restaurant",
            "orchestrator",
            "web.toml",
            "/nonexistent/x.jsonl",
            "17",
            "0",
        ]
    ),
    st.text(max_size=12),
    st.integers(-(10**6), 10**6).map(str),
)


@FUZZ
@given(scenario=word, rest=st.lists(st.one_of(st.sampled_from(FLAGS), word), max_size=8))
def test_cli_input_never_tracebacks(monkeypatch, capsys, scenario, rest):
    # Validate only: a valid command line would start a real run, which is not the point here.
    monkeypatch.setattr(app.headless, "execute", lambda args, prepared: _close(prepared.writers))
    code = main(["run", scenario, *rest])
    out, err = capsys.readouterr()
    assert code in (0, 2), (code, err)
    assert "Traceback" not in err
    if code == 2:
        assert len(err.strip().splitlines()) == 1, err
        assert out == ""


def _close(writers) -> int:
    for w in writers:
        w.close()
    return 0


KEYS = [
    "scene",
    "title",
    "system",
    "component",
    "faults",
    "restart",
    "kitchen",
    "name",
    "init_s",
    "work_s",
    "depends_on",
    "requests",
    "crash",
    "hang",
    "init",
    "burn",
    "stations",
    "prep_s",
    "orders",
    "seed",
    "max_restarts",
    "window_s",
    "backoff_s",
    "readiness_timeout_s",
    "heartbeat_timeout_s",
    "colour",
]
scalar = st.one_of(
    st.integers(-5, 10**6),
    st.floats(-5, 100, allow_nan=False),
    st.booleans(),
    st.sampled_from(["orchestrator", "restaurant", "Database", "A", "B", ""]),
    st.text(max_size=6),
)
value = st.recursive(
    scalar,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.sampled_from(KEYS), inner, max_size=4)
    ),
    max_leaves=12,
)


def to_toml(table: dict, prefix: str = "") -> str:
    """A small TOML writer for generated tables (inline tables and arrays for nesting)."""

    def lit(v) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, int | float):
            return repr(v)
        if isinstance(v, str):
            return json.dumps(v)  # a JSON string is a valid TOML basic string
        if isinstance(v, list):
            return "[" + ", ".join(lit(x) for x in v) + "]"
        return "{" + ", ".join(f'"{k}" = {lit(x)}' for k, x in v.items()) + "}"

    return "\n".join(f'"{k}" = {lit(v)}' for k, v in table.items()) + "\n"


@FUZZ
@given(
    table=st.dictionaries(st.sampled_from(KEYS), value, max_size=6),
    scene=st.sampled_from(["orchestrator", "restaurant", None]),
)
def test_scenario_files_never_traceback(tmp_path_factory, table, scene):
    if scene is not None:
        table = {"scene": scene, **table}
    path = tmp_path_factory.mktemp("fuzz") / "fuzz.toml"
    try:
        path.write_text(to_toml(table), encoding="utf-8")
    except UnicodeEncodeError:
        return  # surrogates cannot be written as a text file at all
    try:
        load_scenario(path)
    except SpecError as exc:
        assert "\n" not in str(exc) and str(exc).startswith("fuzz.toml")


@FUZZ
@given(text=st.text(max_size=200))
def test_any_text_as_a_scenario_file_never_tracebacks(tmp_path_factory, text):
    path = tmp_path_factory.mktemp("fuzz") / "raw.toml"
    try:
        path.write_text(text, encoding="utf-8")
    except UnicodeEncodeError:
        return
    try:
        load_scenario(path)
    except SpecError as exc:
        assert "\n" not in str(exc)


def test_a_binary_file_is_refused_cleanly(tmp_path):
    path = tmp_path / "bin.toml"
    path.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(SpecError):
        load_scenario(path)


def test_an_unexpected_worker_exception_shuts_the_scene_down_in_order():
    from app.scenes.restaurant.model import Kitchen
    from tests.helpers import wait_for
    from tests.kitchen_fixtures import assert_exactly_once

    kitchen = Kitchen()
    kitchen.start()
    kitchen.place_order()
    kitchen.place_order()

    def broken() -> None:
        raise RuntimeError("a bug in a role")

    kitchen.spawn("intruder", broken)
    wait_for(lambda: kitchen.shutting_down)
    assert kitchen.stop() == []
    assert "unexpected error in intruder" in kitchen.shutdown_reason
    assert kitchen.errors and kitchen.recorder.of_kind("worker.crashed")
    assert_exactly_once(kitchen)


def test_records_arriving_after_the_scene_closed_are_harmless(qtbot, main_window):
    """A worker's record may cross after the window closed: nothing is left attached."""
    scene = main_window.scene("restaurant")
    recorder = scene.kitchen.recorder
    scene.close_scene()
    done = threading.Event()
    t = threading.Thread(target=lambda: (recorder.record("late.record"), done.set()))
    t.start()
    t.join(5)
    assert done.is_set()
    scene.bridge.flush()


def test_a_bridge_deleted_under_a_recording_worker_never_breaks_the_worker(qtbot):
    """Even without a detach, a worker recording into a deleted bridge carries on."""
    import shiboken6

    from app.gui.bridge import TraceBridge
    from app.trace.recorder import TraceRecorder

    recorder = TraceRecorder()
    bridge = TraceBridge()
    bridge.attach(recorder)
    stop = threading.Event()
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            while not stop.wait(0.00005):  # a busy worker, but one that leaves the GIL
                recorder.record("tick")
        except BaseException as exc:
            errors.append(exc)

    t = threading.Thread(target=worker)
    t.start()
    qtbot.waitUntil(lambda: recorder.total > 1000, timeout=5000)
    shiboken6.delete(bridge)  # the C++ side goes at once, with no detach
    assert not shiboken6.isValid(bridge)
    seen = recorder.total
    qtbot.waitUntil(lambda: recorder.total > seen + 10_000, timeout=30_000)
    stop.set()
    t.join(5)
    assert errors == []
    assert len(bridge._pending) < 4096  # it let go instead of buffering for a dead window
