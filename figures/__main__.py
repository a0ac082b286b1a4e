"""``python -m figures [NAME ...]``: run every protocol (quick settings) and draw its figure.

Runs are stored under ``figures/runs/NAME`` and reused when present (delete
one to recompute it); figures are written to ``figures/NAME.png`` and ``.svg``.
"""

import argparse
import sys
import time
from pathlib import Path

from dendrites.errors import ModelError
from protocols import PROTOCOLS, get_protocol, load
from protocols import run as run_protocol
from protocols.backend import BACKENDS, DEFAULT_BACKEND
from protocols.registry import load_all

from . import FIGURES, draw

HERE = Path(__file__).resolve().parent


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m figures", description=__doc__)
    parser.add_argument("names", nargs="*", help="protocols to draw (default: all)")
    parser.add_argument("--backend", default=DEFAULT_BACKEND, choices=BACKENDS)
    parser.add_argument("--rerun", action="store_true", help="ignore stored runs")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    import warnings

    import brian2

    brian2.prefs.logging.console_log_level = "WARNING"
    brian2.BrianLogger.log_level_warn()    # the pref alone is read only at import
    warnings.filterwarnings("ignore", category=DeprecationWarning)  # Brian2's parser
    load_all()
    names = args.names or sorted(PROTOCOLS)
    try:
        for name in names:
            get_protocol(name)
        # every run first, then every figure: a figure may draw a companion protocol's
        # stored run (four-factor-gate and disinhibitory-gate draw interneuron-subtraction)
        seconds = {}
        for name in names:
            run_dir = HERE / "runs" / name
            t0 = time.perf_counter()
            if args.rerun or not (run_dir / "summary.json").exists():
                run_protocol(name, run_dir, seed=args.seed, backend=args.backend, quick=True)
                print(f"{name}: run stored in {run_dir} ({time.perf_counter() - t0:.1f} s)",
                      flush=True)
            seconds[name] = time.perf_counter() - t0
        for name in names:
            t0 = time.perf_counter()
            res = load(HERE / "runs" / name)
            path = draw(name, dict(res), res.arrays, HERE / name) if name in FIGURES else None
            total = seconds[name] + time.perf_counter() - t0
            print(f"{name}: {path or 'no figure'} ({total:.1f} s)", flush=True)
    except ModelError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
