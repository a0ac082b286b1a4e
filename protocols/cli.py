"""Command line: ``python -m protocols list | run NAME ... | sweep NAME ... | export RUN``.

Machine-readable output goes to stdout (the summary as JSON), a human summary
to stderr.  Bad input exits with status 2 and a one-paragraph message.
"""

import argparse
import json
import sys
import warnings

from dendrites.errors import ModelError

from .backend import BACKENDS, DEFAULT_BACKEND
from .registry import PROTOCOLS, get_protocol, load_all, parse_assignment, run
from .results import to_jsonable

__all__ = ["main"]


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise ModelError(f"{message}. Run 'python -m protocols --help' for usage.")


def _parser():
    parser = _Parser(prog="python -m protocols",
                     description="Run the simulator's stimulation and learning protocols.")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="one line per protocol: name, tab, description")
    r = sub.add_parser("run", help="run one protocol and store it in OUT")
    r.add_argument("name")
    r.add_argument("--out", required=True, help="run directory to write (atomically)")
    r.add_argument("--backend", default=DEFAULT_BACKEND, help=f"one of {', '.join(BACKENDS)}")
    r.add_argument("--seed", type=int, default=1)
    r.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                   help="override a parameter with a Brian2 expression, e.g. 'g_A=0.8*nS'")
    r.add_argument("--quick", action="store_true", help="use the protocol's quick settings")
    r.add_argument("--build-dir", default=None, help="standalone build directory")
    r.add_argument("--no-figure", action="store_true")
    s = sub.add_parser("sweep", help="run a protocol over a grid and seeds on Dask distributed "
                       "(resumable: stored points are skipped)")
    s.add_argument("name")
    s.add_argument("--grid", action="append", default=[], metavar="KEY=V1,V2,...",
                   help="values of one parameter (Brian2 expressions); repeat for a product grid")
    s.add_argument("--seeds", type=int, default=1, help="seeds 1..K for every grid point")
    s.add_argument("--workers", type=int, default=None,
                   help="local worker processes (default: one per CPU)")
    s.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="use an existing Dask scheduler, e.g. tcp://127.0.0.1:8786")
    s.add_argument("--out", required=True, help="sweep directory (points/, sweep.csv, sweep.json)")
    s.add_argument("--backend", default=DEFAULT_BACKEND, help=f"one of {', '.join(BACKENDS)}")
    s.add_argument("--quick", action="store_true", help="use the protocol's quick settings")
    e = sub.add_parser("export", help="write a stored run as NetCDF (xarray; units in attributes)")
    e.add_argument("run_dir")
    e.add_argument("--out", required=True, help="NetCDF file to write")
    return parser


def _figure_for(name):
    """The figure function for a protocol (the CLI is the one place that may draw)."""
    try:
        from figures import draw_into
    except ImportError:  # figures/ not installed: store the run without its figure
        return None
    return lambda summary, arrays, directory: draw_into(name, summary, arrays, directory)


def _human(summary):
    lines = [f"{summary['protocol']}: {summary['wall_time_s']:.1f} s on {summary['backend']}"]
    for key, value in summary["metrics"].items():
        text = json.dumps(to_jsonable(value))
        lines.append(f"  {key}: {text if len(text) < 100 else text[:97] + '...'}")
    return "\n".join(lines)


def _sweep(args):
    from .sweep import run_sweep

    meta = run_sweep(args.name, args.out, args.grid, seeds=args.seeds, workers=args.workers,
                     scheduler=args.scheduler, quick=args.quick, backend=args.backend)
    counts = {}
    for point in meta["points"]:
        counts[point["status"]] = counts.get(point["status"], 0) + 1
    print(json.dumps({"out": args.out, "points": counts, "failures": meta["failures"]}))
    for pname, why in meta["failures"].items():
        print(f"failed: {pname}: {why}", file=sys.stderr)
    return 1 if meta["failures"] else 0


def main(argv=None):
    """Entry point; returns the exit status."""
    try:
        args = _parser().parse_args(argv)
        if args.command == "list":
            load_all()
            for name in sorted(PROTOCOLS):
                print(f"{name}\t{PROTOCOLS[name].description}")
            return 0
        if args.command == "export":
            from .export import export_netcdf

            print(export_netcdf(args.run_dir, args.out))
            return 0
        if args.command == "sweep":
            return _sweep(args)
        overrides = dict(parse_assignment(s) for s in args.set)
        get_protocol(args.name)
        figure = None if args.no_figure else _figure_for(args.name)
        import brian2

        brian2.prefs.logging.console_log_level = "WARNING"
        brian2.BrianLogger.log_level_warn()    # the pref alone is read only at import
        with warnings.catch_warnings():
            # Brian2's parser raises pyparsing deprecation warnings: not the user's business
            warnings.filterwarnings("ignore", category=DeprecationWarning)
            summary, _ = run(args.name, args.out, seed=args.seed, backend=args.backend,
                             overrides=overrides, quick=args.quick, build_dir=args.build_dir,
                             figure=figure)
    except ModelError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(json.dumps({"out": args.out, "metrics": to_jsonable(summary["metrics"])}))
    print(_human(summary), file=sys.stderr)
    return 0
