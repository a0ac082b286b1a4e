"""Spike-timing-dependent plasticity: the pair rule (all-to-all and nearest-neighbour)."""

from dataclasses import dataclass, field

from brian2 import ms

from .base import Rule, SynapseSpec, check_bounds, check_rate

__all__ = ["PairSTDP"]


def _q(value):
    return field(default_factory=lambda: value)


@dataclass(frozen=True)
class PairSTDP(Rule):
    """Additive pair-based STDP (Song, Miller & Abbott 2000, Eq. 1; Bi & Poo 1998 window).

    ``dw = A_plus exp(-dt/tau_plus)`` for pre before post (``dt > 0``) and
    ``-A_minus exp(dt/tau_minus)`` for post before pre, clipped to
    ``[w_min, w_max]``.  ``nearest=False`` sums over all pairs (traces
    incremented by one), ``nearest=True`` pairs each spike with the nearest
    one of the other neuron (traces reset to one; Morrison, Diesmann &
    Gerstner 2008, Biol Cybern 98:459, Fig. 7).  Time constants default to
    the conventional fits of the Bi & Poo data, tau_plus 16.8 ms and tau_minus
    33.7 ms (Pfister & Gerstner 2006, Table 3).
    """

    A_plus: float = 0.01
    A_minus: float = 0.005
    tau_plus: object = _q(16.8 * ms)
    tau_minus: object = _q(33.7 * ms)
    w_min: float = 0.0
    w_max: float = 1.0
    nearest: bool = False
    name = "pair-stdp"

    def spec(self, post_model, compartment):
        s = SynapseSpec()
        check_rate("A_plus", self.A_plus)
        check_rate("A_minus", self.A_minus)
        check_bounds(self.w_min, self.w_max)
        self.param(s, "A_plus", self.A_plus, 1)
        self.param(s, "A_minus", self.A_minus, 1)
        self.param(s, "tau_plus", self.tau_plus, ms, positive=True)
        self.param(s, "tau_minus", self.tau_minus, ms, positive=True)
        self.param(s, "w_min", self.w_min, 1)
        self.param(s, "w_max", self.w_max, 1)
        op = "=" if self.nearest else "+="
        s.model = ["dapre/dt = -apre/tau_plus : 1 (event-driven)",
                   "dapost/dt = -apost/tau_minus : 1 (event-driven)"]
        s.on_pre = [f"apre {op} 1", "w = clip(w - A_minus*apost, w_min, w_max)"]
        s.on_post = [f"apost {op} 1", "w = clip(w + A_plus*apre, w_min, w_max)"]
        return s
