"""Cortical microcircuits from :mod:`dendrites` neurons: populations, projections, circuits."""

from .microcircuit import Microcircuit, Sacramento2018, build_microcircuit, initial_weights
from .populations import (ROLES, CurrentDrive, InputLayer, Nudging, Population, RPEInput,
                          RPESignal)
from .projections import ApicalRule, PredictionRule, Projection, SummedCurrent

__all__ = ["ROLES", "Population", "InputLayer", "CurrentDrive", "RPESignal", "RPEInput", "Nudging",
           "Projection", "SummedCurrent", "PredictionRule", "ApicalRule", "Sacramento2018",
           "Microcircuit", "build_microcircuit", "initial_weights"]
