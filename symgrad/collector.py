"""Python's garbage collector during symgrad's own work.

Building and differentiating a graph allocates hundreds of thousands of SymPy objects, nearly
all without reference cycles, and the collector, which by default runs every 700 allocations,
walks the young ones again and again (at 10,000 gates it took a quarter of a derivation). While
``derive`` or ``compile`` runs, it runs every 50,000 allocations instead; the thresholds are
restored afterwards, so a program that uses symgrad keeps its own. The command line, whose
process is symgrad's, also freezes the objects of the modules it imported (``cli.main``).
"""

import functools
import gc

THRESHOLD = (50_000, 20, 100)     # allocations before a young collection; collections of each
                                  # generation before the next one is collected


def fewer_collections(function):
    """``function``, run with the collector's thresholds raised to THRESHOLD (none lowered)."""
    @functools.wraps(function)
    def run(*args, **kwargs):
        old = gc.get_threshold()
        gc.set_threshold(*(max(a, b) for a, b in zip(old, THRESHOLD, strict=True)))
        try:
            return function(*args, **kwargs)
        finally:
            gc.set_threshold(*old)
    return run
