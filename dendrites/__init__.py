"""Reduced multi-compartment neuron models, their mechanisms and presets, for Brian2."""

from . import mechanisms, presets
from .errors import ModelError
from .mechanisms import *  # noqa: F401,F403
from .neuron import Compartment, Coupling, DtWarning, NeuronModel

__version__ = "0.1.0"

__all__ = ["Compartment", "Coupling", "NeuronModel", "ModelError", "DtWarning",
           "mechanisms", "presets", "__version__"] + mechanisms.__all__
