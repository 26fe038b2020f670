"""A resumable orchestrator: summing a list through the calculator service, in rounds."""
