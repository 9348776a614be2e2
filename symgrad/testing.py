"""pytest helper: `assert_claims(path)` fails a test with the claims report."""
from .check import check


def assert_claims(path):
    """Check a claims file (or several); raise AssertionError carrying the report if any claim
    fails. A malformed file raises symgrad's InputError, as `symgrad check` does."""
    __tracebackhide__ = True          # pytest: show the failure at the caller
    report = check(path)
    if not report.ok:
        raise AssertionError("textbook claims do not hold:\n" + str(report))
    return report
