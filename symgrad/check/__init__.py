"""Check the numbers a worked example claims (TOML claims files), and gradcheck a target.

A claims file is read in three passes: the TOML text is scanned for the line of every
``[[claim]]`` header and key (``tomllib`` gives no positions), every field of every claim is
validated, and only then is anything derived. Each failing claim gets the derivation of its
correct value (from the :class:`~symgrad.derivation.Derivation` steps) and, when the file's
other claims allow it, the first claim along the chain of the computation that fails.

Data flows one way: ``toml_lines`` → ``claims`` (read and validate) → ``model`` (the graph,
derivations, SGD path) → ``arithmetic`` and ``divergence`` (explanations of failing claims) →
``verdict`` (check) → ``report`` (text and JSON). ``gradcheck`` stands apart.
"""
from .claims import CLAIM_KEYS, FILE_KEYS, MAX_STEPS, TARGET_KEYS, tolerance_of
from .gradcheck import EPS_STEP, MATRIX_SAMPLE, GradcheckReport, gradcheck
from .report import ClaimResult, FileReport, Report, format_gradcheck, gradcheck_json, report_json
from .verdict import check, check_file

__all__ = ["check", "check_file", "gradcheck", "format_gradcheck", "report_json", "gradcheck_json",
           "Report", "FileReport", "ClaimResult", "GradcheckReport", "tolerance_of",
           "CLAIM_KEYS", "FILE_KEYS", "TARGET_KEYS", "MAX_STEPS", "EPS_STEP", "MATRIX_SAMPLE"]
