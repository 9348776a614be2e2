"""The gallery (``symgrad render --all``): every catalog model in output/<id>/, the user-style
matrix programs of examples/matrix/ in output/<name>/, plus index pages."""

from dataclasses import dataclass, replace
from pathlib import Path

from ..catalog import models
from ..io import write_atomic
from ..point import parse_point, shapes_of
from ..target import read_text_file, resolve
from .documents import build, write_document
from .environment import environment, template_errors
from .jekyll import GALLERY_DATE
from .mathml import commonmark_html
from .progress import progress

REFRESH = "symgrad render --all -o output/"

# Every document comes with its figure files: the Markdown post's SVGs, the LaTeX article's plot
# PDFs (matplotlib, written without dates, so they are byte-stable like the SVGs).
GALLERY = (("md", "both", "README.md"), ("html", "both", None), ("tex", "en", None))

# Programs as a user writes them, rendered beside the catalog: a file of examples/matrix/, its
# values in the file of the same name ending .at (the text of --at), and the inputs to
# differentiate (None: the program's parameters, every input that is not a label).
EXAMPLES = Path(__file__).resolve().parent.parent.parent / "examples" / "matrix"
PROGRAMS = (("linear_layer.sg", None), ("softmax_classifier.sg", "W,b"))
MAX_AT_BYTES = 100_000


@dataclass(frozen=True)
class GalleryProgram:
    """One user program of the gallery, resolved, with its point and the inputs to derive."""

    problem: object          # a symgrad.target.Problem (a matrix program)
    at: dict
    wrt: str
    description: str         # the first line of the program's header comment

    @property
    def id(self):
        return self.problem.slug


def gallery_programs(folder=EXAMPLES):
    """The user programs of the gallery, read from ``folder``; none when it does not exist (an
    installed package has no examples/, and then the gallery is the catalog's)."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    programs = []
    for name, wrt in PROGRAMS:
        path = folder / name
        text = read_text_file(str(path), "program file")
        at = parse_point(" ".join(read_text_file(str(path.with_suffix(".at")), "--at file")
                                  .split()))
        problem = resolve(str(path), shapes=shapes_of(at))
        # documents name the program by its place in the repository, not by this machine's path
        shown = f"examples/matrix/{name}"
        problem = replace(problem, label=shown, path=shown)
        header = next((line.lstrip("#").strip() for line in text.splitlines()
                       if line.startswith("#")), problem.slug)
        programs.append(GalleryProgram(problem, at, wrt, header))
    return programs


def render_all(out_dir, templates=None):
    """Render every catalog model into ``out_dir/<id>/`` and every gallery program into
    ``out_dir/<name>/``, and write the index pages; returns the paths."""
    out_dir = Path(out_dir)
    written, entries, program_entries = [], [], []
    catalog, programs = models(), gallery_programs()
    with progress((len(catalog) + len(programs)) * len(GALLERY), "render --all", delay=0) as bar:
        for model in catalog:
            docs = {}
            for fmt, lang, name in GALLERY:
                bar.step(f"{model.id} {fmt}")
                doc = build(model.id, format=fmt, lang=lang, templates=templates,
                            show_progress=False)
                written += write_document(doc, out_dir / model.id, name)
                docs[fmt] = name or doc.name
                bar.advance()
            entries.append({"id": model.id, "title": model.title,
                            "description": model.description,
                            "seeds": ", ".join(model.seeds), "docs": docs})
        for program in programs:
            docs = {}
            for fmt, lang, name in GALLERY:
                bar.step(f"{program.id} {fmt}")
                doc = build(program.problem, format=fmt, lang=lang, templates=templates,
                            at=program.at, wrt=program.wrt, show_progress=False)
                written += write_document(doc, out_dir / program.id, name)
                docs[fmt] = name or doc.name
                bar.advance()
            program_entries.append({"id": program.id, "file": program.problem.path,
                                    "description": program.description, "docs": docs})
    env = environment(templates)
    ctx = {"entries": entries, "programs": program_entries, "refresh": REFRESH}
    with template_errors(templates):
        index_md = env.get_template("index.md.j2").render(ctx)
        index_html = env.get_template("index.html.j2").render(body=commonmark_html(index_md))
    write_atomic(out_dir / "README.md", index_md)
    written.append(out_dir / "README.md")
    write_atomic(out_dir / "index.html", index_html)
    written.append(out_dir / "index.html")
    return written


def render_posts(out_dir, lang="both", templates=None, date=None):
    """Every catalog model as a Jekyll post in ``out_dir`` (a site's ``_posts/``), dated ``date``
    or :data:`GALLERY_DATE`, so that a rerun writes the same files; returns the paths. (The
    gallery's user programs are not posts: ``symgrad render FILE --format jekyll`` makes one.)"""
    written = []
    catalog = models()
    with progress(len(catalog), "render --all", delay=0) as bar:
        for model in catalog:
            bar.step(model.id)
            doc = build(model.id, format="jekyll", lang=lang, templates=templates,
                        date=date or GALLERY_DATE, show_progress=False)
            written += write_document(doc, out_dir)
            bar.advance()
    return written
