"""The restaurant: chefs meet at the kitchen barrier, one order a round."""
