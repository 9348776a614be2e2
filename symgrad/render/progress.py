"""Progress on stderr for long renders: ``render --all`` always, one document when it takes more
than :data:`DELAY` seconds; only when stderr is a terminal (a pipe or a log file stays clean)."""

import sys
import threading

from tqdm import tqdm

DELAY = 2.0          # seconds: a render that finishes sooner prints nothing


class Progress:
    """Steps of a long job, shown as a tqdm bar on stderr once ``delay`` seconds have passed.

    A timer thread opens the bar, so a single slow step (a 30-second derivation) is announced
    while it runs, not after it; ``delay=None`` never shows anything. Use as a context manager;
    the bar is erased at the end."""

    def __init__(self, total, what, delay=DELAY):
        self.total, self.what, self.done, self.stage = total, what, 0, ""
        self.bar, self.lock, self.timer = None, threading.Lock(), None
        if delay is not None and _terminal() and delay <= 0:
            self._open()
        elif delay is not None and _terminal():
            self.timer = threading.Timer(delay, self._open)
            self.timer.daemon = True
            self.timer.start()

    def _open(self):
        with self.lock:
            if self.bar is None and self.done < self.total:
                self.bar = tqdm(total=self.total, initial=self.done, desc=self.what,
                                leave=False, file=sys.stderr, unit="step", dynamic_ncols=True,
                                mininterval=0)
                self.bar.set_postfix_str(self.stage)

    def step(self, stage):
        """Start ``stage`` (a few words), the previous one done."""
        with self.lock:
            self.stage = stage
            if self.bar is not None:
                self.bar.set_postfix_str(stage)

    def advance(self):
        with self.lock:
            self.done += 1
            if self.bar is not None:
                self.bar.update()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.timer is not None:
            self.timer.cancel()
        with self.lock:
            self.done = self.total
            if self.bar is not None:
                self.bar.close()
        return False


def progress(total, what, delay=DELAY):
    return Progress(total, what, delay)


def _terminal():
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):        # no stderr, or a closed one
        return False
