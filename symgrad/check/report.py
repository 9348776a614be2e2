"""The verdicts as plain data, and their text and JSON forms (claims reports and gradchecks)."""
from dataclasses import asdict, dataclass, field

from ..errors import printable
from ..i18n import langs_of, say
from ..jsonout import dumps, json_number
from .arithmetic import shown_correct

_TEXT_ONLY = ("quantity_ko", "derivation_ko", "divergence_ko", "searched_ko", "remark_ko",
              "search")


@dataclass
class ClaimResult:
    number: int
    kind: str                 # "value" | "gradient" | "after_steps"
    quantity: str
    claimed: float
    correct: float
    tol: float
    holds: bool
    derivation: str = ""      # how the correct value comes about, with numbers
    divergence: str = ""      # the first claim along the chain that fails (failing claims only)
    remark: str = ""          # e.g. "holds only for the post's wrong w9 = 0.237479"
    note: str = ""            # the claim's own `note`, from the file
    line: int = None          # line of the claim's [[claim]] header in the file
    diagnosis: object = None  # the known mistake that gives the claimed number (diagnosis.py)
    searched: str = ""        # failing claims without a diagnosis: "no single known mistake …"
    # The Korean of the sentences above, for the text report in Korean (``check --lang ko``).
    # They are not in the JSON, which keeps its English fields (and diagnosis.explanation_ko).
    quantity_ko: str = ""
    derivation_ko: str = ""
    divergence_ko: str = ""
    searched_ko: str = ""
    remark_ko: str = ""
    search: object = None     # the diagnosis.Search, for how many mistakes were tried

    def headline(self, lang="en"):
        """The claim's line in the text report, in ``lang`` (array claims: matrix_verdict.py)."""
        if lang == "ko":
            where = f" ({self.line}행)" if self.line else ""
            verdict = "맞습니다" if self.holds else "틀렸습니다"
            return (f"  주장 {self.number}{where} {self.quantity_ko or self.quantity} = "
                    f"{self.claimed:.15g}: {verdict} (올바른 값 {shown_correct(self)}, "
                    f"허용 오차 {self.tol:g})")
        where = f" (line {self.line})" if self.line else ""
        verdict = "holds" if self.holds else "FAILS"
        return (f"  claim {self.number}{where} {self.quantity} = {self.claimed:.15g}: {verdict} "
                f"(correct {shown_correct(self)}, tol {self.tol:g})")

    def extra_lines(self, lang="en"):
        """(label, text) lines shown first under a failing claim, in ``lang`` (array claims: the
        array)."""
        return []

    def to_json(self):
        """The result as JSON data; a non-finite number (a correct value of inf) is a string."""
        data = asdict(self)
        for key in _TEXT_ONLY:
            del data[key]
        for key in ("claimed", "correct", "tol"):
            data[key] = json_number(data[key])
        data["diagnosis"] = None
        if self.diagnosis is not None:
            data["diagnosis"] = self.diagnosis.to_json()
            data["diagnosis"]["reproduced"] = json_number(self.diagnosis.reproduced)
        return data


@dataclass
class FileReport:
    path: str
    title: str
    claims: list = field(default_factory=list)

    @property
    def ok(self):
        return all(c.holds for c in self.claims)


@dataclass
class Report:
    files: list = field(default_factory=list)

    @property
    def ok(self):
        return all(f.ok for f in self.files)

    def to_json(self):
        return {"ok": self.ok, "files": [{"path": f.path, "title": f.title, "ok": f.ok,
                                          "claims": [c.to_json() for c in f.claims]}
                                         for f in self.files]}

    def __str__(self):
        return self.text("en")

    def text(self, lang="en"):
        """The report as text in ``lang``: "en", "ko", or "both" (each line in Korean, then in
        English, as the documents put Korean first)."""
        langs = ("ko", "en") if lang == "both" else (lang,)
        lines = []
        for f in self.files:
            # a file without a title has its path as title: printed once, not "ok.toml: ok.toml"
            head = printable(f.path)
            lines.append(head if f.title == f.path else f"{head}: {printable(f.title)}")
            for c in f.claims:
                for lang_ in langs:
                    lines.extend(_claim_lines(c, lang_))
        total = sum(len(f.claims) for f in self.files)
        n_fail = sum(not c.holds for f in self.files for c in f.claims)
        for lang_ in langs:
            lines.append(_summary(n_fail, total, lang_))
        return "\n".join(lines)


def _summary(n_fail, total, lang):
    if lang == "ko":
        return "모든 주장이 맞습니다" if not n_fail else \
            f"주장 {total}개 가운데 {n_fail}개가 틀렸습니다"
    return "all claims hold" if not n_fail else f"{n_fail} of {total} claims fail"


# the labels of a failing claim's lines, in the order they are printed
_LABELS = {"en": ("derivation", "first divergence", "diagnosis", "remark", "note"),
           "ko": ("계산", "처음 어긋난 곳", "진단", "참고", "메모")}


def _diagnosis_text(c, lang):
    d = c.diagnosis
    if d is None:
        return c.searched_ko if lang == "ko" and c.searched_ko else c.searched
    if lang == "ko":
        also = f" (같은 값이 나오는 다른 실수: {'; '.join(d.also_ko[:3])})" if d.also_ko else ""
        return d.explanation_ko + also
    return d.explanation + (f" (so does: {'; '.join(d.also[:3])})" if d.also else "")


def _claim_lines(c, lang="en"):
    """A claim's verdict line and, when it fails, its explanations, in ``lang`` ("en", "ko")."""
    lines = [c.headline(lang)]
    if lang == "ko":
        texts = (c.derivation_ko or c.derivation, c.divergence_ko or c.divergence,
                 _diagnosis_text(c, lang), c.remark_ko or c.remark, c.note)
    else:
        texts = (c.derivation, c.divergence, _diagnosis_text(c, lang), c.remark, c.note)
    if not c.holds:
        for label, text in (*c.extra_lines(lang), *zip(_LABELS[lang], texts, strict=True)):
            if text:
                lines.append(f"    {label}: {printable(' '.join(text.split()))}")
    return lines


def report_json(report):
    """A claims report as strict JSON text (what ``check --format json`` prints)."""
    return dumps(report.to_json(), indent=2)


def format_gradcheck(r, most=24, lang="en"):
    """A gradcheck as text: a line per entry, or per parameter when there are more than ``most``;
    in ``lang`` ("en", "ko", or "both": each line in Korean, then in English)."""
    langs = langs_of(lang)
    lines = []
    if len(r.rows) <= most:
        for row in r.rows:
            lines += [say("term_gradcheck_row", la, wrt=row["wrt"],
                          symbolic=f"{row['symbolic']:.9g}", numeric=f"{row['numeric']:.9g}",
                          abs=f"{row['abs_error']:.2e}", rel=f"{row['rel_error']:.2e}")
                      for la in langs]
    else:
        for name, (n, total) in r.checked.items():
            mine = [row for row in r.rows
                    if row["wrt"] == name or row["wrt"].startswith(name + "[")]
            worst = max(mine, key=lambda row: row["rel_error"])
            lines += [say("term_gradcheck_many", la, name=name, n=n, total=total,
                          rel=f"{worst['rel_error']:.2e}", at=worst["wrt"],
                          symbolic=f"{worst['symbolic']:.9g}", numeric=f"{worst['numeric']:.9g}")
                      for la in langs]
    verdict = "term_gradcheck_pass" if r.passed else "term_gradcheck_fail"
    lines += [say(verdict, la, abs=f"{r.max_abs_error:.2e}", rel=f"{r.max_rel_error:.2e}",
                  atol=f"{r.atol:g}", rtol=f"{r.rtol:g}") for la in langs]
    return "\n".join(lines)


_ROW_NUMBERS = ("symbolic", "numeric", "abs_error", "rel_error", "h")


def gradcheck_json(r):
    """A gradcheck as strict JSON text (what ``check --gradcheck --format json`` prints)."""
    data = asdict(r)
    for row in data["rows"]:
        for key in _ROW_NUMBERS:
            row[key] = json_number(row[key])
    for key in ("max_abs_error", "max_rel_error", "atol", "rtol"):
        data[key] = json_number(data[key])
    return dumps(data, indent=2)
