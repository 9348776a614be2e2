"""The loss curve of a training run (``symgrad train --plot FILE``), as PNG or SVG."""

import io
import os

from .errors import InputError
from .io import write_atomic

PLOT_FORMATS = ("png", "svg")


def check_plot_path(path):
    """The format of a ``--plot`` file from its extension (png or svg); any other is an error."""
    ext = os.path.splitext(os.fspath(path))[1].lower().lstrip(".")
    if ext not in PLOT_FORMATS:
        raise InputError(f"--plot {os.fspath(path)!r}: the file must end in .png or .svg")
    return ext


def plot_loss(result, path, title=None):
    """Write the loss curve (loss after k updates, k = 0..steps) to ``path``, atomically."""
    # Lazy: matplotlib takes a good part of a second to import, and only --plot needs it.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fmt = check_plot_path(path)
    losses = list(result.history) + [result.final_loss]
    fig = Figure(figsize=(6, 3.6), dpi=110)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.plot(range(len(losses)), losses, color="#1f77b4", linewidth=1.6)
    positive = [v for v in losses if v > 0]
    if len(positive) == len(losses) and max(positive) / min(positive) > 100:
        ax.set_yscale("log")
    ax.set_xlabel("step (minibatch loss)" if result.settings.get("shuffle") else "step")
    ax.set_ylabel("loss")
    s = result.settings
    ax.set_title(title or f"{s.get('target')}: {s.get('optimizer')}, lr {s.get('lr'):g}",
                 fontsize=10)
    ax.grid(True, alpha=0.3)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format=fmt, metadata={"Date": None} if fmt == "svg" else None)
    write_atomic(path, buf.getvalue())


__all__ = ["PLOT_FORMATS", "check_plot_path", "plot_loss"]
