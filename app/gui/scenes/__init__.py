"""One view module per scene (the window imports them through the registry)."""
