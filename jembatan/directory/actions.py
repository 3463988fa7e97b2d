"""Loading the map of government's reference data: regions and categories arrive in bulk from
the files in directory/data (read by sources.py), run by an operator on the server.

Changes made by people one at a time (an agency, a category, a routing rule, a region's name) are
checked against their roles and audited, so they sit a layer up, in backoffice/actions.py.
"""

from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from jembatan.directory.models import Category, Region
from jembatan.directory.names import normalize_region_name

# bulk_create splits further when the database limits query parameters; 2,000 rows keep each
# transaction step small enough for a smooth progress bar without slowing the load.
_BATCH = 2000


class RegionLoadError(ValueError):
    """The rows cannot be loaded as they are; nothing was written."""


@dataclass(frozen=True)
class RegionLoadResult:
    read: int
    created: int
    updated: int
    unchanged: int
    kept: int  # in the database but not in the file: kept, reports may point at them


@dataclass(frozen=True)
class CategoryLoadResult:
    created: int
    updated: int
    unchanged: int


def missing_regions(*, rows):
    """Return how many of `rows` are not in the region table yet."""
    existing = set(Region.objects.values_list("code", flat=True))
    return sum(1 for row in rows if row.code not in existing)


def load_regions(*, rows, progress=None):
    """Add new regions and update changed ones from `rows` (parents first); never delete one.

    A code that left the Kemendagri list stays: reports and agencies point at it (PROTECT), and a
    region merged away still names where an old report came from. `progress(done, total)` is called
    after every batch.
    """
    existing = {
        code: (name, level, parent_id, search_name)
        for code, name, level, parent_id, search_name in Region.objects.values_list(
            "code", "name", "level", "parent_id", "search_name"
        )
    }
    known = set(existing) | {row.code for row in rows}
    to_create, to_update = [], []
    for row in rows:
        if row.parent_code and row.parent_code not in known:
            raise RegionLoadError(
                _("Wilayah %(code)s tidak punya induk %(parent)s, baik di berkas maupun di basis data.")
                % {"code": row.code, "parent": row.parent_code}
            )
        # bulk_create and bulk_update skip Region.save, which derives search_name: derive it here.
        values = (row.name, row.level, row.parent_code, normalize_region_name(row.name))
        current = existing.get(row.code)
        if current == values:
            continue
        region = Region(
            code=row.code, name=values[0], level=values[1], parent_id=values[2], search_name=values[3]
        )
        (to_create if current is None else to_update).append(region)

    total, done = len(to_create) + len(to_update), 0
    with transaction.atomic():
        for start in range(0, len(to_create), _BATCH):
            batch = to_create[start : start + _BATCH]
            Region.objects.bulk_create(batch, batch_size=_BATCH)
            done += len(batch)
            if progress:
                progress(done, total)
        for start in range(0, len(to_update), _BATCH):
            batch = to_update[start : start + _BATCH]
            Region.objects.bulk_update(batch, ["name", "level", "parent", "search_name"], batch_size=500)
            done += len(batch)
            if progress:
                progress(done, total)
    file_codes = {row.code for row in rows}
    return RegionLoadResult(
        read=len(rows),
        created=len(to_create),
        updated=len(to_update),
        unchanged=len(rows) - total,
        kept=sum(1 for code in existing if code not in file_codes),
    )


def load_categories(*, rows):
    """Create or update the category groups and categories from `rows`; never delete one.

    The file owns a category's name and group (they follow SP4N-LAPOR!). Its routing defaults and
    keywords are only written when the category is new or they are still blank: an administrator
    who tuned them in the admin keeps the tuning when the loader runs again.
    """
    created = updated = 0
    with transaction.atomic():
        current = {
            category.code: category for category in Category.objects.select_for_update().order_by("pk")
        }
        for row in rows:  # groups come first, so a category's group already exists
            parent = current[row.group] if row.group else None
            category = current.get(row.code)
            if category is None:
                current[row.code] = Category.objects.create(
                    code=row.code,
                    name=row.name,
                    parent=parent,
                    default_agency_kind=row.default_agency_kind,
                    default_agency_keyword=row.default_agency_keyword,
                    keywords=row.keywords,
                )
                created += 1
                continue
            changed = []
            if category.name != row.name:
                category.name = row.name
                changed.append("name")
            if category.parent_id != (parent.pk if parent else None):
                category.parent = parent
                changed.append("parent")
            for field in ("default_agency_kind", "default_agency_keyword", "keywords"):
                if not getattr(category, field) and getattr(row, field):
                    setattr(category, field, getattr(row, field))
                    changed.append(field)
            if changed:
                category.save(update_fields=changed)
                updated += 1
    return CategoryLoadResult(created=created, updated=updated, unchanged=len(rows) - created - updated)
