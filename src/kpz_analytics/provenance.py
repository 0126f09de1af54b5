"""Where a result comes from: package version, git commit and the versions of the libraries.

Every result (warehouse metadata, analysis tables, reports, exports) carries this record so a
number can be traced and reproduced next year with the locked environment. Like ``config`` it
sits at the top of the package: every stage may use it; it imports nothing of the package.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import platform
import subprocess
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

#: Libraries whose version can change a number in a result.
LIBRARIES: tuple[str, ...] = ("duckdb", "pandas", "numpy", "scipy", "statsmodels", "lifelines",
                              "rdrobust", "pyarrow")
_REPO = Path(__file__).resolve().parents[2]


def package_version(name: str = "kpz-analytics") -> str | None:
    """Installed version of a distribution, or None when it is not installed."""
    try:
        return version(name)
    except PackageNotFoundError:
        return None


@lru_cache(maxsize=1)
def git_commit() -> str | None:
    """The commit of the source tree the package runs from (None outside a git checkout).

    A checkout with uncommitted changes gets the suffix ``-dirty``: its results cannot be
    reproduced from the commit alone.
    """
    try:
        head = subprocess.run(["git", "-C", str(_REPO), "rev-parse", "HEAD"], capture_output=True,
                              text=True, timeout=5, check=False)
        if head.returncode != 0 or not head.stdout.strip():
            return None
        dirty = subprocess.run(["git", "-C", str(_REPO), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return head.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")


@lru_cache(maxsize=1)
def lock_sha256() -> str | None:
    """SHA-256 of ``requirements.lock``, the locked environment (None when not in a checkout)."""
    path = _REPO / "requirements.lock"
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else None


def record() -> dict:
    """The provenance record: package version, git commit, environment lock, library versions, time.

    ``requirements_lock_sha256`` identifies the exact environment (``make setup`` installs it);
    ``libraries`` are the installed versions of the libraries that compute the numbers.
    """
    return {
        "package_version": package_version(),
        "git_commit": git_commit(),
        "requirements_lock_sha256": lock_sha256(),
        "python": platform.python_version(),
        "libraries": {name: package_version(name) for name in LIBRARIES},
        "generated_at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
    }
