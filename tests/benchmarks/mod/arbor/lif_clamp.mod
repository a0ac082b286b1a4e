COMMENT
Reset and refractory clamp of the integrate-and-fire soma (tests/benchmarks/arbor_net.py).

Arbor mechanisms cannot assign the membrane potential from an event, so the
reset of Brian2's IntegrateAndFire is a clamp: the cell's threshold detector
(V_th) fires, its POST_EVENT restarts a timer q = 1 that decays with tau_q
(exactly, by cnexp), and while q > q_off a conductance gclamp pulls the soma
to vreset.  Arbor's implicit step with gclamp >> C/dt brings v to vreset
within one step and holds it there; q_off (set by the caller from t_ref, dt
and tau_q) releases the clamp after the same number of steps as Brian2's
refractory period.
ENDCOMMENT

NEURON {
    POINT_PROCESS lif_clamp
    RANGE vreset, gclamp, tau_q, q_off
    NONSPECIFIC_CURRENT i
}

UNITS {
    (mV) = (millivolt)
    (nA) = (nanoamp)
    (uS) = (microsiemens)
}

PARAMETER {
    vreset = -65 (mV)
    gclamp = 1000 (uS)
    tau_q = 1 (ms)
    q_off = 0.1
}

STATE {
    q
}

INITIAL {
    q = 0
}

BREAKPOINT {
    SOLVE timer METHOD cnexp
    i = clamped(q)*gclamp*(v - vreset)
}

FUNCTION clamped(x) {
    clamped = 0
    if (x > q_off) {
        clamped = 1
    }
}

DERIVATIVE timer {
    q' = -q/tau_q
}

NET_RECEIVE (weight) {
}

POST_EVENT (time) {
    q = 1
}
