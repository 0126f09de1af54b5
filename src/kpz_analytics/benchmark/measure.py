"""Run one command as a child process; record wall time, CPU time and peak resident memory.

CPU time and peak RSS come from the kernel's accounting of the child (``os.wait4``): user +
system seconds of the child and of the processes it waited for, and the largest resident set
of any of them (a notebook kernel started by papermill counts). Wall time is measured around
the child. Nothing is sampled, so measuring costs nothing.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import asdict, dataclass


@dataclass
class Measurement:
    """One run of one stage."""

    wall_s: float
    cpu_s: float
    peak_rss_gb: float
    returncode: int
    tail: str = ""  # last lines of the child's error output, when it failed

    def as_dict(self) -> dict:
        return asdict(self)


def measure(cmd: list[str], *, log_path: str | os.PathLike | None = None, env: dict | None = None) -> Measurement:
    """Run ``cmd`` to completion and measure it; its output goes to ``log_path`` (or is dropped).

    The child's stderr (progress bars) is kept in the log so a long stage can be followed with
    ``tail -f``; on failure the last lines are returned in ``Measurement.tail``.
    """
    out = open(log_path, "wb") if log_path else subprocess.DEVNULL
    try:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT if log_path else subprocess.DEVNULL,
                                env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
    finally:
        if log_path:
            out.close()
    # ru_maxrss is in kilobytes on Linux, bytes on macOS.
    scale = 1 if sys.platform == "darwin" else 1024
    tail = ""
    if proc.returncode != 0 and log_path:
        with open(log_path, "rb") as fh:
            lines = fh.read().decode("utf-8", "replace").replace("\r", "\n").splitlines()
        tail = "\n".join(line for line in lines[-8:] if line.strip())
    return Measurement(
        wall_s=round(wall, 3), cpu_s=round(usage.ru_utime + usage.ru_stime, 3),
        peak_rss_gb=round(usage.ru_maxrss * scale / 1e9, 3), returncode=proc.returncode, tail=tail,
    )
