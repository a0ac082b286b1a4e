COMMENT
Integrate-and-fire soma for the recurrent benchmark network (tests/benchmarks/neuron_net.py).

Brian2's IntegrateAndFire (threshold "v > V_th", reset "v = V_reset", soma
held while refractory): a WATCH on the membrane potential of the section it
sits in (checked at the end of every fixed time step), on crossing emits a
spike (net_event), sets v to vreset at once and switches on a clamp
conductance gclamp towards vreset that holds the soma there while the neuron
is refractory.  Brian2 skips the somatic state update for the 19 steps after
the spike step at t_ref = 2 ms, dt = 0.1 ms, so the clamp is released by a
self-event at tref - dt (delivered before the 20th step).  The dendrites keep
integrating against the clamped soma, as in Brian2.  nspike counts spikes.
ENDCOMMENT

NEURON {
    POINT_PROCESS LifSoma
    RANGE vth, vreset, tref, gclamp, refractory, nspike, i
    NONSPECIFIC_CURRENT i
}

UNITS {
    (mV) = (millivolt)
    (nA) = (nanoamp)
    (uS) = (microsiemens)
}

PARAMETER {
    vth = -50 (mV)
    vreset = -65 (mV)
    tref = 2 (ms)
    gclamp = 1000 (uS)
}

ASSIGNED {
    v (mV)
    i (nA)
    refractory
    nspike
}

INITIAL {
    refractory = 0
    nspike = 0
    net_send(0, 1)
}

BREAKPOINT {
    i = refractory*gclamp*(v - vreset)
}

NET_RECEIVE (w) {
    if (flag == 1) {
        WATCH (v > vth) 2
    } else if (flag == 2) {
        if (refractory == 0) {
            net_event(t)
            nspike = nspike + 1
            v = vreset
            refractory = 1
            net_send(tref - dt, 3)
        }
    } else if (flag == 3) {
        refractory = 0
    }
}
