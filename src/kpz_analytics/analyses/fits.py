"""Independent model fits, run side by side in worker processes.

The transition analysis fits dozens of models that do not depend on each other (an rdrobust
jump per outcome, cohort and specification; a GEE rate ratio per outcome and cohort). Each fit is
single-threaded Python and numpy, so on a 2-core machine one core idles while they run one by one:
at national scale they took 113 s of the transition stage (statsmodels' GEE loops over the
persons in Python), 66 s in two workers. :func:`run_fits` hands them to ``config.FIT_WORKERS`` processes.

- Workers start the platform's default way (fork on Linux; spawn on macOS and Windows, where a
  script that runs an analysis needs Python's ``if __name__ == "__main__":`` guard, or
  ``KPZ_FIT_WORKERS=1``). Each limits numpy's BLAS to one thread (threadpoolctl): two workers
  with two BLAS threads each fought over two cores and were slower than one worker.
- Results come back in the order of the calls, whichever worker finished first. They are the
  numbers of fitting one by one up to floating-point rounding (one BLAS thread adds in another
  order: ~1e-10 relative at national scale; exactly equal on small panels, ``tests/test_fits.py``).
- A fit that raises :class:`~kpz_analytics.errors.ParameterError` (too few persons, nothing to
  fit) returns that error instead of a table, so the caller can write its "not estimable" row;
  any other error stops the run as it would without workers.
- Small panels (fewer than ``config.FIT_PARALLEL_MIN_ROWS`` rows in all) are fitted in this
  process: starting the workers and sending them the panels would cost more than it saves.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from itertools import islice

import pandas as pd
from threadpoolctl import threadpool_limits

from .. import config
from ..errors import ParameterError


@dataclass(frozen=True)
class Fit:
    """One call ``func(*args, **kwargs)`` returning a table; ``func`` must be importable by name."""

    func: Callable[..., pd.DataFrame]
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)

    def rows(self) -> int:
        return sum(len(a) for a in self.args if isinstance(a, pd.DataFrame))


#: What a fit gives back: its table, or the ParameterError that said why it could not be fitted.
Outcome = tuple[pd.DataFrame | None, ParameterError | None]


def _one_thread() -> None:
    """Worker initialiser: numpy's BLAS (and any OpenMP pool) on one thread for this process."""
    threadpool_limits(1)


def _call(fit: Fit) -> Outcome:
    try:
        return fit.func(*fit.args, **fit.kwargs), None
    except ParameterError as exc:
        return None, exc


def run_fits(fits: list[Fit], *, workers: int | None = None, min_rows: int | None = None,
             done: Callable[[], None] | None = None) -> list[Outcome]:
    """Run every fit; return ``(table, None)`` or ``(None, ParameterError)`` per fit, in order.

    Parameters
    ----------
    fits
        The calls. Their arguments are pickled to the workers.
    workers
        Worker processes (default ``config.FIT_WORKERS``); 1 runs the fits here, one by one.
    min_rows
        Fit here when the data frames among the arguments hold fewer rows than this in all
        (default ``config.FIT_PARALLEL_MIN_ROWS``).
    done
        Called once per finished fit (a progress bar's ``update``).
    """
    workers = config.FIT_WORKERS if workers is None else int(workers)
    min_rows = config.FIT_PARALLEL_MIN_ROWS if min_rows is None else int(min_rows)
    tick = done or (lambda: None)
    if workers <= 1 or len(fits) < 2 or sum(f.rows() for f in fits) < min_rows:
        results = []
        for fit in fits:
            results.append(_call(fit))
            tick()
        return results
    results: list[Outcome | None] = [None] * len(fits)
    with ProcessPoolExecutor(min(workers, len(fits)), initializer=_one_thread) as pool:
        # A few calls in flight at a time, so the panels are not all pickled at once.
        queue = iter(enumerate(fits))
        pending: dict[Future, int] = {pool.submit(_call, fit): i for i, fit in islice(queue, 2 * workers)}
        while pending:
            finished, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                results[pending.pop(future)] = future.result()
                tick()
                nxt = next(queue, None)
                if nxt is not None:
                    pending[pool.submit(_call, nxt[1])] = nxt[0]
    return results  # type: ignore[return-value]
