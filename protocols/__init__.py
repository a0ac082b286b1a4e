"""Protocols: build, run and measure; stored runs; the command line."""

from .backend import BACKENDS, DEFAULT_BACKEND, Backend
from .registry import PROTOCOLS, get_protocol, run
from .results import load

__all__ = ["BACKENDS", "DEFAULT_BACKEND", "Backend", "PROTOCOLS", "get_protocol", "run", "load"]
