"""Monthly trend charts drawn by matplotlib as SVG, on the server, offline.

Text is written as SVG text (svg.fonttype "none"), not as paths: the browser draws it with
its own fonts, so Chinese labels are sharp and selectable. Widths are measured with a CJK
font when the server has one (Noto Sans CJK on Debian), so legends fit.
"""

from __future__ import annotations

import io
import logging

import matplotlib

matplotlib.use("Agg")  # no display; must come before the figure classes are used

from matplotlib.backends.backend_svg import FigureCanvasSVG  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

FONTS = ["Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Micro Hei", "DejaVu Sans"]
COLOURS = ["#417690", "#d97706", "#15803d", "#b91c1c"]

# matplotlib warns for each glyph its fallback font lacks; the browser draws the text anyway.
logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)


def monthly_svg(
    *, title: str, lines: list[tuple[str, list[float | None]]], month_label: str
) -> bytes:
    """One line per (label, twelve monthly values); None (a month to come) is left blank."""
    import warnings

    from matplotlib.ticker import FuncFormatter, MaxNLocator

    with matplotlib.rc_context(
        {
            "svg.fonttype": "none",
            "svg.hashsalt": "aidcenter",  # the same figures give the same bytes
            "font.family": "sans-serif",
            "font.sans-serif": FONTS,
            "font.size": 10,
            "axes.spines.top": False,
            "axes.spines.right": False,
        }
    ):
        figure = Figure(figsize=(5.2, 3.0), dpi=100, layout="constrained")
        FigureCanvasSVG(figure)
        axes = figure.add_subplot()
        months = list(range(1, 13))
        for index, (label, values) in enumerate(lines):
            axes.plot(
                months,
                [float("nan") if v is None else v for v in values],
                marker="o",
                markersize=3,
                linewidth=1.8,
                color=COLOURS[index % len(COLOURS)],
                label=label,
            )
        figure.suptitle(title, x=0.02, ha="left", fontsize=11)
        axes.set_xticks(months)
        axes.set_xlabel(month_label)
        axes.set_xlim(0.5, 12.5)
        axes.set_ylim(bottom=0)
        axes.yaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))
        axes.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:,.0f}"))
        axes.grid(axis="y", color="#dddddd", linewidth=0.6)
        figure.legend(loc="outside lower center", ncols=len(lines), frameon=False, fontsize=9)
        out = io.BytesIO()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            figure.savefig(out, format="svg", metadata={"Date": None})
    return out.getvalue()
