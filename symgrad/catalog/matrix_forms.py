"""Matrix-level forms of catalog models: id -> function returning the matrix model (see symgrad.matrix)."""

FORMS = {}
