"""Measurements on recorded traces and spike trains (plain NumPy)."""

import numpy as np

__all__ = ["exp_decay_tau", "burst_statistics", "split_events"]


def exp_decay_tau(t_ms, x, t_off, skip=None, span=None):
    """Slowest relaxation time (ms) of *x* after *t_off*, from a log-linear fit.

    The fit window starts ``skip`` ms after ``t_off`` (default 20 ms, when the
    fast modes have died out) and ends after ``span`` ms or where ``|x|`` has
    fallen below 1e-4 of its value at ``t_off``.
    """
    t_ms, x = np.asarray(t_ms, float), np.asarray(x, float)
    skip = 20.0 if skip is None else skip
    span = 60.0 if span is None else span
    x0 = abs(np.interp(t_off, t_ms, x))
    sel = (t_ms >= t_off + skip) & (t_ms <= t_off + skip + span) & (np.abs(x) > 1e-4 * x0)
    if sel.sum() < 3:
        return float("nan")
    slope = np.polyfit(t_ms[sel], np.log(np.abs(x[sel])), 1)[0]
    return float(-1.0 / slope)


def split_events(spike_times, burst_isi):
    """Split a sorted spike train into events; return (event_times, is_burst).

    A spike whose preceding inter-spike interval exceeds *burst_isi* starts an
    event; an event is a burst when the next spike follows within
    *burst_isi* (Payeur et al. 2021: 16 ms; the burst counts once).
    """
    s = np.sort(np.asarray(spike_times, float))
    if s.size == 0:
        return s, np.zeros(0, bool)
    isi = np.diff(s)
    starts = np.r_[True, isi > burst_isi]
    idx = np.flatnonzero(starts)
    nxt = np.r_[isi, np.inf]
    return s[idx], nxt[idx] <= burst_isi


def burst_statistics(trains, burst_isi, duration):
    """Population event rate, burst rate, burst probability and firing rate."""
    n = max(len(trains), 1)
    n_spikes = sum(len(tr) for tr in trains)
    events = bursts = 0
    for tr in trains:
        ev, is_burst = split_events(tr, burst_isi)
        events += ev.size
        bursts += int(is_burst.sum())
    return dict(event_rate_hz=events / n / duration, burst_rate_hz=bursts / n / duration,
                burst_probability=bursts / events if events else float("nan"),
                firing_rate_hz=n_spikes / n / duration)
