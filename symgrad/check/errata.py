"""The catalog's errata checked as claims: each erratum's claim (the quantity and the number the
post printed) goes through the same check and the same mistake search as ``symgrad check``, so a
document can say which known mistake gives the published number, or that none does.

The claims are made in code, not read from a file: the model's catalog id is the target, the
erratum's named point (``Erratum.at``) the ``[at]`` table, and, at the default point, the numbers
the post printed before (``Model.published``) come first, as a claims file would list them, so
that the search can try them as the rounded values the post went on with.
"""
from .claims import claims_from_data
from .verdict import check_claims


def erratum_claims(model, number):
    """The claims data of erratum ``number`` (1-based) of ``model``: its claim comes last."""
    erratum = model.errata[number - 1]
    data = {"title": f"{model.id}: erratum {number}", "model": model.id}
    claims = []
    if erratum.at:
        data["at"] = dict(model.points[erratum.at])
    else:
        # repr keeps the digits the catalog wrote (0.0828006), and with them the tolerance
        claims = [{"value": name, "equals": repr(float(v))} for name, v in model.published.items()]
    data["claim"] = claims + [dict(erratum.claim)]
    return data


# The catalog is fixed for the life of the process, so each erratum is searched once however many
# documents show it (the gallery renders each model in several formats and languages).
_CHECKED = {}             # (model id, erratum number) -> ClaimResult


def check_erratum(model, number):
    """The :class:`~.report.ClaimResult` of erratum ``number`` (1-based) of ``model``: the
    recomputed correct value, and the diagnosis of the published number (or the honest none)."""
    key = (model.id, number)
    if key not in _CHECKED:
        claims_file = claims_from_data(f"{model.id} erratum {number}",
                                       erratum_claims(model, number))
        _CHECKED[key] = check_claims(claims_file).claims[-1]
    return _CHECKED[key]
