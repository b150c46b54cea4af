"""The multiplayer dice game: players roll each round and meet at the round barrier."""

from app.scenes.dice.spec import SCENE

__all__ = ["SCENE"]
