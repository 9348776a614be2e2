"""Which axes a broadcast operand was spread along, so which its gradient sums over (NumPy's
rules): one function for the gradient formulas (``formula.py``) and the dimension checks
(``dimensions.py``)."""


def broadcast_axes(from_shape, to_shape):
    """The axes of ``from_shape`` along which an operand of ``to_shape`` was broadcast (NumPy's
    rules: new leading axes, and axes where the operand has length 1)."""
    lead = len(from_shape) - len(to_shape)
    return tuple(list(range(lead)) + [lead + i for i, n in enumerate(to_shape)
                                      if n == 1 and from_shape[lead + i] != 1])


def sum_axes(from_shape, to_shape):
    """(axis argument of np.sum, whether only new leading axes are summed, how the axes read)
    for unbroadcasting; the reading is "" when everything is summed (to a number)."""
    axes = list(broadcast_axes(from_shape, to_shape))
    if not to_shape:
        return None, False, ""
    axis = axes[0] if len(axes) == 1 else tuple(axes)
    if axes == [0]:
        where = "rows"
    elif axes == [1] and len(from_shape) == 2:
        where = "columns"                  # a (N, 1) column against a (N, H) matrix
    else:
        where = f"axis {axis}" if len(axes) == 1 else f"axes {axis}"
    lead = len(from_shape) - len(to_shape)
    return axis, all(a < lead for a in axes), where
