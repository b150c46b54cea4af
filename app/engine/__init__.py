"""The engine every scene runs on: simulated clock, workers, supervision, faults, states."""
