"""The gallery (``symgrad render --all``): every catalog model in output/<id>/, plus index pages."""

from pathlib import Path

from ..catalog import models
from ..io import write_atomic
from .documents import build, write_document
from .environment import environment, template_errors
from .jekyll import GALLERY_DATE
from .mathml import commonmark_html
from .progress import progress

REFRESH = "symgrad render --all -o output/"

# Every document comes with its figure files: the Markdown post's SVGs, the LaTeX article's plot
# PDFs (matplotlib, written without dates, so they are byte-stable like the SVGs).
GALLERY = (("md", "both", "README.md"), ("html", "both", None), ("tex", "en", None))


def render_all(out_dir, templates=None):
    """Render every catalog model into ``out_dir/<id>/`` and write the index pages; returns the
    paths."""
    out_dir = Path(out_dir)
    written, entries = [], []
    catalog = models()
    with progress(len(catalog) * len(GALLERY), "render --all", delay=0) as bar:
        for model in catalog:
            folder = out_dir / model.id
            docs = {}
            for fmt, lang, name in GALLERY:
                bar.step(f"{model.id} {fmt}")
                doc = build(model.id, format=fmt, lang=lang, templates=templates,
                            show_progress=False)
                written += write_document(doc, folder, name)
                docs[fmt] = name or doc.name
                bar.advance()
            entries.append({"id": model.id, "title": model.title,
                            "description": model.description,
                            "seeds": ", ".join(model.seeds), "docs": docs})
    env = environment(templates)
    ctx = {"entries": entries, "refresh": REFRESH}
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
    or :data:`GALLERY_DATE`, so that a rerun writes the same files; returns the paths."""
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
