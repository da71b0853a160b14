"""Light and dark colours for matplotlib-rendered plots.

The light theme is the classic opaque white figure (readable wherever a saved notebook is
viewed). The dark theme draws light text, axes and grid on a transparent figure, so the PNG sits
on the page's own dark background instead of showing as a white box. Colours are set on the
artists of one figure (never through the global ``rcParams``: renders run in a worker thread).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["THEMES", "PlotColors", "apply_theme"]


@dataclass(frozen=True)
class PlotColors:
    text: str
    """Text, ticks, spines and (faint) grid."""
    background: str | None
    """Figure and axes face colour; None is transparent."""


THEMES = {
    "light": PlotColors(text="#333333", background="white"),
    "dark": PlotColors(text="#e0e0e0", background=None),
}


def apply_theme(figure: Figure, theme: str) -> None:
    """Colour every Axes of ``figure`` (and the figure) for ``theme`` (``light``/``dark``)."""
    colors = THEMES[theme]
    face = colors.background or "none"
    figure.patch.set_facecolor(face)
    for ax in figure.axes:
        ax.set_facecolor(face)
        ax.tick_params(colors=colors.text, which="both")
        for spine in ax.spines.values():
            spine.set_edgecolor(colors.text)
        for text in (ax.xaxis.label, ax.yaxis.label, ax.title):
            text.set_color(colors.text)
        for line in [*ax.get_xgridlines(), *ax.get_ygridlines()]:
            line.set_color(colors.text)
        legend = ax.get_legend()
        if legend is not None:
            for text in legend.get_texts():
                text.set_color(colors.text)


def is_transparent(theme: str) -> bool:
    return THEMES[theme].background is None
