"""Small builders for directory objects in tests. Each returns a saved object."""

import itertools

from jembatan.directory.models import Agency, AgencyKind, Category, Region, RegionLevel, RoutingRule

_seq = itertools.count(1)

LEVELS = {
    1: RegionLevel.PROVINSI,
    2: RegionLevel.KABUPATEN_KOTA,
    3: RegionLevel.KECAMATAN,
    4: RegionLevel.DESA_KELURAHAN,
}


def make_region(code, name=None):
    """A region and, when missing, its ancestors (names are made up unless given)."""
    parts = code.split(".")
    parent = make_region(".".join(parts[:-1])) if len(parts) > 1 else None
    region, _ = Region.objects.get_or_create(
        code=code,
        defaults={"name": name or f"Wilayah {code}", "level": LEVELS[len(parts)], "parent": parent},
    )
    return region


def make_agency(name=None, *, kind=AgencyKind.DINAS, parent=None, region=None, code=None, **extra):
    n = next(_seq)
    if isinstance(region, str):
        region = make_region(region)
    return Agency.objects.create(
        code=code or f"agency-{n}",
        name=name or f"Instansi {n}",
        kind=kind,
        parent=parent,
        region=region,
        **extra,
    )


def make_category(name=None, *, parent=None, code=None, **extra):
    n = next(_seq)
    return Category.objects.create(
        code=code or f"cat-{n}", name=name or f"Kategori {n}", parent=parent, **extra
    )


def make_rule(category, agency, region=None):
    if isinstance(region, str):
        region = make_region(region)
    return RoutingRule.objects.create(category=category, agency=agency, region=region)
