"""Spike-timing-dependent plasticity: pair and triplet rules (all-to-all or nearest-spike)."""

from dataclasses import dataclass, field

from brian2 import ms

from .base import Rule, SynapseSpec, check_bounds, check_rate

__all__ = ["PairSTDP", "TripletSTDP"]


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


@dataclass(frozen=True)
class TripletSTDP(Rule):
    """Triplet STDP of Pfister & Gerstner (2006), J Neurosci 26:9673, Eqs. 2-5.

    Presynaptic traces ``r1`` (tau_plus) and ``r2`` (tau_x), postsynaptic
    traces ``o1`` (tau_minus) and ``o2`` (tau_y)::

        pre spike:  w <- w - o1 (A2_minus + A3_minus r2(t-));  r1, r2 += 1
        post spike: w <- w + r1 (A2_plus + A3_plus o2(t-));    o1, o2 += 1

    (``t-``: the trace just before its own update), clipped to
    ``[w_min, w_max]``.  ``nearest=True`` resets traces to one instead
    (nearest-spike interaction).  Defaults: the minimal visual-cortex set
    fitted to Sjöström et al. (2001), as used by sPyNNaker
    ``examples/stdp_triplet.py`` (tau_plus 16.8 ms, tau_minus 33.7 ms,
    tau_x 101 ms, tau_y 114 ms, A2_plus 0, A3_plus 6.5e-3, A2_minus 7.1e-3,
    A3_minus 0; see SCIENCE.md section 10.2).
    """

    A2_plus: float = 0.0
    A3_plus: float = 6.5e-3
    A2_minus: float = 7.1e-3
    A3_minus: float = 0.0
    tau_plus: object = _q(16.8 * ms)
    tau_minus: object = _q(33.7 * ms)
    tau_x: object = _q(101 * ms)
    tau_y: object = _q(114 * ms)
    w_min: float = 0.0
    w_max: float = 1.0
    nearest: bool = False
    name = "triplet-stdp"

    def spec(self, post_model, compartment):
        post_model.compartment(compartment)
        s = SynapseSpec()
        for key in ("A2_plus", "A3_plus", "A2_minus", "A3_minus"):
            check_rate(key, getattr(self, key))
        check_bounds(self.w_min, self.w_max)
        for key in ("A2_plus", "A3_plus", "A2_minus", "A3_minus", "w_min", "w_max"):
            self.param(s, key, getattr(self, key), 1)
        for key in ("tau_plus", "tau_minus", "tau_x", "tau_y"):
            self.param(s, key, getattr(self, key), ms, positive=True)
        op = "=" if self.nearest else "+="
        s.model = ["dr1/dt = -r1/tau_plus : 1 (event-driven)",
                   "dr2/dt = -r2/tau_x : 1 (event-driven)",
                   "do1/dt = -o1/tau_minus : 1 (event-driven)",
                   "do2/dt = -o2/tau_y : 1 (event-driven)"]
        s.on_pre = ["w = clip(w - o1*(A2_minus + A3_minus*r2), w_min, w_max)",
                    f"r1 {op} 1", f"r2 {op} 1"]
        s.on_post = ["w = clip(w + r1*(A2_plus + A3_plus*o2), w_min, w_max)",
                     f"o1 {op} 1", f"o2 {op} 1"]
        return s
