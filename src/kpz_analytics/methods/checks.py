"""Parameter checks shared by the statistical methods (one message for one mistake everywhere)."""

from __future__ import annotations

import numpy as np

from ..errors import ParameterError


def check_alpha(alpha) -> float:
    """``alpha`` as a float strictly between 0 and 1 (the interval is 1 − alpha), else a one-line error."""
    # a number, not text that looks like one, and not a bool (True would pass float() as 1.0)
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float, np.integer, np.floating)):
        raise ParameterError(f"alpha must be a number in (0, 1), got {alpha!r}")
    value = float(alpha)
    if not 0.0 < value < 1.0:
        raise ParameterError(f"alpha must be in (0, 1), got {alpha}")
    return value
