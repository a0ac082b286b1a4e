"""The recurrent benchmark network in Arbor (reference simulator, fixed step).

Same model as :func:`circuits.recurrent.recurrent_network`, the numba
reference ``numba_loop.py`` and the NEURON version ``neuron_net.py`` (whose
parameter and geometry helpers this module uses).  Plain floats are in
Arbor's/NEURON's units (ms, mV, um, nA, uS) unless a name says otherwise.

Cell mapping (exact)
    One unbranched cable of three cylinders (length 100 um, diameter
    100/pi um, area 10,000 um^2 each), tagged basal - soma - apical, cut into
    three CVs at the soma's ends (``cv_policy_explicit`` on the soma
    boundary), so each CV is one compartment with ``cm`` = 0.01 F/m^2
    (100 pF), ``pas`` with ``g`` = 1e-4 S/cm^2 (10 nS) and ``e`` = E_L.
    Arbor couples adjacent CVs through the cable between their midpoints: half
    the soma plus half the dendrite; the soma's ``rL`` is 1 Ohm cm (6.3 Ohm
    for its half) and each dendrite's is chosen so that the sum is
    ``1/g_soma_X`` exactly (``neuron_net.section_geometry(soma_Ra=1)``).
    Basal and apical are coupled only through the soma, as in Brian2.
LIF soma
    Arbor cannot assign the membrane potential from an event, so the reset is
    a clamp: a threshold detector at V_th on the soma, and the point
    mechanism ``mod/arbor/lif_clamp.mod`` whose POST_EVENT (the cell's spike)
    starts a timer that switches on a 1 mS conductance to V_reset; Arbor's
    implicit step brings the soma to V_reset in the step after the crossing
    (Brian2 resets within the crossing step) and holds it for the refractory
    period, 19 steps in all at t_ref = 2 ms, dt = 0.1 ms, like Brian2.  The
    crossing step thus ends above threshold (Brian2 and NEURON end it at
    V_reset), but as the implicit step couples the dendrites to the soma's
    end-of-step potential, the somatic trace from the next step on agrees
    with NEURON's to 0.015 mV, and spike times are the same (tests).
Synapses
    Poisson input: ``expsyn`` (tau 5 ms, e 0 mV) on the basal and apical CVs,
    fed by one Poisson event generator each at the superposed rate (500 and
    250 Hz), weight 2.4 nS.  Recurrent connections: Arbor connection weights
    are fixed, so every connection has its own synapse instance
    (``mod/arbor/ampa_stdp.mod``: exponential AMPA conductance, its weight,
    its presynaptic trace and a copy of the postsynaptic trace, pair STDP with
    clipping) on the basal CV; the conductances of all instances add up to
    Brian2's single ``g_ampa_basal``.  Arbor needs connection delays of at
    least two steps for dt-long epochs (an epoch is half the minimum delay),
    so the recurrent delay is 0.2 ms (Brian2: 0).
Integration
    Arbor's implicit (backward Euler) cable solver, dt = 0.1 ms, one thread,
    cells in groups of :data:`GROUP_SIZE` (Arbor's default of one cell per
    group spends most of the time in per-group overhead: 31 s instead of
    5.8 s at N = 1,000).  Like NEURON it fires about 10 % more than Brian2's
    explicit midpoint method at this dt, an excess that shrinks with dt
    (measurements in ``neuron_net.py``).

The mechanisms are compiled with ``arbor-build-catalogue`` into a temporary
directory (:func:`build_catalogue`).
"""

import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
MOD_DIR = HERE / "mod" / "arbor"
EXTRA_HINT = "pip install -e '.[benchmark]'"

__all__ = ["build_catalogue", "make_cell", "current_step", "run_benchmark", "SOMA_RA"]

SOMA_RA = 1.0          # Ohm cm: the soma's axial resistivity (its half enters the coupling)
TAU_Q = 1.0            # ms: decay of the refractory timer of lif_clamp
CLAMP_G = 1000.0       # uS
GROUP_SIZE = 1000      # cells per cell group (Arbor's default, 1, costs ~30 us per cell and step)
REC_DELAY_STEPS = 2    # recurrent delay in time steps (Arbor's minimum for dt-long epochs)

_cache = {}


def _arbor():
    try:
        import arbor
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("Arbor is not installed; it comes with the benchmark extra: "
                          f"{EXTRA_HINT} (arbor==0.12.2)") from exc
    return arbor


def _helpers():
    sys.path.insert(0, str(HERE))
    import neuron_net
    return neuron_net


# ------------------------------------------------------------------- catalogue
def _mod_hash(arbor):
    return _helpers().mod_hash(arbor.__version__, MOD_DIR)


def build_catalogue(directory=None):
    """Compile ``mod/arbor/*.mod`` into a catalogue with ``arbor-build-catalogue``.

    Parameters
    ----------
    directory : path, optional
        Where to build (a fresh compilation).  Default: a cache directory in
        the system's temporary directory keyed by the mod files and the Arbor
        version, reused if present.

    Returns
    -------
    (str, float)
        The catalogue's shared library and the compilation time (s; 0 when
        the cache was used).
    """
    arbor = _arbor()
    if directory is None:
        directory = Path(tempfile.gettempdir()) / f"dendrites-arbcat-{_mod_hash(arbor)}"
        lib = directory / "dendbench-catalogue.so"
        if lib.exists():
            return str(lib), 0.0
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    work = Path(tempfile.mkdtemp(prefix="arbcat-", dir=directory))
    exe = shutil.which("arbor-build-catalogue") or str(Path(sys.executable).parent
                                                       / "arbor-build-catalogue")
    prefix = Path(arbor.__file__).resolve().parent
    proc = subprocess.run([exe, "dendbench", str(MOD_DIR), "--prefix", str(prefix), "-q"],
                          cwd=work, capture_output=True, text=True)
    lib = work / "dendbench-catalogue.so"
    if proc.returncode != 0 or not lib.exists():
        raise RuntimeError(f"arbor-build-catalogue failed in {work}:\n{proc.stdout[-3000:]}\n"
                           f"{proc.stderr[-3000:]}")
    target = directory / "dendbench-catalogue.so"
    os.replace(lib, target)
    shutil.rmtree(work, ignore_errors=True)
    return str(target), time.perf_counter() - t0


def _catalogue(directory=None):
    arbor = _arbor()
    if "cat" not in _cache:
        lib, compile_s = build_catalogue(directory)
        _cache["cat"] = arbor.load_catalogue(lib)
        _cache["compile_s"] = compile_s
        return _cache["cat"], compile_s
    return _cache["cat"], 0.0


def _properties(cat):
    arbor = _arbor()
    props = arbor.neuron_cable_properties()
    props.catalogue.extend(cat, "")
    return props


# ------------------------------------------------------------------------ cell
def _morphology(geo):
    arbor = _arbor()
    tree = arbor.segment_tree()
    x, parent = 0.0, arbor.mnpos
    for comp, tag in (("basal", 3), ("soma", 1), ("apical", 4)):
        r, L = geo[comp]["diam"] / 2, geo[comp]["L"]
        parent = tree.append(parent, arbor.mpoint(x, 0, 0, r), arbor.mpoint(x + L, 0, 0, r), tag=tag)
        x += L
    labels = arbor.label_dict({"soma": "(tag 1)", "basal": "(tag 3)", "apical": "(tag 4)"})
    for comp in ("soma", "basal", "apical"):
        labels[f"{comp}_c"] = f'(on-components 0.5 (region "{comp}"))'
    return arbor.morphology(tree), labels


def _clamp_q_off(c, dt):
    """Timer level that releases the clamp after the Brian2 number of refractory steps."""
    steps = int((c["t_ref"] + 1e-3 * dt) / dt) - 1          # 19 held steps after the spike step
    return math.exp(-(steps - 0.5) * dt / TAU_Q)


def _globals(name, values):
    """A mechanism name with its global parameters (``name/key=value,...``)."""
    return name + "/" + ",".join(f"{k}={v!r}" for k, v in values.items())


def make_cell(c, geo, n_rec=0, stdp=True, dt=0.1, clamp=True, stim_nA=None):
    """An Arbor cable cell of the network with *n_rec* recurrent synapses."""
    arbor = _arbor()
    U = arbor.units
    morph, labels = _morphology(geo)
    d = arbor.decor()
    d.set_property(Vm=c["E_L_soma"] * U.mV)
    for comp in ("soma", "basal", "apical"):
        g = geo[comp]
        d.paint(f'"{comp}"', cm=g["cm"] * 0.01 * U.F / U.m2, rL=g["Ra"] * U.Ohm * U.cm)
        d.paint(f'"{comp}"', arbor.density(f"pas/e={g['e_pas']}", {"g": g["g_pas"]}))
    d.place('"soma_c"', arbor.threshold_detector(c["V_th"] * U.mV), "spike")
    if clamp:
        d.place('"soma_c"', arbor.synapse("lif_clamp", {
            "vreset": c["V_reset"], "gclamp": CLAMP_G, "tau_q": TAU_Q,
            "q_off": _clamp_q_off(c, dt)}), "clamp")
    for comp in ("basal", "apical"):
        d.place(f'"{comp}_c"', arbor.synapse("expsyn", {"tau": c[f"tau_ampa_{comp}"],
                                                        "e": c[f"E_ampa_{comp}"]}), f"in_{comp}")
    if n_rec:
        syn = arbor.synapse(_globals("ampa_stdp", {
            "tau": c["tau_ampa_basal"], "e": c["E_ampa_basal"], "tau_plus": c["tau_plus"],
            "tau_minus": c["tau_minus"]}), {
            "A_plus": c["A_plus"] if stdp else 0.0, "A_minus": c["A_minus"] if stdp else 0.0,
            "w_max": c["w_max"], "w0": c["w_rec"]})
        loc = "(location 0 0.16666666666666666)"        # basal midpoint
        where = loc if n_rec == 1 else "(sum " + " ".join([loc] * n_rec) + ")"
        d.place(where, syn, "rec")
    if stim_nA is not None:
        d.place('"soma_c"', arbor.i_clamp(stim_nA * U.nA))
    policy = arbor.cv_policy_explicit('(boundary (region "soma"))')
    return arbor.cable_cell(morph, d, labels, policy)


def _geometry():
    nn = _helpers()
    c = nn.model_constants()
    return c, nn.section_geometry(c, soma_Ra=SOMA_RA)


def current_step(I_soma=0.1, duration=300.0, dt=0.1):
    """A single cell of the network under a constant current into the soma.

    Parameters
    ----------
    I_soma : float
        Current (nA) from t = 0.
    duration, dt : float
        Simulated time and time step (ms).

    Returns
    -------
    dict
        ``v``: final somatic, basal and apical voltages (mV); ``spikes``:
        spike times (ms, Arbor interpolates the crossing within the step);
        ``trace``: (times, somatic voltage) at every step.
    """
    arbor = _arbor()
    U = arbor.units
    cat, _ = _catalogue()
    c, geo = _geometry()
    cell = make_cell(c, geo, stim_nA=I_soma, dt=dt)
    cv = arbor.cv_data(cell)
    if cv.num_cv != 3:
        raise AssertionError(f"expected 3 CVs, got {[cv.cables(i) for i in range(cv.num_cv)]}")
    model = arbor.single_cell_model(cell)
    model.properties = _properties(cat)
    for comp in ("soma", "basal", "apical"):
        model.probe("voltage", f'"{comp}_c"', tag=comp, frequency=1 / dt * U.kHz)
    model.run(tfinal=duration * U.ms, dt=dt * U.ms)
    final = tuple(float(tr.value[-1]) for tr in model.traces)
    soma = model.traces[0]
    return dict(v=final, spikes=list(model.spikes), trace=(list(soma.time), list(soma.value)))


# --------------------------------------------------------------------- network
def _recipe_class():
    arbor = _arbor()
    U = arbor.units

    class Recipe(arbor.recipe):
        """The benchmark network as an Arbor recipe."""

        def __init__(self, N, c, geo, in_pre, props, seed, stdp, dt):
            super().__init__()
            self.N, self.c, self.geo, self.in_pre = N, c, geo, in_pre
            self.props, self.seed, self.stdp, self.dt = props, seed, stdp, dt
            self.cells = {}                  # by number of recurrent synapses
            self.delay = REC_DELAY_STEPS * dt * U.ms
            self.target = arbor.cell_local_label("rec", arbor.selection_policy.round_robin)

        def num_cells(self):
            return self.N

        def cell_kind(self, gid):
            return arbor.cell_kind.cable

        def cell_description(self, gid):
            n = len(self.in_pre[gid])
            if n not in self.cells:
                self.cells[n] = make_cell(self.c, self.geo, n, self.stdp, self.dt)
            return self.cells[n]

        def connections_on(self, gid):
            return [arbor.connection((int(i), "spike"), self.target, 0.0, self.delay)
                    for i in self.in_pre[gid]]

        def event_generators(self, gid):
            gens = []
            for k, comp in enumerate(("basal", "apical")):
                sched = arbor.poisson_schedule(freq=self.c[f"R_{comp}"] * U.Hz, tstart=0 * U.ms,
                                               seed=(self.seed * self.N + gid) * 2 + k)
                gens.append(arbor.event_generator(f"in_{comp}", self.c[f"w_{comp}"], sched))
            return gens

        def global_properties(self, kind):
            return self.props

    return Recipe


def build_simulation(N, seed=1, stdp=True, dt=0.1, threads=1, cat_dir=None, group_size=None):
    """Build the network's Arbor simulation; ``(simulation, info dict)``."""
    arbor = _arbor()
    nn = _helpers()
    from numba_loop import connect

    t0 = time.perf_counter()
    cat, compile_s = _catalogue(cat_dir)
    c = nn.model_constants()
    geo = nn.section_geometry(c, soma_Ra=SOMA_RA)
    _, _, post_ptr, _, in_pre = connect(N, c["p_rec"], seed)
    in_lists = [in_pre[post_ptr[j]:post_ptr[j + 1]] for j in range(N)]
    recipe = _recipe_class()(N, c, geo, in_lists, _properties(cat), seed, stdp, dt)
    ctx = arbor.context(threads=threads)
    hint = arbor.partition_hint(cpu_group_size=group_size or GROUP_SIZE)
    dd = arbor.partition_load_balance(recipe, ctx, {arbor.cell_kind.cable: hint})
    sim = arbor.simulation(recipe, ctx, dd, seed=seed)
    sim.record(arbor.spike_recording.all)
    return sim, dict(build_s=time.perf_counter() - t0, compile_s=compile_s,
                     n_synapses=int(post_ptr[-1]), recipe=recipe)


def run_benchmark(N, duration=1.0, seed=1, stdp=True, dt=0.1, threads=1, repeats=1,
                  cat_dir=None):
    """Build the network once and run it *repeats* times.

    Parameters
    ----------
    N : int
        Number of neurons.
    duration : float
        Biological time (s).
    seed : int
        Seed of connectivity and input streams.
    stdp : bool
        Plastic recurrent weights.
    dt : float
        Time step (ms).
    threads : int
        Arbor threads.
    repeats : int
        Runs (``simulation.reset`` in between); the minimum ``run_s`` is
        reported.
    cat_dir : path, optional
        Compile the catalogue freshly there (default: cached build).

    Returns
    -------
    dict
        ``run_s`` (``simulation.run`` only, minimum), ``all_run_s``,
        ``run_cpu_s`` (its process CPU time, minimum),
        ``build_s`` (catalogue compilation, connectivity, recipe and
        simulation construction), ``compile_s``, ``spikes`` and
        ``mean_rate_hz`` (last run), ``n_synapses``.
    """
    arbor = _arbor()
    U = arbor.units
    sim, info = build_simulation(N, seed, stdp, dt, threads, cat_dir)
    runs, cpus = [], []
    for k in range(repeats):
        if k:
            sim.reset()
            sim.clear_samplers()
        t0, c0 = time.perf_counter(), time.process_time()
        sim.run(tfinal=duration * 1e3 * U.ms, dt=dt * U.ms)
        runs.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
        spikes = len(sim.spikes())
    return dict(run_s=min(runs), all_run_s=runs, run_cpu_s=min(cpus), build_s=info["build_s"],
                compile_s=info["compile_s"], spikes=spikes, mean_rate_hz=spikes / (N * duration),
                n_synapses=info["n_synapses"])


if __name__ == "__main__":
    sys.path.insert(0, str(HERE.parents[1]))
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    T = float(sys.argv[2]) if len(sys.argv) > 2 else 1.0
    print(run_benchmark(n, T))
