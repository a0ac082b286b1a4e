"""Cortical microcircuits from :mod:`dendrites` neurons: populations, projections, circuits.

The published circuits, each a description plus a builder (rate and spiking
where the paper has both):

- :mod:`circuits.microcircuit`: Sacramento et al. 2018 dendritic cortical microcircuit;
- :mod:`circuits.guerguiev`: Guerguiev, Lillicrap & Richards 2017 segregated dendrites;
- :mod:`circuits.burstprop`: Payeur et al. 2021 propagation (multiplexing) and XOR networks;
- :mod:`circuits.agrel`: AGREL / four-factor network (Roelfsema & van Ooyen 2005);
- :mod:`circuits.disinhibition`: VIP -> SST -> apical disinhibitory gate (Williams & Holtmaat 2018);
- :mod:`circuits.recurrent`: the benchmark network of the foundation.
"""

from .agrel import AGRELConfig, RateAGREL, SpikingAGREL
from .burstprop import Propagation, RateXOR, XORNet, build_propagation, build_xor
from .disinhibition import GateConfig, build_gate_circuit
from .guerguiev import Guerguiev2017, GuerguievNetwork, build_guerguiev
from .microcircuit import Microcircuit, Sacramento2018, build_microcircuit, initial_weights
from .populations import (ROLES, CurrentDrive, InputLayer, Nudging, Population, RPEInput,
                          RPESignal)
from .projections import ApicalRule, PredictionRule, Projection, SummedCurrent

__all__ = ["ROLES", "Population", "InputLayer", "CurrentDrive", "RPESignal", "RPEInput", "Nudging",
           "Projection", "SummedCurrent", "PredictionRule", "ApicalRule", "Sacramento2018",
           "Microcircuit", "build_microcircuit", "initial_weights", "Guerguiev2017",
           "GuerguievNetwork", "build_guerguiev", "Propagation", "XORNet", "RateXOR",
           "build_propagation", "build_xor", "AGRELConfig", "RateAGREL", "SpikingAGREL",
           "GateConfig", "build_gate_circuit"]
