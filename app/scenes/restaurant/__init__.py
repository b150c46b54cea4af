"""The restaurant: chefs meet at the kitchen barrier, one order a round."""

from app.scenes.restaurant.spec import SCENE

__all__ = ["SCENE"]
