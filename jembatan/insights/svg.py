"""Charts and the province map as server-rendered SVG.

Why SVG from the server rather than a vendored Chart.js: the pages stay readable without
JavaScript (as the house style asks), the same markup prints in the monthly report, and there is
no 200 KB library to pin, audit and update. The charts are simple (a line against the previous
period, bars per channel or type, a choropleth), and every one of them is followed by a table with
the same numbers, which is what screen readers and exports use.
"""

import functools
import hashlib
import json
import math
from pathlib import Path

from django.utils import formats
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

GEOJSON = Path(__file__).resolve().parent / "data" / "indonesia-38-provinces.geojson"
MAP_SOURCE = "denyherianto/indonesia-geojson-topojson-maps-with-38-provinces"


def map_attribution():
    """The credit the map's licence asks for, in the current language."""
    return _("Batas provinsi: %(source)s, CC BY 4.0 (disederhanakan)") % {"source": MAP_SOURCE}


# Sequential blues, light to dark; text on the legend stays dark on the first three.
PALETTE = ["#e8f0f8", "#bcd3ea", "#7fa9d4", "#3f7cba", "#0b4f8a"]
EMPTY = "#f4f4f4"
CURRENT = "#0b5394"
PREVIOUS = "#8a97a6"


def _fmt(value):
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.1f}".replace(".", formats.get_format("DECIMAL_SEPARATOR"))
    return f"{value:,}".replace(",", formats.get_format("THOUSAND_SEPARATOR"))


def _nice_max(value):
    if value <= 0:
        return 1
    exponent = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * exponent:
            return step * exponent
    return 10 * exponent


def line_chart(labels, current, previous=None, *, title, current_label, previous_label=""):
    """Two lines (this period, the period before) over the same buckets."""
    width, height, left, bottom, top, right = 720, 240, 48, 28, 12, 12
    values = list(current) + list(previous or [])
    top_value = _nice_max(max(values, default=0))
    n = max(len(labels), 1)
    step = (width - left - right) / max(n - 1, 1)

    def point(i, v):
        x = left + i * step
        y = top + (height - top - bottom) * (1 - v / top_value)
        return f"{x:.1f},{y:.1f}"

    parts = [
        format_html(
            '<svg class="chart" viewBox="0 0 {} {}" role="img" aria-labelledby="{}">'
            '<title id="{}">{}</title>',
            width,
            height,
            "c" + hashlib.md5(title.encode()).hexdigest()[:8],
            "c" + hashlib.md5(title.encode()).hexdigest()[:8],
            title,
        )
    ]
    for i in range(5):
        v = top_value * i / 4
        y = top + (height - top - bottom) * (1 - i / 4)
        parts.append(
            format_html(
                '<line x1="{}" x2="{}" y1="{}" y2="{}" class="grid"/>'
                '<text x="{}" y="{}" class="axis" text-anchor="end">{}</text>',
                left,
                width - right,
                f"{y:.1f}",
                f"{y:.1f}",
                left - 6,
                f"{y + 4:.1f}",
                _fmt(round(v)),
            )
        )
    every = max(1, math.ceil(n / 8))
    for i, label in enumerate(labels):
        if i % every == 0 or (i == n - 1 and i % every >= every / 2):
            parts.append(
                format_html(
                    '<text x="{}" y="{}" class="axis" text-anchor="middle">{}</text>',
                    f"{left + i * step:.1f}",
                    height - 8,
                    label,
                )
            )
    if previous:
        points = " ".join(point(i, v) for i, v in enumerate(previous))
        parts.append(
            format_html(
                '<polyline points="{}" fill="none" stroke="{}" stroke-width="2" stroke-dasharray="5 4"/>',
                points,
                PREVIOUS,
            )
        )
    points = " ".join(point(i, v) for i, v in enumerate(current))
    parts.append(
        format_html('<polyline points="{}" fill="none" stroke="{}" stroke-width="3"/>', points, CURRENT)
    )
    parts.append(mark_safe("</svg>"))
    legend = format_html('<span class="key current"></span> {}', current_label)
    if previous:
        legend += format_html(' <span class="key previous"></span> {}', previous_label)
    return mark_safe("".join(parts) + f'<p class="legend" aria-hidden="true">{legend}</p>')


def bar_chart(items, *, title):
    """Horizontal bars [(label, value, previous value or None)]."""
    width, row, left = 720, 26, 190
    height = row * len(items) + 8
    top_value = _nice_max(max([v for _l, v, _p in items] + [p or 0 for _l, _v, p in items], default=0))
    usable = width - left - 80
    parts = [
        format_html(
            '<svg class="chart" viewBox="0 0 {} {}" role="img" aria-label="{}">',
            width,
            max(height, 30),
            title,
        )
    ]
    for i, (label, value, previous) in enumerate(items):
        y = 4 + i * row
        w = usable * (value or 0) / top_value
        parts.append(
            format_html(
                '<text x="{}" y="{}" class="axis" text-anchor="end">{}</text>'
                '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"/>'
                '<text x="{}" y="{}" class="axis">{}</text>',
                left - 8,
                y + 16,
                str(label)[:28],
                left,
                y + 4,
                f"{w:.1f}",
                row - 10,
                CURRENT,
                f"{left + w + 6:.1f}",
                y + 16,
                _fmt(value or 0),
            )
        )
        if previous is not None:
            px = left + usable * previous / top_value
            parts.append(
                format_html(
                    '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="{}" stroke-width="3"/>',
                    f"{px:.1f}",
                    f"{px:.1f}",
                    y + 1,
                    y + row - 3,
                    PREVIOUS,
                )
            )
    parts.append(mark_safe("</svg>"))
    return mark_safe("".join(parts))


# --- The map -----------------------------------------------------------------------------------------


@functools.cache
def _provinces():
    """[(code, name, svg path d)] projected once per process (equirectangular, fine at the equator)."""
    data = json.loads(GEOJSON.read_text(encoding="utf-8"))
    min_lon, max_lon, min_lat, max_lat = 94.8, 141.1, -11.2, 6.2
    width = 900
    scale = width / (max_lon - min_lon)
    result = []
    for feature in data["features"]:
        paths = []
        for polygon in feature["geometry"]["coordinates"]:
            for ring in polygon:
                points = [f"{(lon - min_lon) * scale:.1f} {(max_lat - lat) * scale:.1f}" for lon, lat in ring]
                paths.append("M" + "L".join(points) + "Z")
        result.append((feature["properties"]["kode"], feature["properties"]["PROVINSI"], "".join(paths)))
    height = (max_lat - min_lat) * scale
    return result, width, round(height)


def _classes(values):
    """Upper bounds of five classes (quantiles of the non-zero values), ascending."""
    positive = sorted(v for v in values if v > 0)
    if not positive:
        return []
    bounds = []
    for i in range(1, 6):
        bound = positive[min(len(positive) - 1, math.ceil(i * len(positive) / 5) - 1)]
        if not bounds or bound > bounds[-1]:
            bounds.append(bound)
    return bounds


def choropleth(counts, *, title, link=None):
    """The province map coloured by `counts` {province code: n}; `link(code)` gives a drill-down URL."""
    provinces, width, height = _provinces()
    bounds = _classes(counts.values())
    parts = [
        format_html('<svg class="map" viewBox="0 0 {} {}" role="img" aria-label="{}">', width, height, title)
    ]
    for code, name, d in provinces:
        n = counts.get(code, 0)
        colour = EMPTY
        if n > 0:
            colour = PALETTE[next(i for i, b in enumerate(bounds) if n <= b) + (5 - len(bounds))]
        shape = format_html(
            '<path d="{}" fill="{}" stroke="#5a6673" stroke-width="0.6"><title>{}: {}</title></path>',
            d,
            colour,
            name,
            _fmt(n),
        )
        if link and n:
            shape = format_html('<a href="{}">{}</a>', link(code), shape)
        parts.append(shape)
    parts.append(mark_safe("</svg>"))
    legend = [format_html('<span class="key" style="background:{}"></span> 0', EMPTY)]
    low = 1
    for i, bound in enumerate(bounds):
        colour = PALETTE[i + (5 - len(bounds))]
        label = _fmt(bound) if bound == low else f"{_fmt(low)}–{_fmt(bound)}"
        legend.append(format_html('<span class="key" style="background:{}"></span> {}', colour, label))
        low = bound + 1
    return mark_safe(
        "".join(parts)
        + '<p class="legend">'
        + " ".join(legend)
        + "</p>"
        + format_html('<p class="attribution">{} · {}</p>', _("Peta"), map_attribution())
    )
