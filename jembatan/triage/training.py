"""The instance's own verified history, as training data for the routing model.

A report teaches the router once a verifier has settled it:

- its category is the one the verifier confirmed (Report.category after verification);
- its agency is where it finally went: the agency of its last disposition that was not returned
  ("bukan wewenang"), passed on (dilimpahkan) or cancelled. A report disposed to the wrong office
  and then corrected teaches the correction, not the mistake.
- the agencies that sent it back as not their authority ("bukan wewenang"), unless it finally
  went to that agency after all: negative evidence, so that agency is proposed less for reports
  that read the same (learning.Returns; `Dataset.returns`);
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
    times: list = field(default_factory=list)  # submitted_at of each row
    returns: list = field(default_factory=list)  # [Returned], oldest report first

    def __len__(self):
        return len(self.texts)

    def counts(self):
        return {name: sum(1 for v in values if v is not None) for name, values in self.labels.items()}

    def head(self, n):
        """The first `n` rows (the oldest), as a new Dataset, with the returns of reports submitted
        before the next row (the held-out check must not learn from its own reports' returns)."""
        cutoff = self.times[n] if n < len(self.times) else None
        return Dataset(
            report_ids=self.report_ids[:n],
            texts=self.texts[:n],
            titles=self.titles[:n],
            facts=self.facts[:n],
            labels={k: v[:n] for k, v in self.labels.items()},
            times=self.times[:n],
            returns=[r for r in self.returns if cutoff is None or r.submitted_at < cutoff],
        )

    def returns_by_label(self):
        """{"agency": (texts, agency ids)} of the returns, for learning.train_bundle."""
        return {"agency": ([r.text for r in self.returns], [r.agency for r in self.returns])}

    def tail(self, n):
        """The last `n` rows (the most recent), as a new Dataset."""
        return Dataset(
            report_ids=self.report_ids[-n:],
            texts=self.texts[-n:],
            titles=self.titles[-n:],
            facts=self.facts[-n:],
            labels={k: v[-n:] for k, v in self.labels.items()},
            times=self.times[-n:],
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


@dataclass(frozen=True)
class Returned:
    """A report an agency sent back as "bukan wewenang"."""

    report_id: int
    submitted_at: object
    text: str
    agency: str


def returned_reports(final, using="default"):
    """[Returned] of every "bukan wewenang" return, oldest report first, leaving out a return by
    the agency the report finally went to after all (`final`: final_agencies())."""
    rows = (
        Disposition.objects.using(using)
        .filter(status=DispositionStatus.BUKAN_WEWENANG)
        .order_by("report__submitted_at", "report_id", "pk")
        .values_list("report_id", "agency_id", "report__submitted_at", "report__title", "report__description")
    )
    seen = set()
    out = []
    for report_id, agency_id, submitted_at, title, description in rows.iterator(chunk_size=2000):
        if final.get(report_id) == agency_id or (report_id, agency_id) in seen:
            continue
        seen.add((report_id, agency_id))
        out.append(Returned(report_id, submitted_at, report_text(title, description), str(agency_id)))
    return out


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
            "submitted_at",
        )
    )
    data = Dataset(returns=returned_reports(agencies, using=using))
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
        submitted_at,
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
        data.times.append(submitted_at)
        data.facts.append(report_facts(region_id=region_id, channel=channel, kind=kind))
        data.labels["agency"].append(str(agency) if agency is not None else None)
        data.labels["category"].append(str(category) if category is not None else None)
        data.labels["archive"].append(archive)
    return data
