"""The one Jinja2 environment of the documents and its filters (the i18n table: ../i18n.py).

A user's templates (``--templates DIR``) run in a :class:`jinja2.sandbox.SandboxedEnvironment`:
they see the document's data and the filters, never Python's internals (no ``__class__``, no
``os``); any mistake in them is one line naming the template file and its line."""

import contextlib
import os
import stat
import traceback
from pathlib import Path

import jinja2
import jinja2.sandbox

from ..errors import InputError, SymgradError
from ..i18n import strings, templates_dir  # noqa: F401 (strings: re-exported for the renderers)
from ..terminal import num
from .escape import (
    code_fence,
    edge_angle,
    escape_tex,
    html_text,
    md_cell,
    md_text,
    plain_line,
    prose_to_tex,
    px,
    tex_code,
    tex_glyph,
    tex_name,
    tex_num,
    yaml_string,
)


def _autoescape(name):
    return name is not None and name.endswith((".html.j2", ".svg.j2"))


_OPTIONS = dict(autoescape=_autoescape, keep_trailing_newline=True, trim_blocks=True,
                lstrip_blocks=True, undefined=jinja2.StrictUndefined)
ENV = jinja2.Environment(loader=jinja2.FileSystemLoader(str(templates_dir())), **_OPTIONS)
ENV.filters.update(
    md_cell=md_cell, escape_tex=escape_tex, tex_code=tex_code, tex_glyph=tex_glyph,
    tex_name=tex_name, tex_num=tex_num, num=num, px=px, edge_angle=edge_angle,
    yaml_string=yaml_string, md_text=md_text, html_text=html_text, code_fence=code_fence,
    prose_tex=prose_to_tex,          # catalog text (errata) in the LaTeX articles
)


TEMPLATE_LIMIT = 1_000_000        # bytes: a template file larger than this is refused


class UserTemplates(jinja2.BaseLoader):
    """The user's templates folder: regular files of at most TEMPLATE_LIMIT bytes, UTF-8."""

    def __init__(self, folder):
        self.folder = Path(folder)

    def get_source(self, environment, template):
        path = self.folder.joinpath(*jinja2.loaders.split_template_path(template))
        try:
            info = os.stat(path)
        except OSError:
            raise jinja2.TemplateNotFound(template) from None
        if not stat.S_ISREG(info.st_mode):
            raise InputError(f"template {path}: not a regular file")
        if info.st_size > TEMPLATE_LIMIT:
            raise InputError(f"template {path}: larger than {TEMPLATE_LIMIT} bytes")
        with open(path, "rb") as fh:
            data = fh.read(TEMPLATE_LIMIT + 1)
        try:
            source = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = data[:exc.start].count(b"\n") + 1
            raise InputError(f"template {path}, line {line}: not UTF-8 "
                             f"(byte 0x{data[exc.start]:02x})") from None
        mtime = info.st_mtime
        return source, str(path), lambda: os.path.exists(path) and os.stat(path).st_mtime == mtime


_USER_ENVS = {}


def environment(templates=None):
    """The environment, or a sandboxed one that looks in the user's ``templates`` folder first
    (the packaged templates it falls back to run in the sandbox too)."""
    if templates is None:
        return ENV
    folder = Path(templates)
    if not folder.is_dir():
        raise InputError(f"--templates {templates}: not a folder")
    key = str(folder.resolve())
    if key not in _USER_ENVS:
        env = jinja2.sandbox.SandboxedEnvironment(
            loader=jinja2.ChoiceLoader([UserTemplates(folder), ENV.loader]), **_OPTIONS)
        env.filters.update(ENV.filters)
        _USER_ENVS[key] = env
    return _USER_ENVS[key]


def _template_frame(exc):
    """The last traceback frame of ``exc`` inside a template (Jinja puts the template's file and
    line in the frames of its compiled code), or None."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__)
              if f.filename and f.filename.endswith(".j2")]
    return frames[-1] if frames else None


@contextlib.contextmanager
def template_errors(templates):
    """With user templates: a mistake in one (syntax, undefined name, missing include, an
    exception it raises, a sandbox refusal) becomes one line naming the file and line."""
    if templates is None:
        yield
        return
    try:
        yield
    except SymgradError:
        raise
    except jinja2.TemplateSyntaxError as exc:
        raise InputError(f"template {_one_line(exc.filename or exc.name)}, line {exc.lineno}: "
                         f"{_one_line(exc.message)}") from None
    except Exception as exc:            # anything raised while running template code
        frame = _template_frame(exc)
        if frame is None and not isinstance(exc, jinja2.TemplateError):
            raise                       # not from a template: a bug, keep its traceback
        what = f"template {_one_line(frame.filename)}, line {frame.lineno}" if frame else \
            "templates"
        if isinstance(exc, jinja2.TemplateNotFound):
            message = f"no template {exc.name!r} (in {templates} or symgrad's)"
        else:
            message = f"{type(exc).__name__}: {_one_line(str(exc))}"
        raise InputError(f"{what}: {message}") from None


def _one_line(text, limit=200):
    text = " ".join(plain_line(text).split())
    return text if len(text) <= limit else text[:limit] + "…"

