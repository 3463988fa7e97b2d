"""The instance's own verified history, as training data for the routing model.

A report teaches the router once a verifier has settled it:

- its category is the one the verifier confirmed (Report.category after verification);
- its agency is where it finally went: the agency of its last disposition that was not returned
  ("bukan wewenang"), passed on (dilimpahkan) or cancelled. A report disposed to the wrong office
  and then corrected teaches the correction, not the mistake.
- its archive outcome (for the "likely to be archived" flag): archived by an admin as unclear,
  irrelevant, without evidence, out of scope or SARA, against "handled" for the reports that
  reached an agency. Duplicates, withdrawn and expired reports say nothing about the text.

Rows are in submission order (oldest first): the model weighs recent decisions more, and the
held-out check uses the most recent reports, as the future will.
"""

from dataclasses import dataclass, field

from jembatan.reports.models import Disposition, DispositionStatus, Report, Status

NOT_FINAL = (DispositionStatus.BUKAN_WEWENANG, DispositionStatus.DIALIHKAN, DispositionStatus.DIBATALKAN)
ARCHIVE_LABELS = (
    "tidak-jelas",
    "tidak-memiliki-bukti-dukung",
    "mengandung-sara",
    "tidak-relevan",
    "bukan-pelayanan-publik",
)
HANDLED = "ditangani"


def report_text(title, description):
    return f"{title}. {description}"


def report_facts(*, region_id=None, channel=None, kind=None):
    """The non-text features of a report: its kabupaten/kota and province, channel and kind."""
    facts = []
    if region_id:
        parts = region_id.split(".")
        facts.append(f"province:{parts[0]}")
        if len(parts) >= 2:
            facts.append(f"city:{'.'.join(parts[:2])}")
    if channel:
        facts.append(f"channel:{channel}")
    if kind:
        facts.append(f"kind:{kind}")
    return facts


@dataclass
class Dataset:
    report_ids: list = field(default_factory=list)
    texts: list = field(default_factory=list)
    titles: list = field(default_factory=list)
    facts: list = field(default_factory=list)
    labels: dict = field(default_factory=lambda: {"agency": [], "category": [], "archive": []})

    def __len__(self):
        return len(self.texts)

    def counts(self):
        return {name: sum(1 for v in values if v is not None) for name, values in self.labels.items()}

    def head(self, n):
        """The first `n` rows (the oldest), as a new Dataset."""
        return Dataset(
            report_ids=self.report_ids[:n],
            texts=self.texts[:n],
            titles=self.titles[:n],
            facts=self.facts[:n],
            labels={k: v[:n] for k, v in self.labels.items()},
        )

    def tail(self, n):
        """The last `n` rows (the most recent), as a new Dataset."""
        return Dataset(
            report_ids=self.report_ids[-n:],
            texts=self.texts[-n:],
            titles=self.titles[-n:],
            facts=self.facts[-n:],
            labels={k: v[-n:] for k, v in self.labels.items()},
        )


def final_agencies(report_ids=None, using="default"):
    """{report id: agency id} of each report's last disposition that stuck."""
    dispositions = Disposition.objects.using(using).exclude(status__in=NOT_FINAL)
    if report_ids is not None:
        dispositions = dispositions.filter(report_id__in=report_ids)
    final = {}
    # Ordered oldest first, so the last one written for a report wins.
    for report_id, agency_id in dispositions.order_by("disposed_at", "pk").values_list(
        "report_id", "agency_id"
    ):
        final[report_id] = agency_id
    return final


def build_dataset(using="default"):
    """Every report with something to teach, oldest first."""
    agencies = final_agencies(using=using)
    rows = (
        Report.objects.using(using)
        .order_by("submitted_at", "pk")
        .values_list(
            "pk",
            "title",
            "description",
            "region_id",
            "channel",
            "kind",
            "category_id",
            "status",
            "archive_reason__code",
            "verified_at",
        )
    )
    data = Dataset()
    for (
        pk,
        title,
        description,
        region_id,
        channel,
        kind,
        category_id,
        status,
        reason,
        verified_at,
    ) in rows.iterator(chunk_size=2000):
        agency = agencies.get(pk)
        category = category_id if (category_id and verified_at) else None
        if status == Status.DIARSIPKAN_ADMIN and reason in ARCHIVE_LABELS:
            archive = reason
        elif agency is not None:
            archive = HANDLED
        else:
            archive = None
        if agency is None and category is None and archive is None:
            continue
        data.report_ids.append(pk)
        data.texts.append(report_text(title, description))
        data.titles.append(title or "")
        data.facts.append(report_facts(region_id=region_id, channel=channel, kind=kind))
        data.labels["agency"].append(str(agency) if agency is not None else None)
        data.labels["category"].append(str(category) if category is not None else None)
        data.labels["archive"].append(archive)
    return data
