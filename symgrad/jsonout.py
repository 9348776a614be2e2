"""Strict JSON for every writer: non-finite numbers become strings, never ``NaN``/``Infinity``."""

import json
import math


def json_number(value):
    """A float for JSON; non-finite values become the strings "inf", "-inf", "nan" (valid JSON)."""
    value = float(value)
    return value if math.isfinite(value) else str(value)


def dumps(data, **kwargs):
    """``json.dumps`` that refuses NaN and infinities (``allow_nan=False``): convert them first."""
    return json.dumps(data, allow_nan=False, ensure_ascii=False, **kwargs)
