"""Exceptions and input checks shared by the whole package."""

import brian2
import numpy as np
from brian2.units.fundamentalunits import DIMENSIONLESS, Quantity, get_dimensions

__all__ = ["ModelError", "check_quantity", "check_choice", "format_quantity"]


class ModelError(ValueError):
    """A model, rule or protocol was given a value it cannot use.

    The message always names the parameter, the value received and what is
    allowed, so that it can be shown to a user without a traceback.
    """


def format_quantity(value):
    """Format a number or quantity the way Brian2 prints it (``"10. ms"``)."""
    if isinstance(value, Quantity):
        return str(value)
    return repr(value)


def check_quantity(name, value, unit, *, positive=False, nonnegative=False):
    """Check that *value* is a quantity with the dimensions of *unit*.

    Parameters
    ----------
    name : str
        Parameter name used in the error message.
    value : `Quantity` or float
        The value to check.
    unit : `Unit` or `Quantity`
        Anything with the expected dimensions; ``1`` for dimensionless.
    positive, nonnegative : bool
        Require ``value > 0`` or ``value >= 0`` (element-wise).

    Returns
    -------
    value : `Quantity`
        The value, unchanged.

    Raises
    ------
    ModelError
        With a message naming the parameter, the value and what is allowed.
    """
    expected = get_dimensions(unit) if isinstance(unit, Quantity) else DIMENSIONLESS
    got = get_dimensions(value) if isinstance(value, Quantity) else DIMENSIONLESS
    if got is not expected:
        unit_name = "a dimensionless number" if expected is DIMENSIONLESS else (
            f"a quantity in units of {brian2.get_unit(expected)!s}")
        raise ModelError(
            f"Parameter '{name}' = {format_quantity(value)} has the wrong dimensions: "
            f"expected {unit_name}.")
    arr = np.asarray(value)
    if not np.all(np.isfinite(arr)):
        raise ModelError(f"Parameter '{name}' = {format_quantity(value)} must be finite.")
    if positive and np.any(arr <= 0):
        raise ModelError(
            f"Parameter '{name}' = {format_quantity(value)} must be strictly positive.")
    if nonnegative and np.any(arr < 0):
        raise ModelError(
            f"Parameter '{name}' = {format_quantity(value)} must be zero or positive.")
    return value


def check_choice(name, value, choices):
    """Check that *value* is one of *choices*; the error lists them."""
    if value not in choices:
        raise ModelError(
            f"Unknown {name} {value!r}; allowed: {', '.join(map(str, choices))}.")
    return value
