"""Reduced multi-compartment neuron models, their mechanisms and presets, for Brian2."""

from . import channels, inputs, mechanisms, presets
from .channels import *  # noqa: F401,F403
from .errors import ModelError
from .inputs import *  # noqa: F401,F403
from .mechanisms import *  # noqa: F401,F403
from .neuron import Compartment, Coupling, DtWarning, NeuronModel

__version__ = "0.1.0"

__all__ = ["Compartment", "Coupling", "NeuronModel", "ModelError", "DtWarning",
           "channels", "inputs", "mechanisms", "presets", "__version__"]
__all__ += channels.__all__ + inputs.__all__ + mechanisms.__all__
