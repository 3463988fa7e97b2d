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
KABKOTA_GEOJSON = Path(__file__).resolve().parent / "data" / "indonesia-kabkota.geojson"
MAP_SOURCE = "denyherianto/indonesia-geojson-topojson-maps-with-38-provinces"
KABKOTA_SOURCE = "creasico/laravel-nusa"


def map_attribution(kabkota=False):
    """The credit the map's licence asks for, in the current language."""
    if kabkota:
        return _("Batas kabupaten/kota: %(source)s, MIT, © 2023 Creasi.co (disederhanakan)") % {
            "source": KABKOTA_SOURCE
        }
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


def nice_step(top, ticks=4):
    """The smallest step of 1, 2 or 5 × 10ⁿ that covers `top` in at most `ticks` steps (whole
    numbers: the charts count reports)."""
    if top <= 0:
        return 1
    raw = top / ticks
    exponent = 10 ** math.floor(math.log10(raw)) if raw >= 1 else 1
    for factor in (1, 2, 5, 10):
        step = factor * exponent
        if step >= raw:
            return max(1, int(step))
    return int(10 * exponent)


def _nice_max(value, ticks=4):
    step = nice_step(value, ticks)
    return step * max(1, math.ceil(value / step)) if value > 0 else step


def line_chart(labels, current, previous=None, *, title, current_label, previous_label=""):
    """Two lines (this period, the period before) over the same buckets."""
    width, height, left, bottom, top, right = 720, 240, 48, 28, 12, 12
    values = list(current) + list(previous or [])
    tick = nice_step(max(values, default=0))
    top_value = _nice_max(max(values, default=0))
    tick_count = round(top_value / tick)
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
    for i in range(tick_count + 1):
        v = tick * i
        y = top + (height - top - bottom) * (1 - v / top_value)
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


def jenks_classes(values, k=5):
    """[(low, high)] of up to k classes of the positive `values`, by Jenks natural breaks (the
    grouping that minimises the spread inside classes), each bounded by values that occur.

    Small inputs (a province's 19 kabupaten/kota, 38 provinces), so the exact dynamic programme is
    cheap; fewer distinct values than k give one class per value.
    """
    data = sorted(v for v in values if v > 0)
    distinct = sorted(set(data))
    if len(distinct) <= k:
        return [(v, v) for v in distinct]
    n = len(data)
    prefix, prefix_sq = [0.0], [0.0]
    for v in data:
        prefix.append(prefix[-1] + v)
        prefix_sq.append(prefix_sq[-1] + v * v)

    def cost(i, j):  # squared deviations of data[i:j] around their mean
        total, count = prefix[j] - prefix[i], j - i
        return prefix_sq[j] - prefix_sq[i] - total * total / count

    inf = float("inf")
    best = [[inf] * (n + 1) for _ in range(k + 1)]
    cut = [[0] * (n + 1) for _ in range(k + 1)]
    best[0][0] = 0.0
    for c in range(1, k + 1):
        for j in range(c, n + 1):
            for i in range(c - 1, j):
                # Equal values stay in one class: never cut between two equal values.
                if i and data[i - 1] == data[i]:
                    continue
                value = best[c - 1][i] + cost(i, j)
                if value < best[c][j]:
                    best[c][j], cut[c][j] = value, i
    classes, j, c = [], n, k  # k classes always exist here: more than k distinct values
    while c > 0 and j > 0:
        i = cut[c][j]
        classes.append((data[i], data[j - 1]))
        j, c = i, c - 1
    return sorted(classes)


def _class_of(classes, n):
    for i, (_low, high) in enumerate(classes):
        if n <= high:
            return i
    return len(classes) - 1


@functools.cache
def _kabkota(province):
    """[(code, name, svg path d)] of the province's kabupaten/kota, fitted to the map's width
    (equirectangular with the latitude's cosine: a province is small enough), or None."""
    if not KABKOTA_GEOJSON.exists():
        return None
    data = json.loads(KABKOTA_GEOJSON.read_text(encoding="utf-8"))
    features = [f for f in data["features"] if f["properties"]["provinsi"] == province]
    if not features:
        return None
    lons = [
        lon for f in features for poly in f["geometry"]["coordinates"] for ring in poly for lon, _ in ring
    ]
    lats = [
        lat for f in features for poly in f["geometry"]["coordinates"] for ring in poly for _, lat in ring
    ]
    min_lon, max_lon, min_lat, max_lat = min(lons), max(lons), min(lats), max(lats)
    squeeze = math.cos(math.radians((min_lat + max_lat) / 2))
    width, pad = 900, 10
    scale = (width - 2 * pad) / ((max_lon - min_lon) * squeeze)
    result = []
    for feature in sorted(features, key=lambda f: f["properties"]["kode"]):
        paths = []
        for polygon in feature["geometry"]["coordinates"]:
            for ring in polygon:
                points = [
                    f"{pad + (lon - min_lon) * squeeze * scale:.1f} {pad + (max_lat - lat) * scale:.1f}"
                    for lon, lat in ring
                ]
                paths.append("M" + "L".join(points) + "Z")
        props = feature["properties"]
        result.append((props["kode"], props["nama"], "".join(paths)))
    height = round((max_lat - min_lat) * scale + 2 * pad)
    return result, width, height, (min_lon, max_lat, squeeze, scale, pad)


def has_kabkota_map(province):
    return bool(province) and _kabkota(province) is not None


def hotspots(cells, *, province, title, link=None):
    """Clustered points over the province's kab/kota outlines: one circle per grid cell that holds
    reports with coordinates, at the cells' mean position, its area proportional to the count.

    `cells` [(lat_min, lon_min, count, mean_lat, mean_lon)]; `link(lat_min, lon_min)` gives the
    cell's drill-down URL. None when the province's boundaries are not shipped or there is nothing.
    """
    shapes = _kabkota(province)
    if shapes is None or not cells:
        return None
    features, width, height, (min_lon, max_lat, squeeze, scale, pad) = shapes
    biggest = max(n for _a, _b, n, _y, _x in cells)
    parts = [
        format_html(
            '<svg class="map hotspots" viewBox="0 0 {} {}" role="img" aria-label="{}">', width, height, title
        )
    ]
    for _code, name, d in features:
        parts.append(
            format_html(
                '<path d="{}" fill="#f4f6f8" stroke="#9aa5b1" stroke-width="0.6"><title>{}</title></path>',
                d,
                name,
            )
        )
    for lat_min, lon_min, n, lat, lon in sorted(cells, key=lambda c: -c[2]):
        x = pad + (lon - min_lon) * squeeze * scale
        y = pad + (max_lat - lat) * scale
        radius = 4 + 22 * math.sqrt(n / biggest)
        circle = format_html(
            '<circle cx="{}" cy="{}" r="{}" fill="#c0392b" fill-opacity="0.55" stroke="#7b241c">'
            "<title>{}</title></circle>",
            f"{x:.1f}",
            f"{y:.1f}",
            f"{radius:.1f}",
            _("%(n)s laporan") % {"n": _fmt(n)},
        )
        if link:
            circle = format_html('<a href="{}">{}</a>', link(lat_min, lon_min), circle)
        parts.append(circle)
    parts.append(mark_safe("</svg>"))
    return mark_safe(
        "".join(parts) + format_html('<p class="attribution">{} · {}</p>', _("Peta"), map_attribution(True))
    )


def choropleth(counts, *, title, link=None, province=None, selected=None):
    """A choropleth coloured by `counts`: the kabupaten/kota of `province` ({kab/kota code: n}) when
    its boundaries are shipped, else the provinces of Indonesia ({province code: n}).

    `link(code)` gives each shape's drill-down URL; `selected` outlines one shape. Classes are Jenks
    natural breaks over the values shown; the legend gives each class's real range.
    """
    shapes = _kabkota(province) if province else None
    kabkota = shapes is not None
    features, width, height = shapes[:3] if kabkota else _provinces()
    shown = {code: counts.get(code, 0) for code, _name, _d in features}
    classes = jenks_classes(shown.values())
    offset = len(PALETTE) - len(classes)
    parts = [
        format_html(
            '<svg class="map{}" viewBox="0 0 {} {}" role="{}" aria-label="{}">',
            " kabkota" if kabkota else "",
            width,
            height,
            # A map whose shapes are links is a group of links, not one picture: role="img" would
            # hide them from screen readers (and axe's nested-interactive rule says so).
            "group" if link else "img",
            title,
        )
    ]
    for code, name, d in features:
        n = shown[code]
        colour = PALETTE[_class_of(classes, n) + offset] if n > 0 else EMPTY
        stroke = (
            ' stroke="#f4b400" stroke-width="3"'
            if code == selected
            else ' stroke="#5a6673" stroke-width="0.6"'
        )
        shape = format_html(
            '<path d="{}" fill="{}"{} data-kode="{}"><title>{}: {}</title></path>',
            d,
            colour,
            mark_safe(stroke),
            code,
            name,
            _fmt(n),
        )
        if link and (n or kabkota):
            shape = format_html('<a href="{}">{}</a>', link(code), shape)
        parts.append(shape)
    parts.append(mark_safe("</svg>"))
    legend = [format_html('<span class="key" style="background:{}"></span> 0', EMPTY)]
    for i, (low, high) in enumerate(classes):
        text = _fmt(low) if low == high else f"{_fmt(low)}–{_fmt(high)}"
        legend.append(
            format_html('<span class="key" style="background:{}"></span> {}', PALETTE[i + offset], text)
        )
    # The legend above the map: a tall province must not push it below the first screen.
    return mark_safe(
        '<p class="legend">'
        + " ".join(legend)
        + "</p>"
        + "".join(parts)
        + format_html('<p class="attribution">{} · {}</p>', _("Peta"), map_attribution(kabkota))
    )


@functools.cache
def _kabkota_outline(code):
    """(svg path d, width, height, project) of one kabupaten/kota fitted to a small map, or None.

    `project(lat, lon)` gives (x, y) on that map; the same simplified boundaries as _kabkota.
    """
    if not KABKOTA_GEOJSON.exists():
        return None
    data = json.loads(KABKOTA_GEOJSON.read_text(encoding="utf-8"))
    feature = next((f for f in data["features"] if f["properties"]["kode"] == code), None)
    if feature is None:
        return None
    rings = [ring for polygon in feature["geometry"]["coordinates"] for ring in polygon]
    lons = [lon for ring in rings for lon, _lat in ring]
    lats = [lat for ring in rings for _lon, lat in ring]
    min_lon, max_lon, min_lat, max_lat = min(lons), max(lons), min(lats), max(lats)
    squeeze = math.cos(math.radians((min_lat + max_lat) / 2))
    width, pad = 320, 8
    scale = (width - 2 * pad) / max((max_lon - min_lon) * squeeze, 1e-6)
    height = round(min((max_lat - min_lat) * scale + 2 * pad, 480))
    scale = min(scale, (height - 2 * pad) / max(max_lat - min_lat, 1e-6))

    def project(lat, lon):
        return pad + (lon - min_lon) * squeeze * scale, pad + (max_lat - lat) * scale

    def ring_path(ring):
        return "M" + "L".join("{:.1f} {:.1f}".format(*project(lat, lon)) for lon, lat in ring) + "Z"

    d = "".join(ring_path(ring) for ring in rings)
    return d, width, height, project


def place_map(kabkota_code, points, *, title, pin=None):
    """A small map of one kabupaten/kota's boundary with numbered points (the reports near the
    citizen) and the citizen's own pin, for the submit form. None when the boundary is not shipped.

    `points` [(number, lat, lon, label)]; `pin` (lat, lon) or None.
    """
    outline = _kabkota_outline(kabkota_code)
    if outline is None:
        return None
    d, width, height, project = outline
    parts = [
        format_html(
            '<svg class="map place" viewBox="0 0 {} {}" role="img" aria-label="{}">', width, height, title
        ),
        format_html('<path d="{}" fill="#f4f6f8" stroke="#5a6673" stroke-width="1"/>', d),
    ]
    for number, lat, lon, label in points:
        x, y = project(float(lat), float(lon))
        parts.append(
            format_html(
                '<g class="point"><circle cx="{}" cy="{}" r="9" fill="#c0392b" stroke="#fff"/>'
                '<text x="{}" y="{}" text-anchor="middle" fill="#fff" font-size="11">{}</text>'
                "<title>{}</title></g>",
                f"{x:.1f}",
                f"{y:.1f}",
                f"{x:.1f}",
                f"{y + 4:.1f}",
                number,
                label,
            )
        )
    if pin is not None:
        x, y = project(float(pin[0]), float(pin[1]))
        parts.append(
            format_html(
                '<g class="pin"><circle cx="{}" cy="{}" r="6" fill="#0b5394" stroke="#fff" stroke-width="2"/>'
                "<title>{}</title></g>",
                f"{x:.1f}",
                f"{y:.1f}",
                _("Lokasi Anda"),
            )
        )
    parts.append(mark_safe("</svg>"))
    return mark_safe(
        "".join(parts) + format_html('<p class="attribution">{} · {}</p>', _("Peta"), map_attribution(True))
    )
