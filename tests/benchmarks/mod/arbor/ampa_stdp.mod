COMMENT
AMPA conductance synapse with additive pair STDP, one instance per recurrent
connection (tests/benchmarks/arbor_net.py).

Arbor connections carry fixed weights, so each plastic connection gets its
own synapse holding its weight w (initial value w0), its presynaptic trace
apre (tau_plus) and a copy of the postsynaptic trace apost (tau_minus).  A
presynaptic event delivers w into the exponential conductance g (tau,
reversal e) and then depresses w by A_minus*apost; a spike of the cell
(POST_EVENT) potentiates w by A_plus*apre; w is clipped to [0, w_max]
(Brian2's rule, circuits/recurrent.py).  Traces are read before their own
increments.  The conductances of all instances add up to the compartment's
AMPA conductance.  The parameters read at every time step are global (one
value for all instances, set as "ampa_stdp/tau=...,tau_minus=..."): with two
million instances per-instance copies would double the memory streamed per
step.  Those read only at events stay RANGE (modcc 0.12 generates vector code
for globals in event handlers that does not compile).
ENDCOMMENT

NEURON {
    POINT_PROCESS ampa_stdp
    GLOBAL tau, e, tau_plus, tau_minus
    RANGE A_plus, A_minus, w_max, w0
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
    w0 = 8e-5 (uS)
}

STATE {
    g (uS)
    apre
    apost
    w (uS)
}

INITIAL {
    g = 0
    apre = 0
    apost = 0
    w = w0
}

BREAKPOINT {
    SOLVE state METHOD cnexp
    i = g*(v - e)
}

DERIVATIVE state {
    g' = -g/tau
    apre' = -apre/tau_plus
    apost' = -apost/tau_minus
}

NET_RECEIVE (weight) {
    g = g + w
    w = clip(w - A_minus*apost)
    apre = apre + 1
}

POST_EVENT (time) {
    w = clip(w + A_plus*apre)
    apost = apost + 1
}

FUNCTION clip(x) {
    clip = x
    if (x < 0) {
        clip = 0
    }
    if (x > w_max) {
        clip = w_max
    }
}
