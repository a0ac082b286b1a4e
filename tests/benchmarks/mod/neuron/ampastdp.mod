COMMENT
AMPA conductance synapse with additive all-to-all pair STDP on its NetCons
(tests/benchmarks/neuron_net.py).

One instance per compartment collects every input onto that compartment's
AMPA channel (exponential conductance, tau, reversal e), like Brian2's single
g_ampa variable.  The second NetCon weight selects the kind of event:
  0  fixed input (Poisson): g += w
  1  plastic recurrent input: g += w, then w -= A_minus * post trace
     (clipped to [0, w_max]), then the NetCon's presynaptic trace += 1
  2  spike of the postsynaptic cell itself: every plastic NetCon's weight
     += A_plus * its presynaptic trace (clipped), then post trace += 1
Traces decay with tau_plus (pre) and tau_minus (post) and are kept as
(value, time of last update), decayed on demand.  Each plastic NetCon carries
its own presynaptic trace (in additive all-to-all STDP it equals the
presynaptic neuron's trace, the per-neuron form used by Brian2).  Traces are
read before the increments of the current time step (as in Brian2): a
partner's increment made at the same time t is left out.
ENDCOMMENT

NEURON {
    POINT_PROCESS AmpaStdp
    RANGE tau, e, i, g, tau_plus, tau_minus, A_plus, A_minus, w_max, trace_post, t_post
    NONSPECIFIC_CURRENT i
}

UNITS {
    (mV) = (millivolt)
    (nA) = (nanoamp)
    (uS) = (microsiemens)
}

PARAMETER {
    tau = 5 (ms)
    e = 0 (mV)
    tau_plus = 16.8 (ms)
    tau_minus = 33.7 (ms)
    A_plus = 1e-6 (uS)
    A_minus = 5.235e-7 (uS)
    w_max = 1e-4 (uS)
}

ASSIGNED {
    v (mV)
    i (nA)
    trace_post
    t_post (ms)
}

STATE {
    g (uS)
}

INITIAL {
    g = 0
    trace_post = 0
    t_post = -1e4
}

BREAKPOINT {
    SOLVE state METHOD cnexp
    i = g*(v - e)
}

DERIVATIVE state {
    g' = -g/tau
}

NET_RECEIVE (w (uS), kind, trace_pre, t_pre (ms)) {
    LOCAL x
    INITIAL {
        trace_pre = 0
        t_pre = -1e4
    }
    if (kind == 0) {
        g = g + w
    } else if (kind == 1) {
        g = g + w
        x = trace_post
        if (t_post == t) {
            x = x - 1
        }
        w = w - A_minus*x*exp((t_post - t)/tau_minus)
        if (w < 0) {
            w = 0
        }
        if (w > w_max) {
            w = w_max
        }
        trace_pre = trace_pre*exp((t_pre - t)/tau_plus) + 1
        t_pre = t
    } else {
        FOR_NETCONS(w1, kind1, tr1, tp1) {
            if (kind1 == 1) {
                x = tr1
                if (tp1 == t) {
                    x = x - 1
                }
                w1 = w1 + A_plus*x*exp((tp1 - t)/tau_plus)
                if (w1 < 0) {
                    w1 = 0
                }
                if (w1 > w_max) {
                    w1 = w_max
                }
            }
        }
        trace_post = trace_post*exp((t_post - t)/tau_minus) + 1
        t_post = t
    }
}
