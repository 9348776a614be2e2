"""The documents' prose: the i18n strings laid out per language and format, and catalog text
(titles, errata) in the document's languages."""

from ..check.errata import check_erratum
from ..i18n import catalog_text, joined, strings
from ..terminal import num
from .escape import prose_to_tex
from .korean import polite_ko


class Prose:
    """Looks up the i18n strings and lays them out for one language setting and one format."""

    def __init__(self, lang, fmt):
        self.lang, self.fmt = lang, fmt
        self.langs = ("ko", "en") if lang == "both" else (lang,)

    def raw(self, key, lang, **kw):
        """The string in Markdown-ish prose, whatever the format."""
        values = {k: (v[lang] if isinstance(v, dict) else v) for k, v in kw.items()}
        return strings()[key][lang].format(**values)

    def text(self, key, lang, **kw):
        out = self.raw(key, lang, **kw)
        return prose_to_tex(out) if self.fmt == "tex" else out

    def footer(self, model_id, seeds):
        """The closing line in each language (the catalog model and its seeds, when there is
        one)."""
        key = "footer_model" if seeds else "footer_model_unseeded"     # no "seed posts )"
        return [self.text("p_footer", lang,
                          model=self.raw(key, lang, id=model_id, seeds=seeds)
                          if model_id else "") for lang in self.langs]

    def say(self, key, **kw):
        """One paragraph per language (Korean first), separated by a blank line."""
        return "\n\n".join(self.text(key, lang, **kw) for lang in self.langs)

    def head(self, key, **kw):
        """A heading: both languages on one line (Korean · English)."""
        return self.joiner.join(self.text(key, lang, **kw) for lang in self.langs)

    @property
    def joiner(self):
        return " $\\cdot$ " if self.fmt == "tex" else " · "



def title_of(model, langs):
    """The document title in the document's languages (Korean · English for both)."""
    return joined(catalog_text("title", model.id, model.title, lang) for lang in langs)


def description_of(model, langs):
    """The model's one-line description in the document's languages (Korean · English for
    both)."""
    return joined(catalog_text("description", model.id, model.description, lang)
                  for lang in langs)


def errata_of(model, langs):
    """A catalog model's errata for a document: quantities, explanations and the diagnosis of
    each published number in each language. The correct value and the diagnosis are recomputed
    here, by the check of the erratum's claim (``symgrad.check.errata``), not taken from the
    catalog's text."""
    out = []
    for i, e in enumerate(model.errata, 1):
        quantity = {lang: catalog_text("erratum", f"{model.id}:{i}", e.quantity, lang)
                    for lang in ("en", "ko")}
        checked = check_erratum(model, i)
        out.append({"quantity": quantity,
                    "item": list(dict.fromkeys(quantity[lang] for lang in langs)),
                    "published": num(e.published), "correct": num(checked.correct),
                    "explanation": {"en": e.explanation,
                                    "ko": polite_ko(e.explanation_ko or e.explanation)},
                    "diagnosis": {lang: erratum_diagnosis(checked, lang)
                                  for lang in ("en", "ko")}})
    return out


def erratum_diagnosis(result, lang):
    """What the mistake search says about a published number (a check's ClaimResult), in
    ``lang``: the known mistake that gives it, or that no single one does ("" if it holds)."""
    if result.holds:
        return ""
    claimed = f"{result.claimed:.15g}"
    d = result.diagnosis
    if d is not None:
        return strings()["p_erratum_found"][lang].format(
            claimed=claimed, mistake=d.mistake if lang == "en" else d.mistake_ko)
    search = result.search
    mistakes = f"{search.tried} mistake{'s' if search.tried != 1 else ''}"
    text = strings()["p_erratum_none"][lang].format(claimed=claimed, tried=search.tried,
                                                    mistakes=mistakes)
    partial = search.partial if lang == "en" else search.partial_ko
    # a bounded search says what it left out, as a sentence of its own
    return f"{text} {partial[:1].upper()}{partial[1:]}." if partial else text
