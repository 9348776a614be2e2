"""Blog-style documents of a derivation: Markdown, Jekyll, LaTeX and HTML, in English and Korean.

One Jinja2 environment (:data:`ENV`) with named filters renders the templates of the top-level
``templates/`` folder (packaged as ``symgrad/templates`` in the wheel). A document context turns a
:class:`~symgrad.derivation.Derivation` into plain data — LaTeX strings, formatted numbers, figure
references — and one small function per format writes the document:

* ``md``: GitHub-flavoured Markdown with ``$$`` display math and SVG figures beside it;
* ``jekyll``: the same with front matter, figures inline, ready for ``_posts/``;
* ``tex``: a standalone article for pdflatex (kotex for Korean);
* ``html``: one self-contained page, math converted to MathML, figures inline.

Templates never compute a derivative; the numbers come from the derivation and the figures from
``symgrad/figures.py``. Rendering is deterministic. The modules, in the order data flows:

* ``escape``: text for TeX, Markdown and YAML; names and numbers as LaTeX (the filters);
* ``linebreak``: long display equations broken into ``aligned`` rows by estimated widths;
* ``korean``: the particle 로/으로 after a number, the polite sentence style;
* ``environment``: the one Jinja environment and the i18n strings table;
* ``prose``: the strings laid out per language and format, catalog titles and errata;
* ``context``, ``matrix_context``: the plain data of a scalar and a matrix document;
* ``document_figures``: a document's figures and how each format embeds them;
* ``mathml``: Markdown → HTML with MathML;
* ``formats``: one function per format; ``documents``: a target → a document, written to disk;
* ``gallery``: every catalog model rendered into ``output/`` (``symgrad render --all``).

Nothing here knows argparse: ``symgrad/cli.py`` reads the command line and calls :func:`build`,
:func:`write_document` and :func:`render_all`.
"""

from ..derivation import JUPYTER_VIEWS
from ..matrix.derivation import JUPYTER_VIEWS as MATRIX_VIEWS
from .context import (
                      CLOSED_FORM_LIMIT,
                      DEFAULT_LR,
                      Maths,
                      document_context,
                      gradient_entry,
                      learning_rate,
                      summary_latex,
)
from .document_figures import DESCENT_STEPS, Figure, make_figures
from .documents import FORMATS, LANGS, build, render, write_document
from .environment import ENV, environment, strings, templates_dir
from .escape import clean_math, escape_tex, prose_to_tex, tex_name, tex_num
from .formats import (
                      RENDERERS,
                      Document,
                      render_html,
                      render_jekyll,
                      render_matrix,
                      render_md,
                      render_tex,
)
from .gallery import GALLERY, REFRESH, render_all, render_posts
from .jekyll import GALLERY_DATE, kramdown_math, liquid_raw, post_date, post_name
from .jupyter import derivation_html, matrix_html, matrix_markdown, scalar_markdown
from .korean import polite_ko, ro_particle
from .linebreak import ROW_EM, aligned_rows, display_math, math_width, split_math
from .mathml import markdown_to_html
from .matrix_context import matrix_context

__all__ = [
    "CLOSED_FORM_LIMIT", "DEFAULT_LR", "GALLERY_DATE", "kramdown_math", "liquid_raw", "post_date",
    "post_name", "render_posts", "DESCENT_STEPS", "ENV", "FORMATS", "GALLERY", "LANGS",
    "REFRESH", "RENDERERS", "ROW_EM", "Document", "Figure", "Maths", "aligned_rows", "build",
    "clean_math", "display_math", "document_context", "environment", "escape_tex", "gradient_entry",
    "learning_rate", "make_figures", "markdown_to_html", "math_width", "matrix_context",
    "polite_ko", "prose_to_tex", "render", "render_all", "render_html", "render_jekyll",
    "render_matrix", "render_md", "render_tex", "ro_particle", "split_math", "strings",
    "summary_latex", "tex_name", "tex_num", "templates_dir", "write_document",
]

# Jupyter shows a Derivation and a MatrixDerivation with these views (derivation.py and
# matrix/derivation.py never import the renderers).
JUPYTER_VIEWS.update(markdown=scalar_markdown, latex=summary_latex, html=derivation_html)
MATRIX_VIEWS.update(markdown=matrix_markdown, html=matrix_html)
