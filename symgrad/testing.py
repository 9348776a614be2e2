"""pytest helper: `assert_claims(path)` fails a test with the claims report."""
from .check import check


def assert_claims(path):
    report = check(path)
    if not report.ok:
        raise AssertionError("textbook claims do not hold:\n" + str(report))
    return report
