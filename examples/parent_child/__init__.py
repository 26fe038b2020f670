"""An orchestrator that runs another orchestrator as a child."""
