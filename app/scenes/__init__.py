"""Scenes: each a Qt-free model package; the registry lists them."""
