"""Run one command as a child process; record wall time, CPU time and peak resident memory.

CPU time comes from the kernel's accounting of the child (``os.wait4``): user + system seconds
of the child and of the processes it waited for (a notebook kernel started by papermill, the
transition's fit workers). Peak resident memory is that of the whole process tree: the largest
sum over the child and its descendants, sampled every 0.5 s (fit workers beside their parent,
a notebook kernel beside papermill, hold memory at the same time), or the largest single
process by the kernel's accounting when that is larger (a peak shorter than a sample). The sum
adds proportional set sizes (PSS, Linux): a page shared by processes (a forked fit worker and
its parent, a library) counts once in all, where resident sizes would count it in each. Where
PSS is not available (macOS) it adds resident sizes, which overstates. Wall time is measured
around the child.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass

import psutil

#: Seconds between two samples of the process tree's memory.
SAMPLE_S = 0.5


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
        stop = threading.Event()
        tree_peak = [0]
        sampler = threading.Thread(target=_sample_tree, args=(proc.pid, stop, tree_peak), daemon=True)
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        stop.set()
        sampler.join()
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
        peak_rss_gb=round(max(usage.ru_maxrss * scale, tree_peak[0]) / 1e9, 3), returncode=proc.returncode,
        tail=tail,
    )


def _sample_tree(pid: int, stop: threading.Event, peak: list[int]) -> None:
    """Until ``stop``: add up the memory of ``pid`` and its descendants (:func:`_proportional_size`),
    keep the largest sum in ``peak[0]``."""
    try:
        root = psutil.Process(pid)
    except psutil.Error:
        return
    while not stop.is_set():
        try:
            processes = [root, *root.children(recursive=True)]
        except psutil.Error:  # the child has ended
            return
        total = 0
        for process in processes:
            try:
                total += _proportional_size(process)
            except psutil.Error:  # ended between the listing and the reading
                pass
        peak[0] = max(peak[0], total)
        stop.wait(SAMPLE_S)


def _proportional_size(process: psutil.Process) -> int:
    """The process's proportional set size (its own pages plus its share of shared ones), or
    its resident size where the platform does not report PSS."""
    if sys.platform.startswith("linux"):
        return process.memory_full_info().pss
    return process.memory_info().rss
