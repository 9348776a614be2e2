"""The i18n table, ``templates/strings.json``: key -> {"en": ..., "ko": ...}.

Every sentence symgrad writes for a reader in English or Korean lives there, the documents' and
the terminal's (``term_*``) and the dimension checks' (``dim_*``) alike, so a translator edits one
file.
This module only finds and reads it: it imports no Jinja2, so ``symgrad derive`` can speak Korean
without loading the renderer."""

import json
from pathlib import Path

from .errors import SymgradError


def templates_dir():
    """The packaged templates (``symgrad/templates`` in a wheel, ``templates/`` in a checkout)."""
    package = Path(__file__).resolve().parent          # symgrad/
    for candidate in (package / "templates", package.parent / "templates"):
        if (candidate / "derivation.md.j2").is_file():
            return candidate
    return package / "templates"     # missing: get_template will say which file it could not find


_STRINGS = {}


def strings():
    """The whole table, read once."""
    if not _STRINGS:
        path = templates_dir() / "strings.json"
        try:
            with open(path, encoding="utf-8") as fh:
                _STRINGS.update(json.load(fh))
        except OSError as exc:
            raise SymgradError(f"cannot read the document strings {path}: {exc.strerror}") from None
    return _STRINGS


def say(key, lang, **fields):
    """The sentence ``key`` in ``lang`` ("en" or "ko"), its ``{fields}`` filled in."""
    text = strings()[key][lang]
    return text.format(**fields) if fields else text


def langs_of(lang):
    """The languages a ``--lang`` value writes, Korean first for "both" (as ``check`` does)."""
    if lang not in ("en", "ko", "both"):
        raise ValueError(f"lang must be en, ko or both, not {lang!r}")
    return ("ko", "en") if lang == "both" else (lang,)


def joined(texts):
    """Texts in several languages on one line, each once: 순전파 · Forward pass."""
    return " · ".join(dict.fromkeys(texts))


def gate_label(label, langs, markdown=True):
    """A gate's label (``matrix product``) in ``langs``, joined (행렬 곱 · matrix product); symbols
    (``+``) and labels without a Korean entry (``gate:...``) stay as they are. ``markdown``:
    keep the documents' `code` marks around English terms (the terminal drops them)."""
    entry = strings().get(f"gate:{label}")
    texts = [entry[lang] if entry else label for lang in langs]
    return joined(texts if markdown else (t.replace("`", "") for t in texts))


def catalog_text(kind, model_id, english, lang):
    """A catalog string (a model's title, an erratum's quantity) in ``lang``. The catalog is
    written in English; the Korean comes from strings.json (``title:<id>``,
    ``erratum:<id>:<n>``), whose ``en`` must still be the catalog's text, else the English is
    used."""
    if lang == "en":
        return english
    entry = strings().get(f"{kind}:{model_id}")
    return entry["ko"] if entry and entry.get("en") == english else english
