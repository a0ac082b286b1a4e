"""Background and input mechanisms: OU noise current, event-driven Poisson input, spike traces."""

from dataclasses import dataclass

from brian2 import Hz, ms, nS, pA
from brian2.units.fundamentalunits import get_dimensions

from .errors import ModelError
from .fragments import Fragment, _d, _param, _rename, _sub

__all__ = ["NoiseCurrent", "EventPoissonInput", "SpikeTrace"]


@dataclass(frozen=True)
class NoiseCurrent:
    """Background input as an Ornstein-Uhlenbeck current into the compartment.

    ``dI_noise/dt = -I_noise/tau + sigma sqrt(2/tau) xi``: zero mean,
    standard deviation ``sigma``, correlation time ``tau`` (the diffusion
    approximation of balanced synaptic bombardment, e.g. Destexhe et al. 2001),
    advanced with its exact update
    ``I(t + dt) = I(t) exp(-dt/tau) + sigma sqrt(1 - exp(-2 dt/tau)) N(0, 1)``.
    """

    sigma: object = _d(100 * pA)
    tau: object = _d(5 * ms)

    def fragment(self, comp, soma):
        names = {"I_noise": f"I_noise_{comp}", "sigma": f"sigma_noise_{comp}",
                 "tau": f"tau_noise_{comp}"}
        frag = Fragment()
        _param(frag, names, "sigma", self.sigma, pA, nonneg=True)
        _param(frag, names, "tau", self.tau, ms, positive=True)
        frag.time_constants[names["tau"]] = self.tau
        # exact OU update once per step, outside the integrator: Brian2 orders
        # several xi_* noise variables by string hash, which would make the
        # random stream depend on PYTHONHASHSEED; a code block is ordered
        frag.equations.append("I_noise : amp")
        frag.regular.append(
            "I_noise = I_noise*exp(-dt/tau) + sigma*sqrt(1 - exp(-2*dt/tau))*randn()")
        frag.currents[comp] = ["I_noise"]
        _rename(frag, names)
        frag.regular = [_sub(r, names) for r in frag.regular]
        return frag


@dataclass(frozen=True)
class EventPoissonInput:
    """Superposed Poisson input onto a channel of the compartment, drawn as events.

    ``n`` independent Poisson synapses of rate ``rate`` and weight ``weight``
    onto channel ``channel`` superpose to one Poisson process of rate
    ``n rate``.  Each neuron keeps the arrival of its next event in
    operational time ``s`` (a running sum of unit exponentials); the custom
    event ``t n rate >= s`` adds the weight to the channel and draws the next
    gap.  One comparison per neuron and step replaces ``PoissonInput``'s
    binomial draw; a rate changed through ``run_args`` takes effect from the
    first event.  Events falling into the same step are delivered on
    consecutive steps (at 500 Hz and dt = 0.1 ms, 2.5 % of events are delayed
    by one step; none is lost).  Variables are named after ``name`` (default:
    the compartment): ``s_NAME``, ``rate_NAME``, ``n_NAME``, ``w_NAME``, event
    ``input_NAME``.  The channel must be a single-exponential one.
    """

    channel: str = "ampa"
    n: float = 100
    rate: object = _d(5 * Hz)
    weight: object = _d(1 * nS)
    name: str = None

    def validate(self, compartment):
        for ch in compartment.channels:
            if ch.name == self.channel and ch.tau_rise is None:
                return
        raise ModelError(f"EventPoissonInput needs a single-exponential channel "
                         f"{self.channel!r} in compartment '{compartment.name}'; it has "
                         f"{', '.join(ch.name for ch in compartment.channels) or 'none'}.")

    def fragment(self, comp, soma):
        key = self.name or comp
        names = {"s": f"s_{key}", "rate": f"rate_{key}", "n": f"n_{key}", "w": f"w_{key}"}
        frag = Fragment()
        _param(frag, names, "rate", self.rate, Hz, nonneg=True)
        _param(frag, names, "n", float(self.n), 1, nonneg=True)
        unit = nS if get_dimensions(self.weight) is get_dimensions(nS) else pA
        _param(frag, names, "w", self.weight, unit, nonneg=True)
        frag.equations.append("s : 1")
        frag.init["s"] = "-log(1 - rand())"
        target = f"{'g' if unit is nS else 'I'}_{self.channel}_{comp}"
        frag.events[f"input_{key}"] = ("t*n*rate >= s", f"{target} += w\ns += -log(1 - rand())")
        _rename(frag, names)
        frag.events = {k: (_sub(c, names), _sub(code, names)) for k, (c, code) in frag.events.items()}
        return frag


@dataclass(frozen=True)
class SpikeTrace:
    """Low-pass filtered spike train ``trace_NAME`` (+1 per spike, decay ``tau_NAME``).

    One trace per neuron serves every synapse of an additive all-to-all pair
    rule (Morrison, Diesmann & Gerstner 2008, Biol Cybern 98:459, Sec. 4.1).
    """

    name: str = "plus"
    tau: object = _d(16.8 * ms)

    def fragment(self, comp, soma):
        names = {"trace": f"trace_{self.name}", "tau": f"tau_{self.name}"}
        frag = Fragment()
        _param(frag, names, "tau", self.tau, ms, positive=True)
        frag.time_constants[names["tau"]] = self.tau
        frag.equations.append("dtrace/dt = -trace/tau : 1")
        frag.reset.append("trace += 1")
        _rename(frag, names)
        return frag
