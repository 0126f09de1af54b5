"""kpz-analytics: claims analytics for paediatric palliative care in the Netherlands."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("kpz-analytics")
except PackageNotFoundError:  # running from a source tree without install
    __version__ = "0.0.0+unknown"
