"""Checking claims: each claim's correct value against the file's number, within its tolerance;
for each failing claim, the arithmetic of its correct value and where the error first appears."""
from ..errors import InputError
from .arithmetic import derivation_of
from .claims import load_claims
from .diagnosis import diagnose, none_found, none_found_ko
from .divergence import first_divergence, wrong_point_remark
from .matrix_verdict import check_matrix_claims
from .model import claims_model, resolve_names
from .report import ClaimResult, FileReport, Report


def check_file(path):
    """Check the claims file at ``path``: every claim validated first, then derived."""
    return check_claims(load_claims(path))


def check_claims(claims_file):
    """Check a validated :class:`~.claims.ClaimsFile` (from a file, or made in code)."""
    path = claims_file.path
    claims = claims_file.claims
    model = claims_model(claims_file)
    if model.is_matrix:
        return check_matrix_claims(model, claims_file)
    resolve_names(model, claims)
    results = {}
    for c in claims:
        correct = model.evaluate(c)
        holds = abs(c.equals - correct) <= c.tol
        results[c.number] = ClaimResult(c.number, c.kind, c.label, c.equals, correct, c.tol, holds,
                                        note=c.note, line=c.line, quantity_ko=c.label_ko)
    for c in claims:
        r = results[c.number]
        if not r.holds:
            r.derivation = derivation_of(model, c)
            r.divergence = first_divergence(model, c, claims, results)
            r.remark = wrong_point_remark(model, c, claims, results)
            # the Korean text report's sentences (not in the JSON); the numbers are the same
            r.derivation_ko = derivation_of(model, c, "ko")
            r.divergence_ko = first_divergence(model, c, claims, results, "ko")
            r.remark_ko = wrong_point_remark(model, c, claims, results, "ko")
            search = diagnose(model, c, claims, results)
            r.diagnosis, r.search = search.diagnosis, search
            if search.diagnosis is None:
                r.searched, r.searched_ko = none_found(c, search), none_found_ko(c, search)
    return FileReport(str(path), claims_file.title, [results[c.number] for c in claims])


def check(path_or_paths):
    """Check one claims file or several; a malformed file is an InputError naming its line."""
    one = isinstance(path_or_paths, (str, bytes)) or hasattr(path_or_paths, "__fspath__")
    try:
        paths = [path_or_paths] if one else list(path_or_paths)
    except TypeError:
        raise InputError(f"check() takes a claims file's path or a list of paths, not "
                         f"{type(path_or_paths).__name__}") from None
    if not paths:
        raise InputError("check() needs at least one claims file")
    return Report([check_file(p) for p in paths])
