"""Widgets every scene can use: the barrier gate, counters and the control row."""
