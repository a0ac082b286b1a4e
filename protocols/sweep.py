"""Parameter sweeps on Dask distributed, resumable point by point.

``python -m protocols sweep NAME [--grid KEY=V1,V2,...]... --seeds K [--workers W]
[--scheduler ADDRESS] --out DIR``

Every (grid point, seed) is one Dask task.  The worker that runs it stores
the point as a normal run directory ``DIR/points/<point>`` (atomically, see
:func:`protocols.results.write_run`) as soon as it finishes; a point whose
directory already holds a finished run with the same parameters is skipped.
An interrupted sweep (Ctrl-C, a killed worker or client, a crash) therefore
resumes with nothing lost and nothing run twice.  At the end ``DIR/sweep.csv``
has one row per point (grid values, seed, every scalar metric) and
``DIR/sweep.json`` the grid, seeds, points, failures and provenance.

Without ``--scheduler`` a ``LocalCluster`` of ``W`` worker processes (one
thread each) runs on this machine; with ``W = 1`` (or a one-CPU machine and no
``--workers``) the points run one after another in this process, with no
cluster to start (same tasks, same storage and resume).  With ``--scheduler
tcp://host:port`` an existing cluster is used; its workers must see ``DIR`` (a
shared file system) and have this package installed.

Each worker process compiles into its own Cython cache and standalone build
directory (``DENDRITES_CACHE`` or ``~/.cache/dendrites``, then
``sweep-workers/<worker name>``), so processes never race on one cache.

Compile once, re-run with ``run_args``: on ``cpp_standalone``, a protocol
registered with :func:`protocols.registry.compiled_protocol` has its points
grouped by model variant (equal values of every parameter outside its
``run_params``).  One task builds and compiles a variant once and then runs
the binary for each of its points with that point's ``run_args`` and seed
(:meth:`protocols.backend.Backend.rerun`: no code generation, no
compilation), storing each point as soon as it finishes.  A variant is split
over several tasks only when there are fewer variants than workers (then it
is compiled once on each worker that runs a share of its points).  Each
point's ``summary.json`` records under ``build`` the variant, whether this
point paid the compilation, the compile time and the binary's run time.  Other
protocols (and other backends) run one task per point; a worker's standalone
project is re-used from point to point there, Brian2 rewriting only the
generated files whose content changed and ``make`` recompiling only those.
"""

import csv
import hashlib
import io
import itertools
import json
import os
import re
import sys
import time
from pathlib import Path

from dendrites.errors import ModelError

from .backend import DEFAULT_BACKEND, Backend
from .progress import Progress
from .registry import (RunContext, get_protocol, make_summary, parse_assignment,
                       resolve_params, variant_key)
from .results import to_jsonable, versions, write_run

__all__ = ["parse_grid", "plan", "run_sweep", "point_name", "run_variant", "Progress"]

SCHEDULER_TIMEOUT_S = 5


# --------------------------------------------------------------------------- grid
def parse_grid(proto, items):
    """``['KEY=V1,V2', ...]`` -> ``{KEY: [values]}`` checked against *proto*'s parameters."""
    grid = {}
    for item in items:
        if not isinstance(item, str) or "=" not in item:
            raise ModelError(f"Malformed --grid {item!r}: expected KEY=V1,V2,... e.g. "
                             "'g_A=0.4*nS,0.8*nS'.")
        key, _, rest = item.partition("=")
        key = key.strip()
        texts = [t.strip() for t in rest.split(",")]
        if not key or not rest.strip() or any(not t for t in texts):
            raise ModelError(f"Malformed --grid {item!r}: expected KEY=V1,V2,... with no empty "
                             "values.")
        if key == "seed":
            raise ModelError("--grid seed=... is not a grid key: use --seeds K (seeds 1..K).")
        if key in grid:
            raise ModelError(f"--grid {key} is given twice; give all its values in one --grid.")
        values = [resolve_params(proto, dict([parse_assignment(f"{key}={t}")]))[key]
                  for t in texts]
        if len({json.dumps(to_jsonable(v)) for v in values}) != len(values):
            raise ModelError(f"--grid {item!r} repeats a value.")
        grid[key] = values
    return grid


def _slug(value):
    text = json.dumps(to_jsonable(value)).strip('"')
    text = re.sub(r"[^A-Za-z0-9.+\-]", "", text.replace(" ", ""))
    return text or "x"


def point_name(overrides, seed):
    """Directory name of a point: ``key-value__...__seed-S`` (file-system safe)."""
    parts = [f"{k}-{_slug(v)}" for k, v in overrides.items()]
    return "__".join(parts + [f"seed-{seed}"])


def plan(grid, seeds):
    """Every (overrides, seed, name) of the sweep, grid values in the given order."""
    keys = list(grid)
    points = []
    for combo in itertools.product(*(grid[k] for k in keys)):
        overrides = dict(zip(keys, combo))
        for seed in seeds:
            points.append((overrides, seed, point_name(overrides, seed)))
    names = [n for _, _, n in points]
    if len(set(names)) != len(names):
        raise ModelError("Two grid points map to the same directory name; use values that "
                         "differ in more than punctuation.")
    return points


# --------------------------------------------------------------------------- workers
def _worker_dirs():
    """Cython cache and standalone build directory of this worker process."""
    dist = sys.modules.get("distributed")   # a Dask worker has imported it; importing it
    try:                                     # here would cost ~1 s outside one
        name = str(dist.get_worker().name) if dist is not None else f"pid{os.getpid()}"
    except ValueError:
        name = f"pid{os.getpid()}"
    name = re.sub(r"[^A-Za-z0-9.\-]", "_", name)
    root = Path(os.environ.get("DENDRITES_CACHE", Path.home() / ".cache" / "dendrites"))
    base = root / "sweep-workers" / name
    return base / "cython", base / "standalone"


def run_point(name, out, seed, overrides, quick, backend, in_process=False):
    """Run one point on a worker and store it in *out*; returns ``(status, info)``.

    *in_process*: run in the calling process (a one-worker sweep without a
    cluster): keep its Cython cache instead of the worker's own.
    """
    import warnings

    from .registry import run

    cython_dir, build_dir = _worker_dirs()
    if not in_process:
        _quiet_brian(cython_dir)
    t0 = time.perf_counter()
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", category=DeprecationWarning)
            summary, _ = run(name, out, seed=seed, backend=backend, overrides=overrides,
                             quick=quick, build_dir=str(build_dir) if backend.endswith(
                                 "standalone") else None)
    except ModelError as err:
        return "failed", f"{err}"
    except Exception as err:  # a crash of one point must not end the sweep
        return "failed", f"{type(err).__name__}: {err}"
    return "done", dict(wall_time_s=time.perf_counter() - t0)


def _quiet_brian(cython_dir):
    import brian2

    cython_dir.mkdir(parents=True, exist_ok=True)
    brian2.prefs.codegen.runtime.cython.cache_dir = str(cython_dir)
    brian2.prefs.logging.console_log_level = "WARNING"
    brian2.BrianLogger.log_level_warn()


def run_variant(name, out, items, quick, backend, variant, in_process=False,
                on_point=None):
    """Build one model variant once and run each of its points on the compiled binary.

    *items* are ``(overrides, seed, point name)`` that share every parameter
    outside the protocol's ``run_params``; each finished point is stored at
    once under *out*.  Returns ``{point name: (status, info)}``.  *in_process*
    as in :func:`run_point`; ``on_point(status)`` is called after each point.
    """
    import warnings

    proto = get_protocol(name)
    cython_dir, build_root = _worker_dirs()
    if not in_process:
        _quiet_brian(cython_dir)
    out, status = Path(out), {}
    # a retried task (its worker died) keeps what the first attempt stored
    for _, _, pname in items:
        if (out / pname / "summary.json").exists():
            status[pname] = ("done", dict(stored_before=True))
    items = [it for it in items if it[2] not in status]
    if not items:
        return status
    first = resolve_params(proto, items[0][0], quick)
    ctx = RunContext(int(items[0][1]), backend, build_root / f"variant-{variant}", quick)
    t0 = time.perf_counter()
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", category=DeprecationWarning)
            with ctx.backend_scope(dt=first.get("dt")) as be:
                model = proto.build(first, be)
                model.simulate(be)
                compile_s = be.compile()
                build_s = time.perf_counter() - t0
                for k, (overrides, seed, pname) in enumerate(items):
                    t1 = time.perf_counter()
                    try:
                        p = resolve_params(proto, overrides, quick)
                        t_bin = time.perf_counter()
                        run_s = be.rerun(model.run_args(p), seed=seed)
                        process_s = time.perf_counter() - t_bin
                        metrics, arrays = model.collect(p)
                    except Exception as err:  # one bad point must not end the variant
                        status[pname] = ("failed", f"{type(err).__name__}: {err}")
                        if on_point is not None:
                            on_point("failed")
                        continue
                    wall = time.perf_counter() - t1 + (build_s if k == 0 else 0.0)
                    summary = make_summary(proto, p, quick, seed, backend, wall, metrics)
                    summary["build"] = dict(variant=variant, compiled=k == 0,
                                            build_s=build_s if k == 0 else 0.0,
                                            compile_s=compile_s if k == 0 else 0.0,
                                            run_s=run_s, process_s=process_s,
                                            run_args=sorted(proto.run_params))
                    write_run(out / pname, summary, arrays)
                    status[pname] = ("done", dict(wall_time_s=wall))
                    if on_point is not None:
                        on_point("done")
    except Exception as err:  # the build failed: every point not yet run fails with it
        text = f"{err}" if isinstance(err, ModelError) else f"{type(err).__name__}: {err}"
        for _, _, pname in items:
            status.setdefault(pname, ("failed", text))
    return status


def _variant_tasks(proto, todo, quick, workers):
    """Group *todo* by model variant; split a variant only if workers would idle."""
    groups = {}
    for item in todo:
        key = variant_key(proto, resolve_params(proto, item[0], quick))
        groups.setdefault(key, []).append(item)
    split = max(1, workers // max(len(groups), 1))
    tasks = []
    for key, items in groups.items():
        variant = hashlib.sha1(key.encode()).hexdigest()[:12]
        n = min(split, len(items))
        for c in range(n):
            tasks.append((variant, items[c::n]))
    return tasks


# --------------------------------------------------------------------------- driver
def _stored(path, params, quick, backend):
    """True if *path* holds a finished run with these parameters; error if it disagrees."""
    if not (path / "summary.json").exists():
        return False
    old = _summary(path)
    same = (json.dumps(to_jsonable(old["params"]), sort_keys=True)
            == json.dumps(to_jsonable(dict(params)), sort_keys=True)
            and old.get("quick") == quick and old.get("backend") == backend)
    if not same:
        raise ModelError(f"Sweep point '{path}' holds a run with other parameters, quick "
                         f"setting or backend than this sweep asks for; use a new --out or "
                         "remove it.")
    return True


def _summary(path):
    """A stored point's summary.json only (its arrays are not needed here)."""
    return json.loads((path / "summary.json").read_text())


def _flat_scalars(metrics, prefix=""):
    out = {}
    for key, value in metrics.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flat_scalars(value, name + "."))
        elif isinstance(value, bool) or value is None or isinstance(value, (int, float, str)):
            out[name] = value
    return out


def _atomic_text(path, text):
    part = path.with_name(f".{path.name}.part-{os.getpid()}")
    part.write_text(text)
    os.replace(part, path)


def _client(scheduler, workers):
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise ModelError("Sweeps need Dask distributed: pip install 'dendrites[sweep]' "
                         "(dask[distributed]).") from None
    import logging

    if scheduler is not None:
        try:
            return Client(scheduler, timeout=SCHEDULER_TIMEOUT_S), None
        except (OSError, TimeoutError) as err:
            raise ModelError(f"Cannot reach the Dask scheduler at '--scheduler {scheduler}' "
                             f"within {SCHEDULER_TIMEOUT_S} s ({type(err).__name__}). Start one "
                             "with 'dask scheduler' or leave --scheduler out to use local "
                             "worker processes.") from None
    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                           dashboard_address=None, silence_logs=logging.ERROR)
    return Client(cluster), cluster


def run_sweep(name, out, grid_items=(), seeds=1, workers=None, scheduler=None, quick=False,
              backend=DEFAULT_BACKEND, stream=None):
    """Run a sweep; returns the content of ``sweep.json`` (a dict).

    Parameters
    ----------
    name : str
        Protocol name.
    out : str or Path
        Sweep directory (points under ``points/``, then ``sweep.csv``, ``sweep.json``).
    grid_items : list of str
        ``KEY=V1,V2,...`` (empty: seeds alone make the sweep).
    seeds : int
        Seeds ``1..seeds`` for every grid point.
    workers : int, optional
        Local worker processes (default: CPU count); ignored with *scheduler*.
    scheduler : str, optional
        Address of an existing Dask scheduler.
    """
    proto = get_protocol(name)
    if not isinstance(seeds, int) or isinstance(seeds, bool) or seeds < 1:
        raise ModelError(f"Parameter '--seeds' = {seeds!r} must be an integer >= 1.")
    if workers is not None and (not isinstance(workers, int) or workers < 1):
        raise ModelError(f"Parameter '--workers' = {workers!r} must be an integer >= 1.")
    Backend(backend)                                   # validates the name
    if scheduler is not None and not re.match(r"^(tcp|tls|inproc|ucx|ws|wss)://[^\s]+$",
                                              str(scheduler)):
        raise ModelError(f"Parameter '--scheduler' = {scheduler!r} must be an address like "
                         "tcp://127.0.0.1:8786.")
    grid = parse_grid(proto, list(grid_items))
    points = plan(grid, list(range(1, seeds + 1)))
    out = Path(out)
    meta_path = out / "sweep.json"
    if out.exists() and not meta_path.exists() and any(out.iterdir()) and not (
            out / "points").is_dir():
        raise ModelError(f"Output directory '--out {out}' exists and is not a sweep directory; "
                         "choose a new one.")
    if meta_path.exists():
        previous = json.loads(meta_path.read_text()).get("protocol")
        if previous != name:
            raise ModelError(f"'--out {out}' holds a sweep of protocol '{previous}', not "
                             f"'{name}'; choose a new directory.")
    todo, skipped = [], []
    for overrides, seed, pname in points:
        params = resolve_params(proto, overrides, quick)
        path = out / "points" / pname
        (skipped if _stored(path, params, quick, backend) else todo).append(
            (overrides, seed, pname))
    failures = {}
    t0 = time.perf_counter()
    in_process = scheduler is None and (workers or os.cpu_count() or 1) == 1
    compiled = backend == "cpp_standalone" and proto.build is not None
    client = cluster = None
    if todo and not in_process:
        client, cluster = _client(scheduler, workers or os.cpu_count() or 1)
    (out / "points").mkdir(parents=True, exist_ok=True)
    progress = Progress(len(points), stream=stream)
    progress.update(skipped=len(skipped))
    try:
        if not todo:
            pass
        elif in_process:
            _run_in_process(name, out, todo, quick, backend, compiled, proto, progress, failures)
        elif compiled:
            n_workers = len(client.scheduler_info()["workers"]) or 1
            tasks = _variant_tasks(proto, todo, quick, n_workers)
            futures = {}
            for k, (variant, items) in enumerate(tasks):
                fut = client.submit(run_variant, name, str(out / "points"), items, quick,
                                    backend, variant, key=f"{name}-{variant}-{k}-{os.getpid()}",
                                    pure=False, retries=1)
                futures[fut] = [pname for _, _, pname in items]
            _collect_variants(futures, out, progress, failures)
        else:
            from distributed import as_completed

            futures = {}
            for overrides, seed, pname in todo:
                fut = client.submit(run_point, name, str(out / "points" / pname), seed,
                                    overrides, quick, backend, key=f"{name}-{pname}-{os.getpid()}",
                                    pure=False, retries=1)
                futures[fut] = pname
            for fut in as_completed(futures):
                pname = futures[fut]
                try:
                    status, info = fut.result()
                except Exception as err:            # the worker died twice under this point
                    status, info = "failed", f"{type(err).__name__}: {err}"
                if status == "done":
                    progress.update(done=1)
                else:
                    failures[pname] = info
                    progress.update(failed=1)
    finally:
        progress.close()
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()
    return _write_index(out, name, proto, grid, seeds, points, failures, quick, backend,
                        scheduler, workers, time.perf_counter() - t0, len(skipped))


def _run_in_process(name, out, todo, quick, backend, compiled, proto, progress, failures):
    """A one-worker local sweep: run the tasks here, in order, with no cluster to start.

    The points, their storage and the resume logic are those of the Dask path
    (the same :func:`run_variant` / :func:`run_point`); what is saved is the
    cluster's start (2-4 s, a fifth of a 20-point sweep at N = 1,000).  Brian2's
    console logging is lowered to warnings for the sweep and restored after it.
    """
    import brian2

    handler = brian2.BrianLogger.console_handler
    level = handler.level
    brian2.BrianLogger.log_level_warn()
    try:
        if compiled:
            for variant, items in _variant_tasks(proto, todo, quick, 1):
                status = run_variant(name, str(out / "points"), items, quick, backend, variant,
                                     in_process=True,
                                     on_point=lambda state: progress.update(**{state: 1}))
                for pname, (state, info) in status.items():
                    if state != "done":
                        failures[pname] = info
        else:
            for overrides, seed, pname in todo:
                state, info = run_point(name, str(out / "points" / pname), seed, overrides,
                                        quick, backend, in_process=True)
                if state != "done":
                    failures[pname] = info
                progress.update(**{state: 1})
    finally:
        handler.setLevel(level)


def _collect_variants(futures, out, progress, failures, poll=0.5):
    """Wait for variant tasks; the bar counts points as their directories appear."""
    from distributed import wait

    seen = set()
    names = [p for pnames in futures.values() for p in pnames]

    def stored():
        fresh = [p for p in names if p not in seen
                 and (out / "points" / p / "summary.json").exists()]
        seen.update(fresh)
        if fresh:
            progress.update(done=len(fresh))

    pending = set(futures)
    while pending:
        try:
            done, pending = wait(pending, timeout=poll, return_when="FIRST_COMPLETED")
        except TimeoutError:                        # nothing finished: count stored points
            stored()
            continue
        stored()
        for fut in done:
            try:
                status = fut.result()
            except Exception as err:                # the worker died twice under this task
                status = {p: ("failed", f"{type(err).__name__}: {err}") for p in futures[fut]}
            for pname, (state, info) in status.items():
                if state != "done":
                    failures[pname] = info
                    progress.update(failed=1)
    stored()


def _write_index(out, name, proto, grid, seeds, points, failures, quick, backend, scheduler,
                 workers, wall, n_skipped):
    rows, columns = [], ["point", "seed", *grid, "status", "wall_time_s"]
    for overrides, seed, pname in points:
        row = {"point": pname, "seed": seed,
               **{k: json.dumps(to_jsonable(v)).strip('"') for k, v in overrides.items()}}
        path = out / "points" / pname
        if (path / "summary.json").exists():
            res = _summary(path)
            row.update(status="done", wall_time_s=res.get("wall_time_s"))
            for k, v in _flat_scalars(res["metrics"]).items():
                row[k] = v
                if k not in columns:
                    columns.append(k)
        else:
            row.update(status="failed" if pname in failures else "missing", wall_time_s=None)
        rows.append(row)
    buf = io.StringIO()
    writer = csv.DictWriter(buf, columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    _atomic_text(out / "sweep.csv", buf.getvalue())
    meta = {"protocol": name, "description": proto.description,
            "grid": {k: to_jsonable(v) for k, v in grid.items()}, "seeds": list(range(1, seeds + 1)),
            "quick": bool(quick), "backend": backend, "scheduler": scheduler,
            "workers": workers, "versions": versions(), "wall_time_s": wall,
            "points": [{"point": r["point"], "seed": r["seed"], "status": r["status"]}
                       for r in rows],
            "stored_before": n_skipped, "failures": failures}
    _atomic_text(out / "sweep.json", json.dumps(to_jsonable(meta), indent=2))
    return meta
