"""The version, from package metadata (falls back when running from an uninstalled tree)."""

from __future__ import annotations

from importlib import metadata


def version() -> str:
    try:
        return metadata.version("kitchen-sync")
    except metadata.PackageNotFoundError:
        return "0.1.0+source"
