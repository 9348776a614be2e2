"""The ``wrt`` lists: split from the command line, checked against a graph's names (scalar and
matrix models alike)."""

from .errors import InputError


def check_wrt(wrt, names, output, inputs, program=()):
    """Refuse ``wrt`` names that are not nodes of the graph of ``output`` (one message for all).
    ``program``: every name of the program, so that a name the output does not read (a variable
    of another line) is told apart from a name that does not exist."""
    known = set(names)          # a list: 10,000 wrt names against 20,000 nodes would be quadratic
    unknown = [w for w in wrt if w not in known]
    if not unknown:
        return
    listed = ", ".join(map(repr, unknown))
    elsewhere = set(program)
    if all(w in elsewhere for w in unknown):
        them = "it" if len(unknown) == 1 else "them"
        raise InputError(f"cannot differentiate with respect to {listed}: the output {output!r} "
                         f"does not depend on {them} (the inputs it reads: {', '.join(inputs)})")
    raise InputError(f"cannot differentiate with respect to {listed}: "
                     f"not a name of the graph of {output!r} (inputs: {', '.join(inputs)})")


def split_names(value, option="--wrt"):
    """``"a, b"`` -> ``["a", "b"]`` (lists pass through); an option given but empty is an error."""
    if value is None:
        return None
    if isinstance(value, str):
        names = [w.strip() for w in value.split(",") if w.strip()]
    else:
        names = list(value)
    if not names:
        raise InputError(f"{option} is empty; name the inputs to differentiate by, "
                         f"e.g. {option} x,y")
    return names
