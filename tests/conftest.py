"""Shared test set-up: every test starts and ends with a clean Brian2 runtime state."""

import pytest
from brian2 import defaultclock, device, ms, prefs, set_device, start_scope
# ``brian2.devices.device`` is shadowed by the device proxy object, so the
# function has to be imported from the module itself.
from brian2.devices.device import reset_device


def _reset_brian():
    reset_device("runtime")
    device.reinit()
    set_device("runtime")
    prefs.codegen.target = "numpy"
    defaultclock.dt = 0.1 * ms
    start_scope()


@pytest.fixture(autouse=True)
def brian_state():
    """numpy target before each test; runtime device and default clock after it."""
    prefs.codegen.target = "numpy"
    yield
    _reset_brian()

