"""Learning tasks: splits fixed by the seed, class geometry, the MNIST file loader and bad input."""

import gzip

import numpy as np
import pytest

from dendrites.errors import ModelError
from protocols.tasks import digits, load_task, mnist, one_hot, teacher_student, xor, yin_yang


def test_xor_truth_table():
    d = xor()
    assert d.x_train.tolist() == [[0, 0], [0, 1], [1, 0], [1, 1]]
    assert d.y_train.tolist() == [0, 1, 1, 0]
    assert d.targets().tolist() == [[1, 0], [0, 1], [0, 1], [1, 0]]


def test_digits_split_is_fixed_by_the_seed_and_disjoint():
    a, b, c = digits(seed=1), digits(seed=1), digits(seed=2)
    assert a.x_train.shape == (1348, 64) and a.x_test.shape == (449, 64)
    assert np.array_equal(a.x_test, b.x_test) and not np.array_equal(a.x_test, c.x_test)
    assert 0 <= a.x_train.min() and a.x_train.max() <= 1
    rows_train = {r.tobytes() for r in a.x_train}
    shared = sum(r.tobytes() in rows_train for r in a.x_test)
    assert shared <= 5                          # a few digits images are exact duplicates
    assert set(a.y_test) == set(range(10))


def test_yin_yang_is_balanced_and_has_the_published_geometry():
    d = yin_yang(n_train=600, n_test=150, seed=3)
    assert np.bincount(d.y_train).tolist() == [200, 200, 200]
    x, y = d.x_train[:, 0], d.x_train[:, 1]
    assert np.allclose(d.x_train[:, 2:], 1 - d.x_train[:, :2])
    assert np.all(np.hypot(x - 0.5, y - 0.5) <= 0.5 + 1e-12)            # inside the disc
    dots = d.y_train == 2                                                  # small circles
    d_left, d_right = np.hypot(x - 0.25, y - 0.5), np.hypot(x - 0.75, y - 0.5)
    assert np.all(np.minimum(d_left, d_right)[dots] < 0.1)
    # the upper half away from the right eye is yin (1), the lower half away from the left eye yang
    upper = (y > 0.5) & (d_right > 0.25) & ~dots
    lower = (y < 0.5) & (d_left > 0.25) & ~dots
    assert np.all(d.y_train[upper] == 1) and np.all(d.y_train[lower] == 0)
    assert np.array_equal(yin_yang(600, 150, seed=3).x_test, d.x_test)


def test_teacher_student_targets_come_from_the_teacher():
    d = teacher_student(n_train=50, n_test=10, sizes=(5, 4, 3), seed=2)
    rng = np.random.default_rng([2, 11])
    w1, w2 = rng.uniform(-1, 1, (4, 5)), rng.uniform(-1, 1, (3, 4))
    x = np.concatenate([d.x_train, d.x_test])
    expected = (1 / (1 + np.exp(-(1 / (1 + np.exp(-x @ w1.T))) @ w2.T)))
    expected = np.log(expected / (1 - expected))            # the last layer's potential
    assert np.allclose(np.concatenate([d.y_train, d.y_test]), expected)
    assert d.n_outputs == 3 and not d.classification


def _write_idx(path, array, gz):
    header = bytes([0, 0, 8, array.ndim]) + b"".join(int(n).to_bytes(4, "big")
                                                     for n in array.shape)
    data = header + array.astype(np.uint8).tobytes()
    with (gzip.open if gz else open)(path, "wb") as fh:
        fh.write(data)


def _tiny_mnist(rng, n_train=12, n_test=5):
    return dict(x_train=rng.integers(0, 256, (n_train, 28, 28)).astype(np.uint8),
                y_train=rng.integers(0, 10, n_train).astype(np.uint8),
                x_test=rng.integers(0, 256, (n_test, 28, 28)).astype(np.uint8),
                y_test=rng.integers(0, 10, n_test).astype(np.uint8))


def test_mnist_reads_a_local_npz_file(tmp_path):
    arrays = _tiny_mnist(np.random.default_rng(0))
    path = tmp_path / "mnist.npz"
    np.savez(path, **arrays)
    d = mnist(str(path), seed=1)
    assert d.x_train.shape == (12, 784) and d.x_test.shape == (5, 784)
    assert np.allclose(d.x_test, arrays["x_test"].reshape(5, -1) / 255.0)
    assert sorted(d.y_train.tolist()) == sorted(arrays["y_train"].tolist())
    assert d.n_classes == 10
    assert mnist(str(path), n_train=4, n_test=2).x_train.shape == (4, 784)


@pytest.mark.parametrize("gz", [False, True])
def test_mnist_reads_a_directory_of_idx_files(tmp_path, gz):
    arrays = _tiny_mnist(np.random.default_rng(1))
    names = {"x_train": "train-images-idx3-ubyte", "y_train": "train-labels-idx1-ubyte",
             "x_test": "t10k-images-idx3-ubyte", "y_test": "t10k-labels-idx1-ubyte"}
    for key, name in names.items():
        _write_idx(str(tmp_path / (name + (".gz" if gz else ""))), arrays[key], gz)
    d = load_task("mnist", path=str(tmp_path))
    assert np.allclose(d.x_test, arrays["x_test"].reshape(5, -1) / 255.0)
    assert np.array_equal(d.y_test, arrays["y_test"].astype(int))


def test_mnist_bad_files_give_clear_errors(tmp_path):
    with pytest.raises(ModelError, match="no such MNIST file"):
        mnist(str(tmp_path / "missing.npz"))
    bad = _tiny_mnist(np.random.default_rng(2))
    bad["x_train"] = bad["x_train"][:, :20, :20]                       # wrong image shape
    np.savez(tmp_path / "bad.npz", **bad)
    with pytest.raises(ModelError, match=r"train arrays .* expected images \(n, 28, 28\)"):
        mnist(str(tmp_path / "bad.npz"))
    partial = _tiny_mnist(np.random.default_rng(3))
    del partial["y_test"]
    np.savez(tmp_path / "partial.npz", **partial)
    with pytest.raises(ModelError, match="lacks arrays"):
        mnist(str(tmp_path / "partial.npz"))
    (tmp_path / "garbage.npz").write_bytes(b"not a zip file")
    with pytest.raises(ModelError, match="not a readable .npz"):
        mnist(str(tmp_path / "garbage.npz"))
    (tmp_path / "idx").mkdir()
    with pytest.raises(ModelError, match="has no file"):
        mnist(str(tmp_path / "idx"))


def test_unknown_task_and_bad_sizes():
    with pytest.raises(ModelError, match="Unknown task 'digit'.*Did you mean digits"):
        load_task("digit")
    with pytest.raises(ModelError, match="'n_train' = 0"):
        yin_yang(n_train=0)
    with pytest.raises(ModelError, match="'n_test' = 500 must be between 1 and 449"):
        digits().subset(n_test=500)
    with pytest.raises(ModelError, match="'test_fraction'"):
        digits(test_fraction=1.5)
    with pytest.raises(ModelError, match="'sizes'"):
        teacher_student(sizes=(5,))


def test_one_hot():
    assert one_hot([2, 0], 3).tolist() == [[0, 0, 1], [1, 0, 0]]
