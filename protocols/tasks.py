"""Learning tasks: teacher-student regression, XOR, Yin-Yang, handwritten digits (and MNIST).

Every loader returns a :class:`Dataset` whose train/test split is fixed by
the seed.  Inputs are float arrays ``(n, n_inputs)`` scaled to [0, 1] (or the
range a task states); class labels are integers, regression targets float
arrays ``(n, n_outputs)``.

- :func:`teacher_student`: inputs U(low, high), targets from a fixed random
  teacher network of a given shape (Sacramento et al. 2018, Fig. 1: 30-20-10).
- :func:`xor`: the four binary patterns, label ``x1 XOR x2``.
- :func:`yin_yang`: the Yin-Yang data set of Kriener, Göltz & Petrovici 2022
  (ICONS, arXiv:2102.08211), generated in code: points in the unit disc
  scaled to [0, 1]^2, three balanced classes (yin, yang, dots), inputs
  ``(x, y, 1 - x, 1 - y)``.
- :func:`digits`: the 8x8 handwritten digits scikit-learn ships (1,797
  images, UCI ML hand-written digits; offline), pixels / 16.
- :func:`mnist`: MNIST from a local file the user points to: a Keras-style
  ``.npz`` (``x_train, y_train, x_test, y_test``) or a directory holding the
  four IDX files (optionally gzipped).
"""

import difflib
import gzip
import os
from dataclasses import dataclass

import numpy as np

from dendrites.errors import ModelError

__all__ = ["Dataset", "TASKS", "load_task", "teacher_student", "xor", "yin_yang", "digits",
           "mnist", "one_hot"]


@dataclass(frozen=True)
class Dataset:
    """A task's train and test sets.

    Attributes
    ----------
    name : str
    x_train, x_test : ndarray (n, n_inputs)
    y_train, y_test : ndarray
        Integer labels (classification) or ``(n, n_outputs)`` targets (regression).
    n_classes : int or None
        Number of classes; None for a regression task.
    source : str
        Where the data come from.
    """

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    n_classes: object = None
    source: str = ""

    @property
    def n_inputs(self):
        return self.x_train.shape[1]

    @property
    def n_outputs(self):
        return self.n_classes if self.n_classes is not None else self.y_train.shape[1]

    @property
    def classification(self):
        return self.n_classes is not None

    def targets(self, split="train"):
        """One-hot targets (classification) or the regression targets of *split*."""
        y = {"train": self.y_train, "test": self.y_test}[split]
        return one_hot(y, self.n_classes) if self.classification else y

    def subset(self, n_train=None, n_test=None):
        """The first *n_train* / *n_test* samples (the split is already shuffled)."""
        for key, n, have in (("n_train", n_train, len(self.x_train)),
                             ("n_test", n_test, len(self.x_test))):
            if n is not None and not 1 <= n <= have:
                raise ModelError(f"Parameter '{key}' = {n} must be between 1 and {have} for "
                                 f"task '{self.name}'.")
        tr, te = slice(n_train), slice(n_test)
        return Dataset(self.name, self.x_train[tr], self.y_train[tr], self.x_test[te],
                       self.y_test[te], self.n_classes, self.source)


def one_hot(labels, n_classes):
    labels = np.asarray(labels, int)
    out = np.zeros((len(labels), n_classes))
    out[np.arange(len(labels)), labels] = 1.0
    return out


def _check_count(name, value, minimum=1):
    if not isinstance(value, (int, np.integer)) or value < minimum:
        raise ModelError(f"Parameter '{name}' = {value!r} must be an integer >= {minimum}.")
    return int(value)


def _split(name, x, y, n_classes, test_fraction, seed, source):
    if not 0 < test_fraction < 1:
        raise ModelError(f"Parameter 'test_fraction' = {test_fraction!r} must be in (0, 1).")
    rng = np.random.default_rng([seed, 7])
    order = rng.permutation(len(x))
    n_test = max(1, int(round(test_fraction * len(x))))
    te, tr = order[:n_test], order[n_test:]
    return Dataset(name, x[tr], y[tr], x[te], y[te], n_classes, source)


# --------------------------------------------------------------------------- tasks
def logistic(u):
    return 1.0 / (1.0 + np.exp(-u))


def teacher_student(n_train=1000, n_test=200, sizes=(30, 20, 10), seed=1, low=-1.0, high=1.0,
                    w_init=1.0, forward=None):
    """Nonlinear regression onto a fixed random teacher network.

    Parameters
    ----------
    sizes : tuple of int
        Teacher layer sizes, input first (Sacramento Fig. 1: 30-20-10).
    low, high : float
        Inputs are drawn U(low, high) (the reference code's ``sample_range``).
    w_init : float
        Teacher weights U(-w_init, w_init).
    forward : callable, optional
        ``forward(weights, x) -> targets`` with ``weights`` the list of
        ``(n_k, n_k-1)`` matrices; default ``u_k = W_k logistic(u_k-1)`` with
        ``u_0 = x`` taken as rates (the output is the last ``u``).
    """
    n_train, n_test = _check_count("n_train", n_train), _check_count("n_test", n_test)
    sizes = tuple(int(s) for s in sizes)
    if len(sizes) < 2 or min(sizes) < 1:
        raise ModelError(f"Parameter 'sizes' = {list(sizes)} needs at least two layer sizes >= 1.")
    if not high > low:
        raise ModelError(f"Parameters 'low' = {low} and 'high' = {high}: need high > low.")
    rng = np.random.default_rng([seed, 11])
    weights = [rng.uniform(-w_init, w_init, (sizes[k], sizes[k - 1])) for k in range(1, len(sizes))]
    x = rng.uniform(low, high, (n_train + n_test, sizes[0]))
    if forward is None:
        def forward(ws, inputs):
            r = inputs
            for w in ws:
                u = r @ w.T
                r = logistic(u)
            return u
    y = np.asarray(forward(weights, x), float)
    if y.shape != (len(x), sizes[-1]):
        raise ModelError(f"The teacher returned targets of shape {y.shape}; expected "
                         f"{(len(x), sizes[-1])}.")
    return Dataset("teacher-student", x[:n_train], y[:n_train], x[n_train:], y[n_train:], None,
                   f"random teacher {'-'.join(map(str, sizes))}, weights U(-{w_init}, {w_init}), "
                   f"seed {seed}")


def xor():
    """The four XOR patterns (train and test sets are the same four)."""
    x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], float)
    y = np.array([0, 1, 1, 0])
    return Dataset("xor", x, y, x.copy(), y.copy(), 2, "XOR truth table")


def _yin_yang_class(x, y, r_small, r_big):
    d_right = np.hypot(x - 1.5 * r_big, y - r_big)
    d_left = np.hypot(x - 0.5 * r_big, y - r_big)
    if d_right < r_small or d_left < r_small:
        return 2
    is_yin = (d_right <= r_small) or (r_small < d_left <= 0.5 * r_big) or (
        y > r_big and d_right > 0.5 * r_big)
    return int(is_yin)


def yin_yang(n_train=5000, n_test=1000, seed=1, r_small=0.1, r_big=0.5):
    """The Yin-Yang data set (Kriener et al. 2022), balanced classes, generated in code.

    Points are drawn uniformly in the disc of radius ``r_big`` centred at
    ``(r_big, r_big)``; each sample is drawn for a class chosen in turn
    (rejection sampling) so that the three classes are balanced.  Inputs are
    ``(x, y, 1 - x, 1 - y)``; labels 0 (yang), 1 (yin), 2 (dots).
    """
    n_train, n_test = _check_count("n_train", n_train), _check_count("n_test", n_test)
    if not 0 < r_small < 0.5 * r_big:
        raise ModelError(f"Parameters 'r_small' = {r_small} and 'r_big' = {r_big}: need "
                         "0 < r_small < r_big/2.")

    def draw(n, rng):
        pts, labels = np.empty((n, 2)), np.empty(n, int)
        for i in range(n):
            want = i % 3
            while True:
                px, py = rng.uniform(0, 2 * r_big, 2)
                if np.hypot(px - r_big, py - r_big) > r_big:
                    continue
                c = _yin_yang_class(px, py, r_small, r_big)
                if c == want:
                    break
            pts[i], labels[i] = (px, py), c
        order = rng.permutation(n)
        pts, labels = pts[order] / (2 * r_big), labels[order]
        return np.column_stack([pts, 1 - pts]), labels

    xtr, ytr = draw(n_train, np.random.default_rng([seed, 21]))
    xte, yte = draw(n_test, np.random.default_rng([seed, 22]))
    return Dataset("yin-yang", xtr, ytr, xte, yte, 3,
                   "Kriener, Göltz & Petrovici 2022 (arXiv:2102.08211), generated in code")


def digits(test_fraction=0.25, seed=1):
    """The 8x8 digits scikit-learn ships (pixels / 16 in [0, 1]); split fixed by the seed."""
    from sklearn.datasets import load_digits

    data = load_digits()
    x = data.data.astype(float) / 16.0
    return _split("digits", x, data.target.astype(int), 10, test_fraction, seed,
                  "scikit-learn load_digits (UCI ML hand-written digits, 8x8)")


# --------------------------------------------------------------------------- MNIST
_IDX = {"x_train": "train-images-idx3-ubyte", "y_train": "train-labels-idx1-ubyte",
        "x_test": "t10k-images-idx3-ubyte", "y_test": "t10k-labels-idx1-ubyte"}


def _read_idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as fh:
        raw = fh.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise ModelError(f"MNIST file {path!r} is not an unsigned-byte IDX file (bad magic "
                         "number).")
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * k:8 + 4 * k], "big") for k in range(ndim)]
    data = np.frombuffer(raw, np.uint8, offset=4 + 4 * ndim)
    if data.size != int(np.prod(dims)):
        raise ModelError(f"MNIST file {path!r} holds {data.size} values but its header says "
                         f"{dims}.")
    return data.reshape(dims)


def _find_idx(directory, stem):
    for name in (stem, stem + ".gz", stem.replace("-idx", ".idx"),
                 stem.replace("-idx", ".idx") + ".gz"):
        path = os.path.join(directory, name)
        if os.path.isfile(path):
            return path
    raise ModelError(f"MNIST directory {directory!r} has no file {stem!r} (or {stem}.gz); it "
                     f"needs {', '.join(_IDX.values())}.")


def mnist(path, n_train=None, n_test=None, seed=1):
    """MNIST from a local file: a ``.npz`` with ``x_train, y_train, x_test, y_test`` or a directory
    of the four IDX files.  Images (n, 28, 28) or (n, 784) of 0..255 are scaled to [0, 1];
    the training set is shuffled with the seed before *n_train* are kept."""
    if not isinstance(path, (str, os.PathLike)) or not os.path.exists(path):
        raise ModelError(f"Parameter 'path' = {path!r}: no such MNIST file or directory.")
    path = os.fspath(path)
    if os.path.isdir(path):
        arrays = {key: _read_idx(_find_idx(path, stem)) for key, stem in _IDX.items()}
    else:
        try:
            with np.load(path, allow_pickle=False) as f:
                missing = [k for k in _IDX if k not in f.files]
                if missing:
                    raise ModelError(f"MNIST file {path!r} lacks arrays {missing}; it needs "
                                     f"{list(_IDX)} (found {f.files}).")
                arrays = {k: np.asarray(f[k]) for k in _IDX}
        except ModelError:
            raise
        except Exception as err:
            raise ModelError(f"MNIST file {path!r} is not a readable .npz file ({err}).") from None
    out = {}
    for split in ("train", "test"):
        x, y = arrays[f"x_{split}"], arrays[f"y_{split}"]
        if x.ndim == 3:
            x = x.reshape(len(x), -1)
        if x.ndim != 2 or x.shape[1] != 784 or y.shape != (len(x),):
            raise ModelError(f"MNIST {split} arrays in {path!r} have shapes {arrays[f'x_{split}'].shape} "
                             f"and {y.shape}; expected images (n, 28, 28) or (n, 784) and labels "
                             "(n,).")
        y = np.asarray(y)
        if not np.issubdtype(y.dtype, np.integer) or y.min() < 0 or y.max() > 9:
            raise ModelError(f"MNIST {split} labels in {path!r} must be integers 0..9 (got "
                             f"dtype {y.dtype}, range {y.min()}..{y.max()}).")
        x = x.astype(float)
        out[split] = (x / 255.0 if x.max() > 1 else x, y.astype(int))
    order = np.random.default_rng([seed, 31]).permutation(len(out["train"][0]))
    (xtr, ytr), (xte, yte) = out["train"], out["test"]
    data = Dataset("mnist", xtr[order], ytr[order], xte, yte, 10, f"MNIST from {path}")
    return data.subset(n_train, n_test) if (n_train or n_test) else data


# --------------------------------------------------------------------------- lookup
TASKS = {"teacher-student": teacher_student, "xor": xor, "yin-yang": yin_yang,
         "digits": digits, "mnist": mnist}


def load_task(name, **kwargs):
    """Load task *name* (one of :data:`TASKS`) with its keyword arguments."""
    if name not in TASKS:
        close = difflib.get_close_matches(str(name), TASKS, n=2)
        hint = f" Did you mean {' or '.join(close)}?" if close else ""
        raise ModelError(f"Unknown task {name!r}.{hint} Allowed: {', '.join(TASKS)}.")
    return TASKS[name](**kwargs)
