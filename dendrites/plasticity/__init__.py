"""Plasticity rules at dendritic synapses (``Synapses`` specs that read postsynaptic compartments)."""

from .base import Rule, SynapseSpec, connect
from .stdp import PairSTDP

__all__ = ["Rule", "SynapseSpec", "connect", "PairSTDP"]
