"""Guerguiev, Lillicrap & Richards (2017): learning digits with segregated dendrites.

``learn-digits``: the network of :mod:`circuits.guerguiev` with 0, 1 and 2
hidden layers learns the 8x8 digits scikit-learn ships (64 inputs, 1,348
training and 449 test images), online, one example per forward (50 ms) and
target (50 ms) phase, with the plateau-difference rule in the hidden layers
and random fixed feedback from the output to the hidden apical dendrites
(eLife 6:e22901, Figs. 5 and 7A; SCIENCE.md section 4).  After every epoch
the test set is shown without targets and without learning, each image for
one test phase of ``T_test`` = 250 ms (``test_repeats`` phases if more than
one); the prediction is the output neuron with the largest mean rate over the
last ``T_test_integrate`` = 220 ms of the phase (the paper's values).  For
every learned example the hidden-layer update of the rule is compared with
the update exact backprop makes on the same forward pass (loss of the output
rule); the angle between the flattened matrices is averaged over each epoch
(Fig. 7A).  As in Fig. 7A, the 1-hidden-layer network is trained twice
(``angle_feedbacks``, same seed offset: same initial weights, example order
and random stream): with the apical dendrites fed by the PSPs of the output
spikes (``feedback`` 'psp', the paper's network, used for every depth) and
by the output rates themselves (``'rate'``, the paper's red line).
Learning rates decay by ``eta_decay`` per epoch (epoch ``e``
from 0 uses ``eta * eta_decay**e``): single-example spiking updates carry
Poisson noise, and with constant rates the test error jumps by several
points from epoch to epoch.

Hidden sizes: 64-500-10 and 64-500-300-10 by default (``hidden_sizes``;
depth d uses the first d).  The paper's MNIST net is 784-500-100-10; here a
second hidden layer of 300 (its 300 spike trains drive the output) put 2
hidden layers within 1 point of 1 for seeds 1 and 2, where 100 did not for
seed 1 (runs below).  Learning rates per depth
(hidden layers first, output last) and ``eta_decay`` were chosen with a
NumPy steady-state version of the same equations with Poisson counts in the
20 ms windows (the spiking noise; it reproduces the spiking network's angle,
82, 70, 67 deg in epochs 1-3 against 82, 69, 66 measured): 10 epochs, seed 1,
final test error 7.8 % (1 hidden, eta 3, 0.21), 9.4 % (0 hidden, eta 1),
7.1 % (2 hidden, eta 3, 3, 0.21; the former output rate 1.0 gave 38 %), all
with eta_decay 0.8.  The same model puts the epoch-mean angle at 67-74 deg
from epoch 3 on at the paper's 50 ms phases and 20 ms windows; without the
Poisson noise of the output spikes seen by the apical dendrites it is 47 deg
(the noise, not feedback alignment, sets the angle, and it rises as the
output error shrinks: on well-learned examples the error signal is smaller
than the noise).  Windows for the output spikes of 40, 320 and 5120 ms give
68-74, 63-67 and 56-58 deg from epoch 3 on: below 60 deg needs the apical
input nearly free of the output spike noise, out of reach at the paper's
200 Hz, 10 output neurons and 20 ms windows.  The spiking network agrees
(quick settings, seed 1, 1 hidden layer): 100 ms phases with 70 ms windows
give 84.5, 73.2, 70.1 deg in epochs 1-3 against 87.1, 76.1, 72.6 at 50 and
20 ms, and rate feedback 85.1, 69.6, 62.1; 40 ms windows in the 50 ms
phases, which take in the settling after the phase change, give 90.2, 85.4,
79.4 deg and 38 % test error against 14.7 %.  Seeds 2 and 3 of the NumPy model:
12.2 and 7.8 % (1 hidden), 10.9 % (0 hidden, seed 2), 10.2 % (2 hidden,
seed 2).

Per-layer rates of the 2-hidden-layer net: the authors' code
(jordan-g/Segregated-Dendrite-Deep-Learning, ``f_etas``) uses one rate,
0.21, per layer on MNIST (784-500-(100-)10).  Here the first layer has 64
inputs instead of 784, so its rate is larger (3.0, tuned here; 0.21 x
784/64 = 2.6); the second hidden layer has the paper's fan-in (500 hidden
rates) and gets the paper's 0.21, not the first layer's 3.0 (which, with 500 inputs at
about lambda_max/2, moved its potentials about 9 times as far per example
as the first layer's and gave the slow start, 90.9 and 77.3 % after epochs
1 and 2).  A NumPy re-check (Poisson counts over the effective 37 ms of a
20 ms PSP window, 231 ms in tests; seeds 1, 2): eta 3, 0.21, 0.21: 6.7,
6.0 %, first epoch 33, 47 %; 3, 3, 0.21: 7.1 %, first epoch 80 %; 3, 0.21,
0.5: 5.1, 4.9 %; 3, 0.21, 1.0: 7.3, 7.1 %; 1 hidden (3, 0.21): 7.1,
4.9 %.  Depth 2 still improves after 10 epochs, so it trains for
``epochs_2`` = 15 (``epochs_<d>`` = 0: ``epochs``); the 1-hidden-layer
network keeps 10.

Full spiking runs (seed 1, cython, each depth in its own process, shared
2-core machine, ``python -m protocols run learn-digits --out DIR --set
"depths=[d]" [--set ...]``): test error per epoch (%)

- 0 hidden: 18.7 12.0 9.8 9.4 9.1 11.8 8.7 7.3 8.2 8.9 (73 s)
- 1 hidden: 33.9 13.6 10.0 10.5 9.6 7.8 7.6 6.5 7.1 6.9 (332 s); angle 82, 70,
  68, 68, 68, 69, 68, 69, 69, 69 deg
- 2 hidden, former rates 3, 3, 0.21, 10 epochs: 90.9 77.3 31.8 24.5 16.0 13.1
  13.1 8.9 9.1 10.5 (532 s, loaded); eta 1, 1, 0.21 instead: final 11.8 %
  (419 s)
- 2 hidden, eta 3, 0.21, 0.21, 10 epochs: 64.1 45.7 17.4 17.4 13.1 10.7 11.8
  8.7 8.7 11.6 (1183 s, machine load 5-8 on 2 cores); angle (layer 1) 88,
  74, 65, 59, 56, 55, 54, 55, 54, 54 deg
- 2 hidden, eta 3, 0.21, 0.21, 15 epochs: the same 10 epochs, then 8.9 8.9
  8.5 7.3 8.5 (1189 s, load 3-8); angle 53-54 deg from epoch 10 on (layer
  2 as well)
- 2 hidden, eta 3, 0.21, 0.5 (output rate x 2.4 for its 100 inputs), 15
  epochs: 79.7 71.9 31.4 25.2 12.9 12.0 12.0 8.7 10.0 11.8 9.4 9.8 8.7 8.9
  8.5 (942 s); kept 0.21
- 2 hidden, ``eta_decay`` 0.85 instead of 0.8 (``--set "depths=[2]" --set
  eta_decay=0.85``, quiet machine, both seeds side by side, 642 s each):
  seed 1 64.1 47.2 16.7 18.5 12.7 10.0 12.5 8.5 8.5 11.4 9.1 9.1 7.8 8.0 8.5
  (8.46 %, angle 52-53 deg from epoch 10); seed 2 final 7.57 % (69.7 ... 5.8
  6.0 6.0 6.0 7.6): the slower decay does not close the gap for seed 1 and
  loses seed 2's; kept 0.8
- seed 2 (``--seed 2``), defaults: 1 hidden 33.2 15.4 8.7 7.8 6.5 6.9 6.9 4.9
  4.9 6.0 (258 s; angle 84, 70, then 67-68 deg); 2 hidden 69.7 29.2 20.0 12.0
  10.9 8.2 8.9 7.3 6.0 7.8 5.6 6.7 6.2 6.5 6.9 (652 s; angle 53-55 deg from
  epoch 7 on): within 1 point of 1 hidden for seed 2 (6.9 against 6.0 %)
- seed 1, ``test_repeats`` 3 (each test image shown for three 250 ms
  phases, rates averaged; both depths side by side, then the 2-hidden-layer
  run beside XOR runs): 1 hidden 32.5 14.3 9.8 9.4 7.8 7.6 5.3 6.0 6.7 6.46
  (613 s; angle 82, 70, then 67-68 deg); 2 hidden 63.9 38.5 18.7 21.6 8.9
  12.0 9.8 7.8 9.8 8.9 8.7 8.9 8.7 9.4 8.5 (1396 s; angle 54-55 deg from
  epoch 10): 8.46 against 6.46 %, still 2 points apart, so the gap for
  seed 1 is not noise in the test (the test phases also change the random
  stream, so the trained networks differ from those above)
- all of the above used a second hidden layer of 100.  Seed 1 with 200 and
  300 (``--set "depths=[2]" --set "hidden_sizes=[500,300]"``, side by
  side): 200: 79.1 41.6 28.7 15.4 13.6 12.0 8.2 8.0 8.9 9.1 9.4 9.1 10.2
  9.6 8.7 (781 s); 300: 65.0 56.3 33.0 21.2 11.4 11.6 10.5 8.5 8.9 10.2 8.5
  9.4 8.0 7.8 7.6 (954 s; 7.57 %, within 1 point of 6.9 %); seed 2 with
  300 (beside tests): 66.8 49.7 14.9 12.5 8.7 7.3 8.0 8.5 5.6 6.5 6.9 5.6
  5.6 7.1 5.1 (1012 s; 5.12 % against 6.0 % with 1 hidden layer).  Angle
  of layer 1 with 300: 52-55 deg from epoch 7 (both seeds); of layer 2:
  64-68 deg (60-63 with 200, and above 90 in epoch 1: 91-92 deg).  300 is
  the default since; two seeds are few, and the 1-hidden-layer curves
  above move by about 1 point from epoch to epoch
(before: constant rates, one 100 ms test cycle per image, 12.0, 12.0 and
48.8 %).  Met: 1 hidden <= 10 %, 1 beats 0, angle < 90 deg, and 2 hidden
within 1 point of 1 for seeds 1 and 2 (7.57 against 6.9 %, 5.12 against
6.0 %; with a second hidden layer of 100: 8.5 against 6.9 % for seed 1; not
for seed 3, below).
The whole protocol in one process (``python -m protocols run learn-digits
--out DIR [--seed 2]``, the two seeds side by side, 1636 and 1641 s: 0 hidden
78/71 s, 1 hidden 260/256 s, 2 hidden 923/940 s, 1 hidden with rate feedback
374/373 s) repeats the runs above and below exactly: seed 1 8.91, 6.90,
7.57 % and seed 2 6.90, 6.01, 5.12 % with 0, 1, 2 hidden layers (seed 2, 0
hidden: 14.9 13.4 6.9 12.0 6.7 7.3 6.5 6.0 7.8 6.9).  Seeds 3 and 4 (side by
side, 1591 and 1563 s): seed 3 6.01, 5.12, 7.13 % (2 hidden 61.5 25.6 20.5
15.1 10.9 10.0 9.1 7.6 8.0 8.0 5.8 6.5 7.3 7.8 7.1: 2 points above 1 hidden,
the target missed); seed 4 6.46, 6.01, 6.24 % (met); spiking-feedback angle
at epoch 10 68.2 and 67.0 deg, rate feedback 52.4 and 51.2 deg (5.3 and
5.8 % test error).  Seeds 5 and 6, depths 1 and 2 only (``--set
"depths=[1,2]" --set 'angle_feedbacks=["psp"]'``, the networks of a full run;
one at a time beside other work, 1296 and 1237 s): seed 5 7.13 and 8.24 %
(2 hidden 73.3 52.8 19.6 17.6 11.6 14.5 9.8 9.8 7.3 7.1 8.5 7.8 6.0 8.0
8.2), seed 6 6.24 and 7.35 % (69.9 39.2 24.7 13.1 10.9 12.9 8.5 8.0 8.7 9.1
7.8 6.9 7.6 6.7 7.3): both 1.11 points apart (5 test images; 1 point is
4.5), the target missed.  So "2 hidden within 1 point of 1" holds for seeds
1, 2 and 4 of 1-6 (2 hidden minus 1 hidden: +0.67, -0.89, +2.01, +0.23,
+1.11, +1.11 points; mean errors 6.9 and 6.2 %), and 1 hidden beats 0 in
seeds 1-4 (by 0.45-2.0 points).  The last epochs of depth 2 move by about a
point at 4-11 % of the initial learning rates (seed 5: 8.5 7.8 6.0 8.0
8.2), which puts the noise of one spiking test pass at the scale of that
1-point margin.  Measured for seed 6 (its training as in the protocol, then
the final weights tested six times; the first pass is the protocol's own):
1 hidden 6.24 7.13 6.01 5.12 6.24 6.01 % (mean 6.12, SD 0.64), 2 hidden 7.35
6.68 6.46 8.91 6.46 6.90 % (mean 7.13, SD 0.93): the means are 1.0 point
apart, and the difference of one pass each scatters by about 1.1 points
(SD).  In the 2-hidden-layer nets the first layer's angle with
spiking feedback falls to 51-54 deg from epoch 8 (seeds 5, 6), the second
layer's stays at 63-69 deg (89-94 deg in epoch 1).
The angle with spiking feedback, 81-84, 69-70, then 66-69 deg (seeds 1-6),
is the paper's:
"the angle dropped to approximately 65 deg, before rising again slightly to
roughly 70 deg" (Fig. 7A, blue, 10 MNIST epochs); with the output rates fed
back directly it fell "to roughly 35 deg before rising again to 40 deg"
(red).  The same split here (``--set "depths=[1]" --set feedback=rate``,
seeds 1 and 2 side by side, 381 and 385 s): seed 1 30.3 11.6 10.5 10.5 8.0
7.1 7.6 6.0 7.3 6.2 %, angle 80, 61, 55, then 53-54 deg from epoch 4;
seed 2 26.7 16.3 8.0 7.6 6.9 6.7 6.0 5.6 4.2 5.8 %, angle 82, 61, 56, then
54-55 deg.  So "angle < 60 deg after epoch 10" holds with rate feedback
(53.2 and 54.3 deg at epoch 10), and with spiking feedback it is
contradicted by the paper's own figure (about 70 deg there, 67-69 here): the
spike noise of 10 output neurons in 20 ms windows sets that angle (see the
NumPy model above).  The rate-feedback angle stays above the paper's 35-40
deg: 13,480 examples here against 600,000 on MNIST.
"""

import logging
import time

import numpy as np
from brian2 import Hz, ms

from circuits.guerguiev import FEEDBACK, MODES, Guerguiev2017, build_guerguiev, initial_weights
from dendrites.errors import ModelError, check_choice

from .registry import protocol
from .tasks import load_task

__all__ = ["describe", "learn_digits", "n_epochs", "reference_depth", "train_and_test"]

logger = logging.getLogger(__name__)

TASKS = ("digits", "mnist")
MAX_DEPTH = 2

DEFAULTS = dict(task="digits", task_path="", depths=[0, 1, 2], hidden_sizes=[500, 300],
                eta_0=[1.0], eta_1=[3.0, 0.21], eta_2=[3.0, 0.21, 0.21], epochs=10,
                epochs_0=0, epochs_1=0, epochs_2=15,
                n_train=0, n_test=0, mode="spiking", dt=1 * ms, T_forward=50 * ms,
                T_target=50 * ms, T_integrate=20 * ms, lambda_max=200 * Hz, g_B=0.6, g_A=0.0,
                g_D=0.6, w_sd=1.0, y_scale=3.0, T_test=250 * ms, T_test_integrate=220 * ms,
                eta_decay=0.8, test_repeats=1, feedback="psp", angle_feedbacks=["psp", "rate"])
# quick: depths 0 and 1 (64-500-10; depth 1 also with rate feedback), 3 epochs of 800
# examples, 150 test images (~1.5 min)
QUICK = dict(depths=[0, 1], epochs=3, epochs_2=0, n_train=800, n_test=150)


def _check(p):
    check_choice("task", p.task, TASKS)
    check_choice("mode", p.mode, MODES)
    check_choice("feedback", p.feedback, FEEDBACK)
    kinds = list(p.angle_feedbacks)
    if len(set(kinds)) != len(kinds) or any(k not in FEEDBACK for k in kinds):
        raise ModelError(f"Parameter 'angle_feedbacks' = {kinds} must list distinct feedback "
                         f"kinds from: {', '.join(FEEDBACK)}.")
    if p.test_repeats < 1:
        raise ModelError(f"Parameter 'test_repeats' = {p.test_repeats} must be at least 1.")
    if not 0 < p.eta_decay <= 1:
        raise ModelError(f"Parameter 'eta_decay' = {p.eta_decay} must be in (0, 1].")
    if p.epochs < 1:
        raise ModelError(f"Parameter 'epochs' = {p.epochs} must be at least 1.")
    for d in range(MAX_DEPTH + 1):
        if p[f"epochs_{d}"] < 0:
            raise ModelError(f"Parameter 'epochs_{d}' = {p[f'epochs_{d}']} must be >= 0 (0 = "
                             "'epochs').")
    for key in ("n_train", "n_test"):
        if p[key] < 0:
            raise ModelError(f"Parameter '{key}' = {p[key]} must be >= 0 (0 = the whole set).")
    depths = list(p.depths)
    if not depths or any(not isinstance(d, (int, np.integer)) or not 0 <= d <= MAX_DEPTH
                         for d in depths) or len(set(depths)) != len(depths):
        raise ModelError(f"Parameter 'depths' = {depths} must list distinct hidden-layer counts "
                         f"from 0 to {MAX_DEPTH}.")
    hidden = list(p.hidden_sizes)
    if len(hidden) < max(depths):
        raise ModelError(f"Parameter 'hidden_sizes' = {hidden} has {len(hidden)} sizes; depth "
                         f"{max(depths)} needs {max(depths)} (depth d uses the first d).")
    if any(not isinstance(n, (int, np.integer)) or n < 1 for n in hidden):
        raise ModelError(f"Parameter 'hidden_sizes' = {hidden} must hold positive integers.")
    for d in depths:
        eta = list(p[f"eta_{d}"])
        if len(eta) != d + 1 or any(e < 0 for e in eta):
            raise ModelError(f"Parameter 'eta_{d}' = {eta} must hold {d + 1} non-negative "
                             f"learning rates (hidden layers first, output last).")


def n_epochs(p, depth):
    """Epochs of *depth*: ``epochs_<depth>`` if set (> 0), else ``epochs``."""
    return int(p[f"epochs_{depth}"] or p.epochs)


def _dataset(p, seed):
    kw = {"seed": seed}
    if p.task == "mnist":
        if not p.task_path:
            raise ModelError("Task 'mnist' needs 'task_path' (a local .npz or IDX directory).")
        kw["path"] = p.task_path
    ds = load_task(p.task, **kw)
    return ds.subset(p.n_train or None, p.n_test or None)


def describe(p, depth, n_in, n_out, feedback=None):
    """The network description of one depth from the protocol parameters (*feedback*
    replaces ``p.feedback``)."""
    sizes = (n_in, *p.hidden_sizes[:depth], n_out)
    return Guerguiev2017(sizes=sizes, g_B=p.g_B, g_A=p.g_A, g_D=p.g_D,
                         lambda_max=p.lambda_max, T_forward=p.T_forward, T_target=p.T_target,
                         T_integrate=p.T_integrate, T_test=p.T_test,
                         T_test_integrate=p.T_test_integrate, eta=tuple(p[f"eta_{depth}"]),
                         w_sd=p.w_sd, y_scale=p.y_scale, feedback=feedback or p.feedback)


def train_and_test(desc, mode, ds, epochs, be, seed, test_repeats=1, eta_decay=1.0):
    """Train online for *epochs* (test after each); returns curves and per-cycle angles.

    Epoch ``e`` (from 0) learns with ``desc.eta * eta_decay**e``.  Training and
    test phases are one Brian2 run (:meth:`protocols.backend.Backend.run_phases`).
    """
    rng = np.random.default_rng([seed, 11])
    net = build_guerguiev(desc, mode, initial_weights(desc, np.random.default_rng([seed, 3])))
    nw = net.network()
    test_err, angles = [], []
    x_test = np.repeat(ds.x_test, test_repeats, axis=0)

    def phases():
        for epoch in range(epochs):
            net.eta_scale = eta_decay ** epoch
            order = rng.permutation(len(ds.x_train))
            net.present(ds.x_train[order], ds.y_train[order])
            start = len(net.records)
            yield net.duration()
            net.close_cycle()
            angles.append([[r["angle"][k] for r in net.records[start:]]
                           for k in range(1, desc.n_hidden + 1)])
            net.predictions = []
            net.present(x_test, learning=False)
            yield net.duration()
            net.close_cycle()
            rates = np.asarray(net.predictions).reshape(len(ds.x_test), test_repeats, -1)
            pred = np.argmax(rates.mean(axis=1), axis=1)
            test_err.append(float(np.mean(pred != ds.y_test)))
            logger.info("sizes %s epoch %d: test error %.4f, angle %s", desc.sizes,
                        len(test_err), test_err[-1], [float(np.nanmean(a)) for a in angles[-1]])

    lengths = [len(ds.x_train) * desc.T_cycle, len(x_test) * desc.T_test]
    be.run_phases(nw, phases(), epochs * sum(lengths), lengths)
    return dict(test_error=test_err, angles=np.asarray(angles), net=net)


@protocol("learn-digits",
          "Guerguiev et al. 2017 segregated-dendrite network (0, 1, 2 hidden layers, spiking) "
          "learns 8x8 digits with plateau-difference hidden updates and random feedback; test "
          "error per depth and the angle of the hidden update to backprop per epoch",
          DEFAULTS, quick=QUICK)
def learn_digits(p, ctx):
    """Train and test each depth; metrics keyed by depth (as strings)."""
    _check(p)
    ds = _dataset(p, ctx.seed)
    descs = {d: describe(p, d, ds.n_inputs, ds.n_outputs) for d in p.depths}
    metrics = dict(test_error={}, test_error_curve={}, wall_time_s={}, sizes={}, eta={}, epochs={},
                   angle_to_backprop_deg_by_depth={}, mode=p.mode, feedback=p.feedback,
                   n_train=len(ds.x_train), n_test=len(ds.x_test))
    arrays = {}
    for d, desc in descs.items():
        res, seconds = _train(p, ctx, ds, desc, d)
        key = str(d)
        metrics["wall_time_s"][key] = seconds
        metrics["test_error"][key] = res["test_error"][-1]
        metrics["test_error_curve"][key] = res["test_error"]
        metrics["sizes"][key], metrics["eta"][key] = list(desc.sizes), list(desc.eta)
        metrics["epochs"][key] = n_epochs(p, d)
        arrays[f"test_error_depth{d}"] = np.asarray(res["test_error"])
        if d > 0:
            ang = res["angles"]            # (epochs, hidden layers, cycles)
            metrics["angle_to_backprop_deg_by_depth"][key] = {
                str(k + 1): np.nanmean(ang[:, k, :], axis=1).tolist() for k in range(d)}
            arrays[f"angle_per_example_depth{d}"] = ang[:, -1, :].ravel()
    ref = reference_depth(metrics)
    metrics["angle_to_backprop_deg"] = (
        metrics["angle_to_backprop_deg_by_depth"][ref][ref] if ref else [])
    metrics.update(angle_to_backprop_deg_by_feedback={}, test_error_curve_by_feedback={})
    if ref:
        _feedback_runs(p, ctx, ds, int(ref), metrics, arrays)
    metrics["targets"] = _targets(metrics)
    return metrics, arrays


def reference_depth(metrics):
    """The depth (a string) whose angle is ``angle_to_backprop_deg``: 1 if it ran, else
    the shallowest with hidden layers; None without any."""
    depths = sorted(metrics["angle_to_backprop_deg_by_depth"])
    return "1" if "1" in depths else (depths[0] if depths else None)


def _train(p, ctx, ds, desc, d):
    """Train and test *desc* at depth *d* with depth *d*'s seed offset; ``(result, s)``."""
    t0 = time.perf_counter()
    with ctx.backend_scope(dt=p.dt, seed_offset=d) as be:
        res = train_and_test(desc, p.mode, ds, n_epochs(p, d), be, ctx.seed,
                             p.test_repeats, p.eta_decay)
        be.finish()
    return res, time.perf_counter() - t0


def _feedback_runs(p, ctx, ds, d, metrics, arrays):
    """Fig. 7A: the reference depth *d* trained with every kind in ``angle_feedbacks``.

    The protocol's own ``feedback`` is the depth run above; each other kind
    trains the same network again (same seed offset: same initial weights,
    example order and random stream), only the apical input differs.
    """
    key = str(d)
    for kind in p.angle_feedbacks:
        if kind == p.feedback:
            angle, curve = metrics["angle_to_backprop_deg"], metrics["test_error_curve"][key]
        else:
            desc = describe(p, d, ds.n_inputs, ds.n_outputs, feedback=kind)
            res, seconds = _train(p, ctx, ds, desc, d)
            angle = np.nanmean(res["angles"][:, -1, :], axis=1).tolist()
            curve = res["test_error"]
            metrics["wall_time_s"][f"{key}_{kind}_feedback"] = seconds
            arrays[f"angle_per_example_depth{d}_{kind}_feedback"] = res["angles"][:, -1, :].ravel()
        metrics["angle_to_backprop_deg_by_feedback"][kind] = angle
        metrics["test_error_curve_by_feedback"][kind] = curve


def _targets(m):
    err, ang = m["test_error"], m["angle_to_backprop_deg"]
    t = {}
    if "0" in err and "1" in err:
        t["1 hidden layer beats 0"] = err["1"] < err["0"]
    if "1" in err and "2" in err:
        t["2 hidden layers within 1 point of 1"] = err["2"] <= err["1"] + 0.01
    if "1" in err:
        t["1 hidden layer test error <= 10 %"] = err["1"] <= 0.10
    if ang:
        t["angle < 90 deg every epoch"] = bool(np.all(np.asarray(ang) < 90))
        # epochs 10, 11, ... (None when fewer than 10 epochs ran)
        t["angle < 60 deg from epoch 10 on"] = (bool(np.all(np.asarray(ang[9:]) < 60))
                                                if len(ang) >= 10 else None)
    for kind, a in m.get("angle_to_backprop_deg_by_feedback", {}).items():
        if kind == m["feedback"]:
            continue                    # the target above
        t[f"angle < 60 deg from epoch 10 on, {kind} feedback"] = (
            bool(np.all(np.asarray(a[9:]) < 60)) if len(a) >= 10 else None)
    return t
