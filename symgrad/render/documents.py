"""One target → one :class:`~symgrad.render.formats.Document`, and writing documents to disk."""

from pathlib import Path

from ..derivation import Derivation, derive
from ..errors import InputError
from ..io import write_atomic
from ..matrix.derivation import MatrixDerivation
from .environment import environment, template_errors
from .formats import RENDERERS, render_matrix
from .progress import DELAY, progress

FORMATS = ("md", "jekyll", "tex", "html")
LANGS = ("en", "ko", "both")


def build(target, format="md", lang="en", templates=None, at=None, wrt=None, output=None, lr=None,
          date=None, show_progress=True, *, static: bool = False, matrix: bool = False):
    """The :class:`Document` (text and figure files) of ``target`` in one format and language.

    ``static``: no stepper (the HTML page and the Jekyll post have one by default).
    ``matrix``: a catalog model's matrix form, derived at matrix level (as ``derive --matrix``).

    ``date`` (``YYYY-MM-DD``) dates a Jekyll post (default: $SOURCE_DATE_EPOCH's day, else today).
    A build that takes more than two seconds shows its stage on stderr when that is a terminal
    (``show_progress=False``: never, as inside ``render --all``, which has its own bar).
    """
    if format not in FORMATS:
        raise InputError(f"unknown format {format!r} (choose from {', '.join(FORMATS)})")
    if lang not in LANGS:
        raise InputError(f"unknown language {lang!r} (choose from {', '.join(LANGS)})")
    env = environment(templates)
    with progress(2, f"render {format}", delay=DELAY if show_progress else None) as bar:
        bar.step("deriving")
        d = target if isinstance(target, (Derivation, MatrixDerivation)) else \
            derive(target, at=at, wrt=wrt, output=output, matrix=matrix)
        bar.advance()
        bar.step("writing the document")
        dated = {"date": date} if format == "jekyll" else {}
        with template_errors(templates):
            if isinstance(d, MatrixDerivation):
                doc = render_matrix(d, format, lang=lang, lr=lr, env=env, static=static, **dated)
            else:
                doc = RENDERERS[format](d, lang=lang, lr=lr, env=env, static=static, **dated)
        bar.advance()
    return doc


def render(target, format="md", lang="en", out_dir=None, templates=None, at=None, wrt=None,
           output=None, lr=None, date=None, *, static: bool = False):
    """The document of ``target`` (a Derivation, expression, program or catalog id) as text.

    With ``out_dir``, the document and its figures are also written there.
    """
    doc = build(target, format=format, lang=lang, templates=templates, at=at, wrt=wrt,
                output=output, lr=lr, date=date, static=static)
    if out_dir is not None:
        write_document(doc, out_dir)
    return doc.text


def write_document(doc, out_dir, name=None):
    """Write a document and its figure files into ``out_dir``; returns the paths written."""
    out_dir = Path(out_dir)
    paths = [out_dir / (name or doc.name)]
    write_atomic(paths[0], doc.text)
    for file, data in sorted(doc.files.items()):
        write_atomic(out_dir / file, data)
        paths.append(out_dir / file)
    return paths


