"""Progress bars for sweeps and multi-seed runs: one line on a terminal, silent otherwise."""

import sys
import time

__all__ = ["Progress", "progress"]


class Progress:
    """A one-line progress bar on a terminal; silent when the stream is not a terminal."""

    def __init__(self, total, label="points", stream=None, width=30):
        self.total, self.label, self.width = total, label, width
        self.stream = stream if stream is not None else sys.stderr
        self.active = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.done = self.skipped = self.failed = 0
        self.t0 = time.perf_counter()

    def update(self, done=0, skipped=0, failed=0):
        self.done += done
        self.skipped += skipped
        self.failed += failed
        if not self.active:
            return
        n = self.done + self.skipped + self.failed
        fill = int(self.width * n / max(self.total, 1))
        extra = f", {self.skipped} stored before" if self.skipped else ""
        extra += f", {self.failed} failed" if self.failed else ""
        self.stream.write(f"\r[{'#' * fill}{'.' * (self.width - fill)}] {n}/{self.total} "
                          f"{self.label}{extra}  {time.perf_counter() - self.t0:6.0f} s")
        self.stream.flush()

    def close(self):
        if self.active:
            self.stream.write("\n")
            self.stream.flush()


def progress(items, label="seeds", stream=None):
    """Iterate over *items* with a :class:`Progress` bar (``for seed in progress(seeds): ...``)."""
    items = list(items)
    bar = Progress(len(items), label=label, stream=stream)
    try:
        for item in items:
            yield item
            bar.update(done=1)
    finally:
        bar.close()
