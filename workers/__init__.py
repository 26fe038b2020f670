"""Deployable entry points: ``python -m workers.main`` runs a worker configured by environment."""
