"""The system orchestrator: components start in dependency order through a state machine."""
