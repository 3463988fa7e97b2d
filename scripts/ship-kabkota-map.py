#!/usr/bin/env python3
"""Copy the kabupaten/kota boundaries of the instance's provinces into the insights app.

    python3 scripts/ship-kabkota-map.py 13 14      # Sumatera Barat and Riau

Reads ../shared/data/indonesia-kabkota.geojson (MIT, © 2023 Creasi.co, creasico/laravel-nusa),
keeps the features of the given provinces, rounds coordinates to 3 decimals (about 100 m, far
below what a 900-pixel map shows) and drops repeated points, and writes
jembatan/insights/data/indonesia-kabkota.geojson. The whole country is 800 KB this way; an
instance ships only the provinces it serves (see jembatan/insights/data/README.md).
"""

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT.parent / "shared" / "data" / "indonesia-kabkota.geojson"
TARGET = ROOT / "jembatan" / "insights" / "data" / "indonesia-kabkota.geojson"
NOTICE = "creasico/laravel-nusa resources/json/*/regencies.json (MIT, Copyright (c) 2023 Creasi.co)"


def _ring(ring):
    out = []
    for lon, lat in ring:
        point = [round(lon, 3), round(lat, 3)]
        if not out or out[-1] != point:
            out.append(point)
    return out


def main(provinces):
    if not provinces:
        sys.exit(__doc__)
    data = json.loads(SOURCE.read_text(encoding="utf-8"))
    features = []
    for feature in data["features"]:
        props = feature["properties"]
        if props["province"] not in provinces:
            continue
        polygons = []
        for polygon in feature["geometry"]["coordinates"]:
            rings = [r for r in (_ring(ring) for ring in polygon) if len(r) >= 4]
            if rings:
                polygons.append(rings)
        features.append(
            {
                "type": "Feature",
                "properties": {"kode": props["code"], "nama": props["name"], "provinsi": props["province"]},
                "geometry": {"type": "MultiPolygon", "coordinates": polygons},
            }
        )
    missing = sorted(set(provinces) - {f["properties"]["provinsi"] for f in features})
    out = {
        "type": "FeatureCollection",
        "metadata": {"source": NOTICE, "license": "MIT", "provinces": sorted(provinces)},
        "features": features,
    }
    TARGET.write_text(json.dumps(out, separators=(",", ":"), ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"{len(features)} kabupaten/kota written to {TARGET.relative_to(ROOT)}")
    if missing:
        print(f"not in the source (the province map is shown instead): {', '.join(missing)}")


if __name__ == "__main__":
    main(sys.argv[1:])
