"""Build the one-folder bundle with build.spec and run its self-test, as a user would get it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SIZE_CAP_MIB = 120


def folder_mib(path: Path) -> float:
    total = sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())
    return total / 2**20


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> Path:
    pytest.importorskip("PyInstaller")
    out = tmp_path_factory.mktemp("frozen")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "PyInstaller",
            "--noconfirm",
            "--log-level",
            "WARN",
            "--distpath",
            str(out / "dist"),
            "--workpath",
            str(out / "build"),
            str(ROOT / "build.spec"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return out / "dist" / "kitchen-sync"


@pytest.mark.timeout(900)
def test_frozen_app_passes_its_selftest(bundle):
    exe = bundle / ("kitchen-sync.exe" if sys.platform == "win32" else "kitchen-sync")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    proc = subprocess.run([str(exe), "selftest"], capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.startswith("selftest: ok")


@pytest.mark.timeout(900)
def test_frozen_app_runs_headless_and_refuses_bad_input(bundle):
    exe = bundle / "kitchen-sync"
    ok = subprocess.run(
        [str(exe), "run", "resources/scenarios/web-stack.toml", "--orders", "5", "--json"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert ok.returncode == 0, ok.stderr
    bad = subprocess.run(
        [str(exe), "run", "restaurant", "--speed", "fast"], capture_output=True, text=True, timeout=60
    )
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1


@pytest.mark.timeout(900)
def test_bundle_carries_its_resources_and_stays_small(bundle):
    internal = bundle / "_internal"
    for rel in (
        "resources/style.qss",
        "resources/icons/kitchen-sync-256.png",
        "resources/scenarios/web-stack.toml",
        "resources/kitchen-sync.desktop",
    ):
        assert (internal / rel).exists(), rel
    assert not list(internal.rglob("*.qm")), "Qt translations should be left out"
    assert not list(internal.rglob("libQt6Quick*")), "unused Qt modules should be left out"
    size = folder_mib(bundle)
    assert size < SIZE_CAP_MIB, f"bundle is {size:.0f} MiB"
