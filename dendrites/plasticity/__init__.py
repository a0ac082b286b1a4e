"""Plasticity rules at dendritic synapses (``Synapses`` specs that read postsynaptic compartments)."""

from .base import Rule, SynapseSpec, connect
from .stdp import PairSTDP, TripletSTDP
from .voltage import BonoClopath2017, Clopath2010
from .modulated import AGREL, FourFactor, NodePerturbation
from .sacramento import SacramentoBasal
from .prediction import DendriticPrediction, UrbanczikSenn
from .burst import BurstDetector, BurstRule, FixedBurstRule, SpikeRelay
from .stp import FixedWeight, TsodyksMarkram
from .plateau import PhasePlateau, PlateauRule

__all__ = ["Rule", "SynapseSpec", "connect", "PairSTDP", "TripletSTDP", "Clopath2010", "BonoClopath2017", "FourFactor", "AGREL", "NodePerturbation", "SacramentoBasal", "DendriticPrediction", "UrbanczikSenn", "BurstDetector", "BurstRule", "FixedBurstRule", "SpikeRelay", "FixedWeight", "TsodyksMarkram", "PhasePlateau", "PlateauRule"]
