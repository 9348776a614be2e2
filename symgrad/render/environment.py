"""The one Jinja2 environment of the documents, its filters, and the i18n strings table."""

import json
from pathlib import Path

import jinja2

from ..errors import InputError, SymgradError
from ..terminal import num
from .escape import (
    edge_angle,
    escape_tex,
    md_cell,
    prose_to_tex,
    px,
    tex_code,
    tex_glyph,
    tex_name,
    tex_num,
    yaml_string,
)


def templates_dir():
    """The packaged templates (``symgrad/templates`` in a wheel, ``templates/`` in a checkout)."""
    package = Path(__file__).resolve().parent.parent        # symgrad/ (this is symgrad/render/…)
    for candidate in (package / "templates", package.parent / "templates"):
        if (candidate / "derivation.md.j2").is_file():
            return candidate
    return package / "templates"     # missing: get_template will say which file it could not find


def _autoescape(name):
    return name is not None and name.endswith((".html.j2", ".svg.j2"))


ENV = jinja2.Environment(
    loader=jinja2.FileSystemLoader(str(templates_dir())),
    autoescape=_autoescape,
    keep_trailing_newline=True,
    trim_blocks=True,
    lstrip_blocks=True,
    undefined=jinja2.StrictUndefined,
)
ENV.filters.update(
    md_cell=md_cell, escape_tex=escape_tex, tex_code=tex_code, tex_glyph=tex_glyph,
    tex_name=tex_name, tex_num=tex_num, num=num, px=px, edge_angle=edge_angle,
    yaml_string=yaml_string,
    prose_tex=prose_to_tex,          # catalog text (errata) in the LaTeX articles
)


def environment(templates=None):
    """The environment, or an overlay that looks in the user's ``templates`` folder first."""
    if templates is None:
        return ENV
    folder = Path(templates)
    if not folder.is_dir():
        raise InputError(f"--templates {templates}: not a folder")
    user_first = jinja2.ChoiceLoader([jinja2.FileSystemLoader(str(folder)), ENV.loader])
    return ENV.overlay(loader=user_first)


_STRINGS = {}


def strings():
    """The i18n table (``templates/strings.json``): key -> {"en": ..., "ko": ...}."""
    if not _STRINGS:
        path = templates_dir() / "strings.json"
        try:
            with open(path, encoding="utf-8") as fh:
                _STRINGS.update(json.load(fh))
        except OSError as exc:
            raise SymgradError(f"cannot read the document strings {path}: {exc.strerror}") from None
    return _STRINGS

