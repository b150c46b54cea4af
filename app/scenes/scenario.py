"""Scenario files (TOML): ``scene = "NAME"``, an optional ``title``, and the scene's tables.

The scene's own ``from_toml`` reads its tables; every problem becomes one ``SpecError`` line
that names the file, the key and what is wrong.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.engine.contract import SceneSpec
from app.engine.faults import SpecError
from app.engine.toml_reader import TableReader
from app.scenes import registry


@dataclass(frozen=True)
class Scenario:
    spec: SceneSpec
    config: Any
    title: str

    @property
    def scene(self) -> str:
        return self.spec.name


def load_scenario(path: str | Path) -> Scenario:
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SpecError(f"{path}: no such scenario file") from None
    except IsADirectoryError:
        raise SpecError(f"{path}: is a folder, not a scenario file") from None
    except OSError as exc:
        raise SpecError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise SpecError(f"{path.name}: not a text file") from None
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"{path.name}: not valid TOML: {exc}") from None
    top = TableReader(path, data, "")
    known = " or ".join(f'scene = "{n}"' for n in registry.names())
    name = top.get("scene", str)
    if name is None:
        raise top.fail("scene", f"missing: say {known}")
    if name not in registry.names():
        raise top.fail("scene", f"must be one of {', '.join(registry.names())}, got {name!r}")
    title = top.get("title", str, path.stem)
    spec = registry.get(name)
    try:
        config = spec.from_toml(top)
        top.done()
    except SpecError as exc:
        if str(exc).startswith(path.name):
            raise
        raise SpecError(f"{path.name}: {exc}") from None
    return Scenario(spec, config, title)
