"""Cortical microcircuits built from :mod:`dendrites` neurons (populations, projections)."""

__all__ = []
