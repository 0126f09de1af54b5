"""How figures look and read in every report: Dutch numbers, legends off the data, marked breaks.

:func:`setup` is called once at the top of a report notebook. It sets the house style and
makes every matplotlib figure the notebook shows carry a text description (HTML ``alt``)
built from its titles and axis labels, so a reader with a screen reader — or a page whose
images fail — still learns what the figure shows.
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
from matplotlib.ticker import Formatter, FuncFormatter

#: Text of a figure description, per language.
FIGURE = {"nl": ("Figuur", "horizontale as", "verticale as"),
          "en": ("Figure", "horizontal axis", "vertical axis")}


def nl_number(x: float, decimals: int = 0) -> str:
    """Dutch number format: thousands '.', decimal ','; '–' for a missing value."""
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "–"
    text = f"{x:,.{decimals}f}"
    return text.replace(",", "#").replace(".", ",").replace("#", ".")


def number(x: float, decimals: int = 0, language: str = "nl") -> str:
    """A number in the report's language (Dutch: 25.768 and 3,5; English: 25,768 and 3.5)."""
    if language == "nl":
        return nl_number(x, decimals)
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "–"
    return f"{x:,.{decimals}f}"


def number_axis(language: str = "nl") -> FuncFormatter:
    """Tick labels with thousands separators (and a decimal only where ticks need one)."""
    return FuncFormatter(lambda v, _: number(v, 0 if abs(v) >= 10 or float(v).is_integer() else 1, language))


class _PercentTicks(Formatter):
    """Percentages with as many decimals as the distance between the ticks needs (0,5% 1,0%
    1,5%; 10% 20%), so that close ticks never read alike (they read "1%", "1%", "2%")."""

    def __init__(self, language: str):
        self.language = language
        self.decimals = 0

    def set_locs(self, locs) -> None:
        super().set_locs(locs)
        ordered = sorted(locs)
        steps = [round(100 * (b - a), 9) for a, b in zip(ordered, ordered[1:])]
        step = min((s for s in steps if s > 0), default=1.0)
        self.decimals = next((d for d in range(4) if abs(step * 10**d - round(step * 10**d)) < 1e-6), 4)

    def __call__(self, x: float, pos=None) -> str:
        return number(100 * x, self.decimals, self.language) + "%"


def percent_axis(language: str = "nl") -> Formatter:
    """Tick labels for shares 0–1 as percentages."""
    return _PercentTicks(language)


def year_axis(ax: plt.Axes) -> None:
    """Whole years on the x-axis, without thousands separator."""
    ax.xaxis.set_major_locator(plt.MaxNLocator(integer=True))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{int(v)}" if float(v).is_integer() else ""))


def legend_outside(ax: plt.Axes, title: str | None = None, **kwargs) -> None:
    """Put the legend to the right of the plot area, where it cannot hide data."""
    handles, labels = ax.get_legend_handles_labels()
    if handles:
        ax.legend(handles, labels, title=title, loc="upper left", bbox_to_anchor=(1.01, 1),
                  frameon=False, borderaxespad=0, **kwargs)


def mark_series_break(ax: plt.Axes, x: float, text: str) -> None:
    """A dashed vertical line just before ``x`` with a note: the series changes here."""
    ax.axvline(x - 0.5, color="#6b7280", linestyle="--", linewidth=1)
    ax.annotate(text, xy=(x - 0.5, 1.0), xycoords=("data", "axes fraction"), xytext=(4, -4),
                textcoords="offset points", ha="left", va="top", fontsize=8, color="#374151")


def describe(fig: plt.Figure, language: str = "nl") -> str:
    """A one-paragraph text description of a figure from its titles and axis labels."""
    word, xname, yname = FIGURE[language]
    parts = []
    sup = fig._suptitle.get_text().strip() if getattr(fig, "_suptitle", None) is not None else ""
    if sup:
        parts.append(sup)
    for ax in fig.get_axes():
        if not ax.get_visible() or not (ax.has_data() or ax.get_title()):
            continue
        bits = [ax.get_title().strip()]
        if ax.get_xlabel().strip():
            bits.append(f"{xname}: {ax.get_xlabel().strip()}")
        if ax.get_ylabel().strip():
            bits.append(f"{yname}: {ax.get_ylabel().strip()}")
        legend = ax.get_legend()
        if legend is not None:
            names = [t.get_text() for t in legend.get_texts() if t.get_text()]
            if names:
                bits.append(", ".join(names))
        text = "; ".join(b for b in bits if b)
        if text and text not in parts:
            parts.append(text)
    return f"{word}: " + (". ".join(parts) if parts else "")


def setup(language: str = "nl") -> None:
    """House style for a report notebook, and figures that describe themselves.

    Registers an IPython PNG formatter for matplotlib figures that returns the image together
    with ``{"alt": describe(fig)}``; the report template writes it into the ``<img>`` tag.
    Outside IPython only the style is set.
    """
    import seaborn as sns

    sns.set_theme(style="whitegrid")
    plt.rcParams.update({"figure.dpi": 100, "savefig.dpi": 100, "axes.titlesize": 11,
                         "axes.titleweight": "bold", "legend.fontsize": 9})
    try:
        from IPython import get_ipython
        from IPython.core.pylabtools import print_figure
    except ImportError:  # pragma: no cover - IPython comes with the package
        return
    shell = get_ipython()
    if shell is None:
        return
    plt.close(plt.figure())  # load the inline backend now, so it cannot replace the formatter later

    def png(fig):
        data = print_figure(fig, "png", bbox_inches="tight")
        return (data, {"alt": describe(fig, language)}) if data else None

    shell.display_formatter.formatters["image/png"].for_type(plt.Figure, png)
