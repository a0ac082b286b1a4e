"""The recurrent benchmark network in NEURON (reference simulator, fixed step).

Same model as :func:`circuits.recurrent.recurrent_network` (and the numba
reference ``numba_loop.py``): *N* three-compartment neurons
(``presets.pyramidal(3)`` with an integrate-and-fire soma), superposed Poisson
input on the basal and apical AMPA channels, recurrent excitation
(probability ``p_rec``) onto the basal AMPA channel with additive all-to-all
pair STDP, weights clipped to ``[0, w_max]``.  Plain floats in this module are
in NEURON's units (ms, mV, um, nA, uS) unless a name says otherwise.

Cell mapping (exact)
    Three sections, ``nseg = 1`` each: ``soma``, ``basal`` and ``apical``, all
    cylinders of length 100 um and diameter 100/pi um, i.e. area
    A = 10,000 um^2 = 1e-4 cm^2 (:func:`section_geometry`).  Both dendrites
    are attached (their 0 end) to the soma's single node ``soma(0.5)``, so the
    axial resistance between a dendrite's node and the soma node is that of
    half the dendrite, ``Ra (L/2) / (pi d^2/4)``; Ra is chosen per dendrite to
    make it ``1/g_soma_X`` (10 MOhm basal, 12.5 MOhm apical: Ra = 15,915 and
    19,894 Ohm cm) and there is no basal-apical coupling, as in Brian2.
    ``cm = C/A`` = 1 uF/cm^2 (100 pF), ``pas`` with ``g = g_L/A`` = 1e-4 S/cm^2
    (10 nS) and ``e = E_L``.  :func:`check_cell` verifies the areas and
    ``seg.ri()`` against the Brian2 parameters.
LIF soma
    ``mod/neuron/lifsoma.mod``: a WATCH on ``v > V_th`` (checked at the end of
    each step) emits the spike, sets ``v = V_reset`` and switches on a 1 mS
    clamp conductance to ``V_reset`` for the refractory steps (19 at
    t_ref = 2 ms, dt = 0.1 ms, as Brian2 skips the somatic update for 19
    steps after the spike step); the dendrites keep integrating.
Synapses
    ``mod/neuron/ampastdp.mod`` on ``basal(0.5)``: one exponential AMPA
    conductance per cell (tau 5 ms, E 0 mV) receiving the Poisson NetCon
    (fixed weight), the recurrent NetCons (plastic, delay 0 like Brian2's
    synapses, each with its own presynaptic trace in the NetCon's weight
    vector) and a NetCon from its own cell's spikes (potentiation of every
    incoming plastic NetCon through ``FOR_NETCONS``).  Apical: the built-in
    ``ExpSyn`` (tau 5 ms, e 0 mV).  Weights in uS.
Poisson input
    One ``NetStim`` per channel and cell (``noise = 1``, interval
    ``1/(n rate)``: 2 ms basal, 4 ms apical), each on its own Random123
    stream; events are delivered at the step boundary nearest to their time.
Integration
    ``h.secondorder = 0`` (backward Euler), CVode off, dt = 0.1 ms, one
    thread.  Brian2 integrates the model with the explicit midpoint method
    (rk2).  At dt = 0.1 ms the implicit first-order step makes the network
    fire more (N = 1,000, 1 s, seeds 1 and 2: NEURON +10.7 and +9.1 %, Arbor
    +11.9 and +5.6 % over the rk2 numba reference); the excess shrinks with
    the step (dt = 0.025 ms: +5.2/+5.0 % and +6.6/+1.8 %; dt = 0.01 ms:
    +4.3/+3.9 % and +5.9/+0.4 %) while the rk2 rate hardly moves (5.03/5.08,
    4.97/5.00, 4.95/5.00 Hz), down to the spread between different input
    realisations (NEURON and Arbor, same integrator, differ by up to 4 %).

The connectivity is the numba reference's (``numba_loop.connect``: the same
statistics as Brian2's ``sample(N, p=p_rec)``), with the same seed.  The
mechanisms are compiled by ``nrnivmodl`` into a temporary directory
(:func:`compile_mechanisms`).
"""

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
MOD_DIR = HERE / "mod" / "neuron"
EXTRA_HINT = "pip install -e '.[benchmark]'"

__all__ = ["model_constants", "section_geometry", "compile_mechanisms", "load_mechanisms",
           "build_network", "check_cell", "current_step", "run_benchmark"]

#: Section length (um) of every section; diameters follow from the area.
SECTION_L = 100.0
COMPS = ("soma", "basal", "apical")

_loaded = {}


def _neuron():
    try:
        from neuron import h
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("NEURON is not installed; it comes with the benchmark extra: "
                          f"{EXTRA_HINT} (neuron==9.0.2)") from exc
    return h


def model_constants(params=None):
    """The network's parameters as plain floats in NEURON units.

    Parameters
    ----------
    params : dict, optional
        Overrides of :data:`circuits.recurrent.DEFAULTS` (Brian2 quantities).

    Returns
    -------
    dict
        Per compartment ``C_X`` (pF), ``g_L_X`` (nS), ``E_L_X`` (mV),
        ``tau_ampa_X`` (ms), ``E_ampa_X`` (mV); ``g_soma_basal``,
        ``g_soma_apical`` (nS); ``V_th``, ``V_reset`` (mV), ``t_ref`` (ms);
        input rates ``R_basal``, ``R_apical`` (Hz, superposed), weights
        ``w_basal``, ``w_apical``, ``w_rec``, ``A_plus``, ``A_minus``,
        ``w_max`` (uS), ``tau_plus``, ``tau_minus`` (ms), ``p_rec``.
    """
    from brian2 import Hz, mV, ms, nS, pF, uS

    from circuits.recurrent import DEFAULTS, benchmark_model

    p = dict(DEFAULTS, **(params or {}))
    m = benchmark_model(p["V_th"], p["V_reset"], p["t_ref"]).parameters()
    c = {}
    for comp in COMPS:
        c[f"C_{comp}"] = float(m[f"C_{comp}"] / pF)
        c[f"g_L_{comp}"] = float(m[f"g_L_{comp}"] / nS)
        c[f"E_L_{comp}"] = float(m[f"E_L_{comp}"] / mV)
        c[f"tau_ampa_{comp}"] = float(m[f"tau_ampa_{comp}"] / ms)
        c[f"E_ampa_{comp}"] = float(m[f"E_ampa_{comp}"] / mV)
    c["g_soma_basal"] = float(m["g_soma_basal"] / nS)
    c["g_soma_apical"] = float(m["g_soma_apical"] / nS)
    c["V_th"], c["V_reset"] = float(m["V_th"] / mV), float(m["V_reset"] / mV)
    c["t_ref"] = float(m["t_ref"] / ms)
    c["R_basal"] = p["n_basal_inputs"] * float(p["input_rate"] / Hz)
    c["R_apical"] = p["n_apical_inputs"] * float(p["input_rate"] / Hz)
    for key in ("w_basal", "w_apical", "w_rec", "A_plus", "A_minus", "w_max"):
        c[key] = float(p[key] / uS)
    c["tau_plus"], c["tau_minus"] = float(p["tau_plus"] / ms), float(p["tau_minus"] / ms)
    c["p_rec"] = float(p["p_rec"])
    return c


def section_geometry(c, soma_Ra=None):
    """Cylinders reproducing Brian2's compartments; see the module docstring.

    Every section has length :data:`SECTION_L` and the diameter giving the
    area ``A`` with ``cm = 1 uF/cm^2``: ``A = C/cm``.  ``g_pas = g_L/A``.
    A dendrite's ``Ra`` makes the resistance of its half (its node to its 0
    end) equal ``1/g_soma_X - r_soma``, where ``r_soma`` is the resistance of
    half the soma with ``soma_Ra`` (Arbor couples CV midpoints through both
    halves; in NEURON the dendrites sit on the soma node and ``soma_Ra`` is
    left at None: ``r_soma = 0``).

    Returns
    -------
    dict
        Per compartment: ``L``, ``diam`` (um), ``cm`` (uF/cm^2), ``g_pas``
        (S/cm^2), ``e_pas`` (mV), ``Ra`` (Ohm cm).
    """
    import math

    cm = 1.0                                           # uF/cm^2
    L = SECTION_L
    geo = {}
    for comp in COMPS:
        area_cm2 = c[f"C_{comp}"] * 1e-12 / (cm * 1e-6)
        area_um2 = area_cm2 * 1e8
        geo[comp] = dict(L=L, diam=area_um2 / (math.pi * L), cm=cm,
                         g_pas=c[f"g_L_{comp}"] * 1e-9 / area_cm2, e_pas=c[f"E_L_{comp}"])

    def half_resistance(comp, Ra):                     # Ohm
        d = geo[comp]["diam"] * 1e-4
        return Ra * (L / 2 * 1e-4) / (math.pi * d * d / 4)

    r_soma = 0.0 if soma_Ra is None else half_resistance("soma", soma_Ra)
    geo["soma"]["Ra"] = 100.0 if soma_Ra is None else soma_Ra
    for comp in ("basal", "apical"):
        target = 1.0 / (c[f"g_soma_{comp}"] * 1e-9) - r_soma
        geo[comp]["Ra"] = target / half_resistance(comp, 1.0)
    return geo


# ----------------------------------------------------------------- mechanisms
def mod_hash(version, mod_dir):
    """Cache key of compiled mechanisms: the simulator's version and every ``.mod`` file."""
    digest = hashlib.sha1(str(version).encode())
    for f in sorted(Path(mod_dir).glob("*.mod")):
        digest.update(f.name.encode() + f.read_bytes())
    return digest.hexdigest()[:12]


def _mod_hash():
    import neuron

    return mod_hash(neuron.__version__, MOD_DIR)


def compile_mechanisms(directory=None):
    """Compile ``mod/neuron/*.mod`` with ``nrnivmodl``.

    Parameters
    ----------
    directory : path, optional
        Where to build (a fresh compilation).  Default: a cache directory in
        the system's temporary directory keyed by the mod files and the NEURON
        version, reused if present.

    Returns
    -------
    (str, float)
        The ``libnrnmech`` shared library and the compilation time (s; 0 when
        the cache was used).
    """
    _neuron()
    if directory is None:
        directory = Path(tempfile.gettempdir()) / f"dendrites-nrnmech-{_mod_hash()}"
        lib = _find_lib(directory)
        if lib:
            return lib, 0.0
    directory = Path(directory)
    t0 = time.perf_counter()
    work = Path(tempfile.mkdtemp(prefix="nrnivmodl-", dir=directory.parent
                                 if directory.parent.exists() else None))
    for f in MOD_DIR.glob("*.mod"):
        shutil.copy(f, work)
    exe = shutil.which("nrnivmodl") or str(Path(sys.executable).parent / "nrnivmodl")
    proc = subprocess.run([exe], cwd=work, capture_output=True, text=True)
    if proc.returncode != 0 or not _find_lib(work):
        raise RuntimeError(f"nrnivmodl failed in {work}:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    if directory.exists():
        shutil.rmtree(directory, ignore_errors=True)
    try:
        os.replace(work, directory)
    except OSError:                                    # another process won the race
        directory = work
    return _find_lib(directory), time.perf_counter() - t0


def _find_lib(directory):
    for pattern in ("*/libnrnmech.so", "*/.libs/libnrnmech.so", "*/libnrnmech.dylib"):
        hits = sorted(Path(directory).glob(pattern))
        if hits:
            return str(hits[0])
    return None


def load_mechanisms(directory=None):
    """Compile (or reuse) and load the mechanisms once per process; compile time (s)."""
    h = _neuron()
    if "lib" in _loaded:
        return 0.0
    if hasattr(h, "LifSoma"):                          # loaded by someone else
        _loaded["lib"] = None
        return 0.0
    lib, compile_s = compile_mechanisms(directory)
    h.nrn_load_dll(lib)
    _loaded["lib"] = lib
    return compile_s


# ---------------------------------------------------------------------- cells
class _Cell:
    """One three-section cell with its LIF soma and synapses."""

    def __init__(self, h, gid, c, geo):
        self.soma = h.Section(name=f"soma_{gid}")
        self.basal = h.Section(name=f"basal_{gid}")
        self.apical = h.Section(name=f"apical_{gid}")
        for comp in COMPS:
            sec, g = getattr(self, comp), geo[comp]
            sec.nseg, sec.L, sec.diam, sec.cm, sec.Ra = 1, g["L"], g["diam"], g["cm"], g["Ra"]
            sec.insert("pas")
            sec.g_pas, sec.e_pas = g["g_pas"], g["e_pas"]
        self.basal.connect(self.soma(0.5), 0)
        self.apical.connect(self.soma(0.5), 0)
        self.lif = h.LifSoma(self.soma(0.5))
        self.lif.vth, self.lif.vreset, self.lif.tref = c["V_th"], c["V_reset"], c["t_ref"]
        self.syn_basal = h.AmpaStdp(self.basal(0.5))
        s = self.syn_basal
        s.tau, s.e = c["tau_ampa_basal"], c["E_ampa_basal"]
        s.tau_plus, s.tau_minus = c["tau_plus"], c["tau_minus"]
        s.A_plus, s.A_minus, s.w_max = c["A_plus"], c["A_minus"], c["w_max"]
        self.syn_apical = h.ExpSyn(self.apical(0.5))
        self.syn_apical.tau, self.syn_apical.e = c["tau_ampa_apical"], c["E_ampa_apical"]


def check_cell(cell, c, rtol=1e-9):
    """Assert that a cell's sections reproduce the Brian2 compartment parameters."""
    import math

    for comp in COMPS:
        seg = getattr(cell, comp)(0.5)
        area_cm2 = seg.area() * 1e-8
        C = getattr(cell, comp).cm * 1e-6 * area_cm2 * 1e12           # pF
        gL = seg.g_pas * area_cm2 * 1e9                               # nS
        for got, want, what in ((C, c[f"C_{comp}"], "C"), (gL, c[f"g_L_{comp}"], "g_L")):
            if not math.isclose(got, want, rel_tol=rtol):
                raise AssertionError(f"{what}_{comp}: NEURON {got}, Brian2 {want}")
    for comp in ("basal", "apical"):
        g = 1e3 / getattr(cell, comp)(0.5).ri()                       # ri in MOhm -> nS
        if not math.isclose(g, c[f"g_soma_{comp}"], rel_tol=rtol):
            raise AssertionError(f"g_soma_{comp}: NEURON {g}, Brian2 {c[f'g_soma_{comp}']}")


def _setup_integrator(h, dt):
    h.load_file("stdrun.hoc")
    h.CVode().active(0)
    h.secondorder = 0
    h.dt = dt
    h.steps_per_ms = 1.0 / dt


class Network:
    """A built NEURON network (keeps every object alive)."""

    def __init__(self, cells, stims, netcons, c, n_syn):
        self.cells, self.stims, self.netcons, self.c, self.n_syn = cells, stims, netcons, c, n_syn

    @property
    def spike_counts(self):
        return [int(cell.lif.nspike) for cell in self.cells]

    def weights(self):
        """Current weights (uS) of the recurrent NetCons."""
        return [nc.weight[0] for nc in self.netcons if nc.wcnt() == 4 and nc.weight[1] == 1]


def build_network(N, seed=1, params=None, stdp=True, dt=0.1):
    """Build the recurrent network (mechanisms must be loaded); a :class:`Network`."""
    h = _neuron()
    sys.path.insert(0, str(HERE))
    from numba_loop import connect

    _setup_integrator(h, dt)
    c = model_constants(params)
    geo = section_geometry(c)
    cells = [_Cell(h, i, c, geo) for i in range(N)]
    check_cell(cells[0], c)
    stims, netcons = [], []
    for i, cell in enumerate(cells):
        for k, (comp, target) in enumerate((("basal", cell.syn_basal), ("apical", cell.syn_apical))):
            ns = h.NetStim()
            ns.interval, ns.number, ns.start, ns.noise = 1e3 / c[f"R_{comp}"], 1e9, 0, 1
            ns.ranvar.set_ids(seed, i, k)
            nc = h.NetCon(ns, target)
            nc.delay = 0
            nc.weight[0] = c[f"w_{comp}"]
            stims.append(ns)
            netcons.append(nc)
        if stdp:                                        # the cell's own spikes: potentiation
            nc = h.NetCon(cell.lif, cell.syn_basal)
            nc.delay, nc.weight[0], nc.weight[1] = 0, 0.0, 2
            netcons.append(nc)
    pre_ptr, post, _, _, _ = connect(N, c["p_rec"], seed)
    kind = 1 if stdp else 0
    for i in range(N):
        src = cells[i].lif
        for s in range(pre_ptr[i], pre_ptr[i + 1]):
            nc = h.NetCon(src, cells[int(post[s])].syn_basal)
            nc.delay = 0
            nc.weight[0], nc.weight[1], nc.weight[3] = c["w_rec"], kind, -1e4
            netcons.append(nc)
    return Network(cells, stims, netcons, c, len(post))


def run(net, duration_ms, v_init=None):
    """Initialise and integrate *net* for *duration_ms*; the integration time (s).

    Recurrent weights are reset to ``w_rec`` first (``finitialize`` resets the
    traces, not NetCon weights).  ``ParallelContext.psolve`` refuses NetCon
    delays below dt, and the recurrent NetCons have Brian2's zero delay, so the
    standard run loop (``continuerun``: ``fadvance`` steps) integrates instead.
    """
    h = _neuron()
    for nc in net.netcons:
        if nc.wcnt() == 4 and nc.weight[1] == 1:
            nc.weight[0] = net.c["w_rec"]
    h.finitialize(net.c["E_L_soma"] if v_init is None else v_init)
    t0, c0 = time.perf_counter(), time.process_time()
    h.continuerun(duration_ms)
    net.last_cpu_s = time.process_time() - c0
    return time.perf_counter() - t0


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
        spike times (ms).
    """
    h = _neuron()
    load_mechanisms()
    _setup_integrator(h, dt)
    c = model_constants()
    cell = _Cell(h, 0, c, section_geometry(c))
    check_cell(cell, c)
    stim = h.IClamp(cell.soma(0.5))
    stim.delay, stim.dur, stim.amp = 0, 1e9, I_soma
    times = h.Vector()
    nc = h.NetCon(cell.lif, None)
    nc.record(times)
    h.finitialize(c["E_L_soma"])
    h.continuerun(duration)
    return dict(v=tuple(getattr(cell, comp)(0.5).v for comp in COMPS), spikes=list(times))


def run_benchmark(N, duration=1.0, seed=1, params=None, stdp=True, repeats=1, mech_dir=None,
                  dt=0.1):
    """Build the network once and run it *repeats* times.

    Parameters
    ----------
    N : int
        Number of neurons.
    duration : float
        Biological time (s).
    seed : int
        Seed of connectivity and input streams.
    params : dict, optional
        Overrides of :data:`circuits.recurrent.DEFAULTS`.
    stdp : bool
        Plastic recurrent weights.
    repeats : int
        Runs of the same network (weights reset before each); the minimum
        ``run_s`` is reported.
    mech_dir : path, optional
        Compile the mechanisms freshly there (default: cached build).
    dt : float
        Time step (ms).

    Returns
    -------
    dict
        ``run_s`` (the integration loop only, minimum over the runs),
        ``all_run_s``, ``run_cpu_s`` (its process CPU time, minimum), ``build_s`` (mechanism compilation and network
        construction), ``compile_s``, ``spikes`` and ``mean_rate_hz`` (last
        run), ``n_synapses``, ``mean_weight_us`` (recurrent, at the end).
    """
    t0 = time.perf_counter()
    compile_s = load_mechanisms(mech_dir)
    net = build_network(N, seed=seed, params=params, stdp=stdp, dt=dt)
    build_s = time.perf_counter() - t0
    runs, cpus = [], []
    for _ in range(repeats):
        runs.append(run(net, duration * 1e3))
        cpus.append(net.last_cpu_s)
    spikes = sum(net.spike_counts)
    w = net.weights()
    return dict(run_s=min(runs), all_run_s=runs, run_cpu_s=min(cpus), build_s=build_s,
                compile_s=compile_s,
                spikes=spikes, mean_rate_hz=spikes / (N * duration), n_synapses=net.n_syn,
                mean_weight_us=sum(w) / len(w) if w else None)


if __name__ == "__main__":
    sys.path.insert(0, str(HERE.parents[1]))
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    T = float(sys.argv[2]) if len(sys.argv) > 2 else 1.0
    print(run_benchmark(n, T))
