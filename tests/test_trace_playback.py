"""The Qt-free side of playing a trace back (app/trace/playback.py): reading a file whole,
the cursor's moves and pacing, and a header's config back into the scene's dataclass."""

from __future__ import annotations

import dataclasses

import pytest

from app.scenes import registry
from app.trace.export import JsonlWriter
from app.trace.format import TraceFormatError, plain, trace_header
from app.trace.playback import Cursor, from_plain, load_trace


def recs(n: int) -> list[dict]:
    return [{"seq": i, "ts": i / 100, "sim": i * 0.5, "thread": "t", "kind": "x.y", "i": i} for i in range(n)]


def test_cursor_forward_hands_out_the_records_in_between_and_back_refolds():
    c = Cursor(recs(10))
    assert c.seek(3) == (False, recs(10)[0:3])
    assert c.step() == (False, recs(10)[3:4])
    assert c.pos == 4
    refold, again = c.step_back()
    assert refold and list(again) == recs(10)[:3] and c.pos == 3
    assert c.seek(99) == (False, recs(10)[3:10]) and c.at_end
    assert c.step() == (False, [])  # nothing past the end
    assert c.seek(-5) == (True, []) and c.pos == 0
    assert c.step_back() == (False, []) and c.pos == 0  # nothing before the start


def test_cursor_paces_by_sim_and_interpolates_ts():
    c = Cursor(recs(10))  # sim 0, 0.5, ..., 4.5; ts 0, 0.01, ...
    assert c.due(-1.0) == 0
    assert c.due(0.0) == 1  # the first record is due at once
    assert c.due(1.2) == 3  # sims 0, 0.5, 1.0
    assert c.due(100.0) == 10
    c.seek(5)
    assert c.due(0.0) == 5  # never backwards
    assert c.sim_now() == 2.0 and c.ts_now() == 0.04
    assert c.ts_at(0.25) == pytest.approx(0.005)
    assert c.ts_at(99.0) == 0.09 and c.ts_at(-1.0) == 0.0
    assert Cursor([]).due(5.0) == 0 and Cursor([]).ts_now() == 0.0


@pytest.mark.parametrize("spec", registry.SCENES, ids=lambda s: s.name)
def test_every_scenes_config_comes_back_from_its_header(spec):
    config = spec.default_config()
    assert from_plain(type(config), plain(config)) == config
    changed = spec.with_common(config, seed=7, faults=",".join(f"{k}=0.01" for k in spec.fault_kinds))
    assert from_plain(type(config), plain(changed)) == changed


def test_from_plain_names_the_field_that_does_not_fit():
    spec = registry.get("dice")
    data = plain(spec.default_config())
    with pytest.raises(ValueError, match=r"config\.players: expected a whole number"):
        from_plain(type(spec.default_config()), {**data, "players": "four"})
    with pytest.raises(ValueError, match=r"config: unknown field 'colour'"):
        from_plain(type(spec.default_config()), {**data, "colour": 1})
    with pytest.raises(ValueError, match=r"config\.restart\.window_s: expected a number"):
        from_plain(type(spec.default_config()), {**data, "restart": {"window_s": "soon"}})
    partial = from_plain(type(spec.default_config()), {"players": 3})
    assert partial == dataclasses.replace(spec.default_config(), players=3)


def test_load_trace_reads_the_whole_file(tmp_path):
    path = tmp_path / "t.jsonl"
    writer = JsonlWriter(path, header=trace_header("dice", {"players": 2}, 5))
    writer.write_batch(recs(25))
    writer.close()
    trace = load_trace(path)
    assert trace.scene == "dice" and trace.header["seed"] == 5
    assert trace.records == recs(25)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty, not a trace"),
        (b'{"seq":0,"ts":0,"sim":0,"thread":"t","kind":"a.b"}\n', "no trace header"),
        (b"hello\n", "not JSON"),
        (b"\xff\xfe\x00garbage\n", "not JSON"),
    ],
    ids=["empty", "no-header", "text", "binary"],
)
def test_load_trace_refuses_what_is_not_a_trace_in_one_line(tmp_path, content, message):
    path = tmp_path / "bad.jsonl"
    path.write_bytes(content)
    with pytest.raises(TraceFormatError, match=message) as info:
        load_trace(path)
    assert "\n" not in str(info.value) and str(path) in str(info.value)
