"""Kitchen Sync: thread synchronisation made visible."""

from __future__ import annotations


def main(argv: list[str] | None = None) -> int:
    """The one way in: ``[]`` opens the window, ``["run", ...]`` runs headless."""
    from app.cli import main as cli_main

    return cli_main(argv)


__all__ = ["main"]
