"""The redacted forms stored beside a report's texts (Report.title_public, description_public,
address_public): filling them for rows that lack them, or deriving them again after the personal-data
detector (pii.py) changed.

Report.save() derives them on every write of a text; this is for rows written before the columns
(migration 0011 calls it), rows a bulk path wrote without save(), and rows derived by an older
detector: each row stores the pii.DETECTOR_VERSION it was derived with (`public_texts_version`),
so after a detector change only the stale rows are derived again (`--all`: every row). Events'
text_public is written with the event and never updated (events are append-only, a trigger
guards them); one that is NULL or made by an older detector is redacted again when read.
"""

from django.db import transaction
from django.db.models import Q

from jembatan.reports import pii, search
from jembatan.reports.pii import stored_redaction

FIELDS = ("title", "description", "address")
BATCH = 2000


def fill_public_texts(report_model, *, everything=False, apply=True, batch=BATCH, reindex=True):
    """Derive the stored redactions of the reports that lack one or whose one an older detector
    made (`everything`: of all reports).

    `report_model` is the Report model (a migration passes its historical one). Each row is
    updated only if its texts are still the ones read, so a concurrent edit is never overwritten
    with a redaction of the older text; the public search index follows (`reindex`: False only
    for migration 0011, older than that index). Returns how many rows were (or, without `apply`, would be)
    written.
    """
    # Migration 0011's historical model predates the version column (0016).
    versioned = any(field.name == "public_texts_version" for field in report_model._meta.get_fields())
    version = {"public_texts_version": pii.DETECTOR_VERSION} if versioned else {}
    rows = report_model.objects.all()
    if not everything:
        missing = Q(title_public=None) | Q(description_public=None) | Q(address_public=None)
        # A NULL version (derived before the column, or never) counts as stale too: the negated
        # lookup on a nullable column includes NULL.
        rows = rows.filter(missing | ~Q(**version) if versioned else missing)
    if not apply:
        return rows.count()
    done, last = 0, 0
    while True:
        texts = rows.filter(pk__gt=last).order_by("pk").values_list("pk", *FIELDS)
        chunk = list(texts[:batch])
        if not chunk:
            return done
        with transaction.atomic():
            written = []
            for pk, title, description, address in chunk:
                public = stored_redaction(title), stored_redaction(description), stored_redaction(address)
                if report_model.objects.filter(
                    pk=pk, title=title, description=description, address=address
                ).update(
                    title_public=public[0],
                    description_public=public[1],
                    address_public=public[2],
                    **version,
                ):
                    written.append((pk, public[0], public[1]))
            if reindex:
                # The public search reads these texts: SQLite's index of them follows in the same
                # transaction (PostgreSQL's column is generated from them).
                search.index_public_texts(written, using=report_model.objects.db)
            done += len(written)
        last = chunk[-1][0]
