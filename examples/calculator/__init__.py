"""A service and the orchestrator that calls it: the smallest complete Arvo system."""
