"""Checking the claims of a matrix program: arrays compared entry by entry.

An array claim holds when every entry is within its tolerance (``tol``, or half a unit in the last
digit each entry is printed with). A failing one names the first wrong entry by index, in NumPy's
order (``∂f/∂W[1, 0]``), with the claimed and the correct number, and shows the correct array:
in full up to :data:`SHOWN_IN_FULL` entries, else its shape and norm and the wrong entries
(at most :data:`WRONG_SHOWN`). A claim of the wrong shape fails on one line naming both shapes.
The known mistakes of a matrix gradient (the transposed layout, the lost sign) are tried by
comparing the claimed array with the correct one changed that way; nothing else is guessed.
"""
from dataclasses import asdict, dataclass, field

import numpy as np

from ..jsonout import json_number
from .diagnosis import Diagnosis
from .matrix_model import resolve_matrix_names
from .report import _TEXT_ONLY, ClaimResult, FileReport

SHOWN_IN_FULL = 64        # as matrix.derivation.SMALL: larger arrays are shown as shape and norm
WRONG_SHOWN = 8           # wrong entries listed in a report line


def shape_text(shape):
    return "×".join(map(str, shape)) or "scalar"


def entry(x, digits=6):
    return f"{x:.{digits}g}"


def nested(a, number=entry):
    """An array as nested lists, written with ``number`` (text) or converted (JSON)."""
    a = np.asarray(a, dtype=float)
    if a.ndim == 0:
        return number(float(a))
    return [nested(row, number) for row in a]


def array_text(a):
    """``[[0.088, 0.176], [0.104, 0.208]]``: 6 significant digits per entry."""
    return str(nested(a)).replace("'", "")


def index_text(index):
    return "[" + ", ".join(map(str, index)) + "]"


@dataclass
class ArrayClaimResult(ClaimResult):
    """A claim whose claimed or correct value is an array (claimed, correct, tol: ndarrays)."""
    shape: tuple = ()                 # the correct value's shape
    claimed_shape: tuple = ()
    wrong: list = field(default_factory=list)   # indices of the failing entries, in C order

    @property
    def shapes_differ(self):
        return tuple(self.shape) != tuple(self.claimed_shape)

    def _tol_text(self, lang="en"):
        tol = np.asarray(self.tol, dtype=float)
        if tol.size and np.all(tol == tol.flat[0]):
            return (f"허용 오차 {float(tol.flat[0]):g}" if lang == "ko"
                    else f"tol {float(tol.flat[0]):g}")
        if lang == "ko":
            return f"허용 오차는 항목마다 다르며 최대 {float(np.max(tol)):g}"
        return f"tol per entry, up to {float(np.max(tol)):g}"

    def correct_digits(self, index):
        """The correct entry at ``index`` with the digits it needs to differ from the claim."""
        claimed, correct = float(self.claimed[index]), float(self.correct[index])
        tol = float(np.broadcast_to(self.tol, self.shape)[index])
        digits = 6
        while digits < 17 and abs(float(entry(correct, digits)) - claimed) <= tol:
            digits += 1
        return entry(correct, digits)

    def headline(self, lang="en"):
        """The claim's line in the text report, in ``lang`` ("en" or "ko")."""
        if lang == "ko":
            return self._headline_ko()
        where = f" (line {self.line})" if self.line else ""
        claimed = np.asarray(self.claimed)
        shown = (array_text(claimed) if claimed.size <= SHOWN_IN_FULL
                 else f"a {shape_text(claimed.shape)} array")
        head = f"  claim {self.number}{where} {self.quantity} = {shown}: "
        if self.holds:
            return head + f"holds ({shape_text(self.shape)}, {self._tol_text()})"
        if self.shapes_differ and not self.claimed_shape:
            return head + f"FAILS: a number is claimed, but {self.quantity} has shape {self.shape}"
        if self.shapes_differ:
            return head + (f"FAILS: the claimed array has shape {tuple(self.claimed_shape)}, "
                           f"but {self.quantity} has shape {tuple(self.shape)}")
        first = self.wrong[0]
        return head + (f"FAILS at {self.quantity}{index_text(first)}: claimed "
                       f"{entry(float(self.claimed[first]), 15)}, correct "
                       f"{self.correct_digits(first)} ({self._tol_text()})")

    def _headline_ko(self):
        # Korean particles depend on the sound of the word before them; after a formula or a
        # number the sentences use ones that do not (의, 은 after a Korean noun, 입니다, 인데).
        where = f" ({self.line}행)" if self.line else ""
        quantity = self.quantity_ko or self.quantity
        claimed = np.asarray(self.claimed)
        shown = (array_text(claimed) if claimed.size <= SHOWN_IN_FULL
                 else f"{shape_text(claimed.shape)} 배열")
        head = f"  주장 {self.number}{where} {quantity} = {shown}: "
        if self.holds:
            return head + f"맞습니다 ({shape_text(self.shape)} 배열, {self._tol_text('ko')})"
        if self.shapes_differ and not self.claimed_shape:
            return head + (f"틀렸습니다. 수 하나를 주장했지만 {quantity}의 모양은 "
                           f"{self.shape}입니다")
        if self.shapes_differ:
            return head + (f"틀렸습니다. 주장한 배열의 모양은 {tuple(self.claimed_shape)}인데 "
                           f"{quantity}의 모양은 {tuple(self.shape)}입니다")
        first = self.wrong[0]
        return head + (f"틀렸습니다. 처음 틀린 항목은 {quantity}{index_text(first)}입니다 "
                       f"(주장한 값 {entry(float(self.claimed[first]), 15)}, 올바른 값 "
                       f"{self.correct_digits(first)}, {self._tol_text('ko')})")

    def extra_lines(self, lang="en"):
        ko = lang == "ko"
        correct = np.asarray(self.correct)
        label = "올바른 값" if ko else "correct"
        if correct.size <= SHOWN_IN_FULL:
            lines = [(label, array_text(correct))]
        elif ko:
            lines = [(label, f"모양 {shape_text(correct.shape)}, 노름 "
                             f"{np.linalg.norm(correct):.6g}")]
        else:
            lines = [(label, f"shape {shape_text(correct.shape)}, norm "
                             f"{np.linalg.norm(correct):.6g}")]
        if len(self.wrong) > 1 or (self.wrong and correct.size > SHOWN_IN_FULL):
            claimed_word, correct_word = (("주장한 값", "올바른 값") if ko
                                          else ("claimed", "correct"))
            listed = "; ".join(f"{index_text(i)} {claimed_word} "
                               f"{entry(float(self.claimed[i]), 15)}, "
                               f"{correct_word} {self.correct_digits(i)}"
                               for i in self.wrong[:WRONG_SHOWN])
            more = len(self.wrong) - WRONG_SHOWN
            if ko:
                more = f"; 그 밖에 {more}개" if more > 0 else ""
                lines.append(("틀린 항목", f"{correct.size}개 가운데 {len(self.wrong)}개: "
                                         f"{listed}{more}"))
            else:
                more = f"; and {more} more" if more > 0 else ""
                lines.append(("wrong entries", f"{len(self.wrong)} of {correct.size}: "
                                               f"{listed}{more}"))
        return lines

    def to_json(self):
        data = asdict(self)
        for key in _TEXT_ONLY:          # the Korean sentences are for the text report only
            del data[key]
        for key in ("claimed", "correct", "tol"):
            data[key] = nested(getattr(self, key), json_number)
        data["shape"], data["claimed_shape"] = list(self.shape), list(self.claimed_shape)
        data["wrong"] = [{"index": list(i), "claimed": json_number(self.claimed[i]),
                          "correct": json_number(self.correct[i])} for i in self.wrong]
        data["diagnosis"] = None
        if self.diagnosis is not None:
            data["diagnosis"] = self.diagnosis.to_json()
            data["diagnosis"]["reproduced"] = nested(self.diagnosis.reproduced, json_number)
        return data


def _holds_everywhere(claimed, value, tol):
    """Whether ``value`` has the claimed shape and every entry within tolerance."""
    value = np.asarray(value, dtype=float)
    if value.shape != claimed.shape:
        return False
    with np.errstate(invalid="ignore"):
        return bool(np.all(np.abs(claimed - value) <= tol))


def verdict(c, correct):
    """The result of claim c against its correct value (a float result for a number claimed of a
    single number, an :class:`ArrayClaimResult` otherwise)."""
    correct = np.asarray(correct, dtype=float)
    if not c.is_array and correct.size == 1:
        value = float(correct.reshape(()))
        holds = bool(abs(c.equals - value) <= c.tol)
        return ClaimResult(c.number, c.kind, c.label, c.equals, value, c.tol, holds,
                           note=c.note, line=c.line, quantity_ko=c.label_ko)
    claimed = np.asarray(c.equals, dtype=float)
    if claimed.size == 1 and correct.size == 1:          # [[0.116]] for a 1×1 output: one number
        claimed = claimed.reshape(correct.shape)
    tol = np.asarray(c.tol, dtype=float)
    if tol.shape != claimed.shape:
        tol = np.broadcast_to(tol, claimed.shape) if tol.ndim == 0 else tol.reshape(claimed.shape)
    wrong = []
    if claimed.shape == correct.shape:
        with np.errstate(invalid="ignore"):
            bad = ~(np.abs(claimed - correct) <= tol)          # a NaN entry is wrong too
        wrong = [tuple(int(k) for k in i) for i in np.argwhere(bad)]
    holds = claimed.shape == correct.shape and not wrong
    return ArrayClaimResult(c.number, c.kind, c.label, claimed, correct, tol, holds, note=c.note,
                            line=c.line, shape=correct.shape, claimed_shape=claimed.shape,
                            wrong=wrong, quantity_ko=c.label_ko)


# --- explanations of a failing claim --------------------------------------------------------------
def derivation_of(model, c):
    """The matrix formula of the claim's quantity, from the derivation's sweep: (English, Korean).
    The Korean puts no sound-dependent particle right after a formula or a name."""
    d = model.derivation(c.of if c.kind == "gradient" else model.output, c.where)
    if c.kind == "gradient":
        head = f"∂{c.of}/∂{c.wrt}"
        named, inlined = d.sweep.named.get(c.wrt), d.sweep.inlined.get(c.wrt)
        if named is None:
            return (f"{c.wrt} does not feed {c.of}: {head} = 0",
                    f"{c.wrt} 값은 {c.of} 계산에 쓰이지 않으므로 {head} = 0입니다")
        text = f"{head} = {named.text}"
        if inlined is not None and inlined.text != named.text:
            text += f" = {inlined.text}"
        shape = shape_text(model.shape(c.wrt))
        return (f"{text}, of shape {shape} (the shape of {c.wrt})",
                f"{text}이고, 모양은 {c.wrt}의 모양과 같은 {shape}입니다")
    if model.model.nodes[c.value].is_input:
        rule = f"{c.value} is an input (its value is given under [at])"
        rule_ko = f"{c.value} 값은 입력으로, [at]에 주어져 있습니다"
    else:
        if c.value not in model.ancestors(model.output):     # a variable the output does not use
            d = model.derivation(c.value, c.where)
        row = next(r for r in d.forward if r.name == c.value)
        rule = f"{c.value} = {row.formula.text}, " + (f"of shape {shape_text(row.shape)}"
                                                       if row.shape else "a number")
        rule_ko = f"{c.value} = {row.formula.text}이고, " + (
            f"모양은 {shape_text(row.shape)}입니다" if row.shape else "값은 수 하나입니다")
    if c.kind == "after_steps":
        steps = f"{c.steps} step{'s' if c.steps > 1 else ''}"
        update = f"w ← w − {c.lr:g} × ∂{model.output}/∂w"
        params = ", ".join(c.params)
        return (f"{steps} {update} on {params}, then {rule}",
                f"매개변수 {params}에 {update} 갱신을 {c.steps}번 한 뒤의 값입니다. {rule_ko}")
    return rule, rule_ko


def _follows_from(model, c, o):
    """Whether claim c's correct value is computed from claim o's quantity."""
    anc = model.ancestors
    if o is c or o.kind == "after_steps":
        return False
    if o.kind == "value":
        if c.kind == "gradient":       # the forward values below the output feed the sweep
            return o.value != c.of and o.value in anc(c.of)
        return o.value != c.value and o.value in anc(c.value)
    if c.kind == "gradient":
        return (o.of == c.of and o.wrt != c.wrt and c.wrt in anc(o.wrt)
                and o.wrt in anc(c.of))
    if c.kind == "after_steps":
        return o.of == model.output and any(p in anc(o.wrt) for p in c.params)
    return False


def _short(r, lang="en"):
    quantity = (r.quantity_ko or r.quantity) if lang == "ko" else r.quantity
    if isinstance(r, ArrayClaimResult):
        if r.shapes_differ:
            if lang == "ko":
                return f"{quantity}, 주장한 모양 {tuple(r.claimed_shape)}"
            return f"{quantity}, claimed with shape {tuple(r.claimed_shape)}"
        if lang == "ko":
            return f"{quantity}, 처음 틀린 항목 {index_text(r.wrong[0])}"
        return f"{quantity}, first wrong at {index_text(r.wrong[0])}"
    if lang == "ko":
        return f"{quantity} = {r.claimed:.15g}, 올바른 값 {r.correct:.6g}"
    return f"{quantity} = {r.claimed:.15g}, correct {r.correct:.6g}"


def first_divergence(model, c, claims, results):
    """The first claim along the computation that fails, for failing claim c: (English, Korean),
    both "" when the claim follows from no other."""
    def order(o):
        if o.kind == "value":
            return (0, model.position[o.value])
        return (1, -model.position[o.wrt])
    deps = sorted((o for o in claims if _follows_from(model, c, o)), key=order)
    failing = [o for o in deps if not results[o.number].holds]
    if failing:
        o = failing[0]
        r = results[o.number]
        return (f"claim {o.number} ({_short(r)}); this claim follows from it",
                f"주장 {o.number}({_short(r, 'ko')}). 이 주장은 그 주장에서 이어진 값입니다")
    if not deps:
        return "", ""
    held = ", ".join(str(o.number) for o in deps)
    return (f"this claim itself (the claims it follows from hold: {held})",
            f"이 주장 자체입니다(이 주장의 바탕인 주장은 맞습니다: {held})")


def diagnose(model, c, result):
    """The known mistake of a matrix gradient that gives the claimed array: the transposed layout,
    the lost sign, or both. Returns (Diagnosis or None, the honest sentence when none, the same
    in Korean)."""
    if c.kind != "gradient":
        return None, "", ""
    claimed = np.asarray(result.claimed, dtype=float)
    correct = np.asarray(result.correct, dtype=float)
    tol = np.asarray(result.tol, dtype=float)
    g, w = f"∂{c.of}/∂{c.wrt}", c.wrt
    layout = (f"entry [i, j] holding {g}[j, i]; {g} has the shape of {w}, "
              f"{shape_text(correct.shape)}")
    ko_layout = f"{g}의 모양은 {w}의 모양({shape_text(correct.shape)})과 같아야 합니다"
    candidates = []
    if correct.ndim == 2 and not np.array_equal(correct.T, correct):
        candidates.append(("transpose", correct.T,
                           f"the gradient in the transposed layout, ({g})ᵀ ({layout})",
                           f"행렬 `gradient`를 전치해서 ({g})ᵀ 값을 {g} 자리에 적으"))
    candidates.append(("sign", -correct, f"the sign of the whole gradient {g} lost",
                       f"{g} 전체의 부호를 반대로 하"))
    if correct.ndim == 2:
        candidates.append(("transpose+sign", -correct.T,
                           f"the gradient transposed, ({g})ᵀ, and its sign lost",
                           f"{g} 행렬을 전치하고 부호도 반대로 하"))
    for kind, value, en, ko in candidates:
        tol_here = np.broadcast_to(tol, claimed.shape) if tol.ndim == 0 else tol
        if _holds_everywhere(claimed, value, tol_here) and \
                not _holds_everywhere(claimed, correct, tol_here):
            explanation = f"the claimed array is what you get with {en}"
            ko_text = f"{ko}면 주장한 배열이 그대로 나옵니다."
            if kind.startswith("transpose"):
                ko_text += f" {ko_layout}."
            return Diagnosis(kind, w, explanation, ko_text, value), "", ""
    tried = ", ".join(k for k, *_ in candidates)
    return None, (f"no single known mistake gives the claimed array "
                  f"({len(candidates)} tried: {tried})"), \
        (f"알려진 실수 하나로는 주장한 배열이 나오지 않습니다"
         f"(실수 {len(candidates)}가지를 시도했습니다: {tried})")


def check_matrix_claims(model, claims_file):
    """Every claim of a matrix program's file, checked (a FileReport)."""
    claims = claims_file.claims
    resolve_matrix_names(model, claims)
    results = {c.number: verdict(c, model.evaluate(c)) for c in claims}
    for c in claims:
        r = results[c.number]
        if r.holds:
            continue
        r.derivation, r.derivation_ko = derivation_of(model, c)
        r.divergence, r.divergence_ko = first_divergence(model, c, claims, results)
        if isinstance(r, ArrayClaimResult):
            r.diagnosis, r.searched, r.searched_ko = diagnose(model, c, r)
    return FileReport(str(claims_file.path), claims_file.title,
                      [results[c.number] for c in claims])
