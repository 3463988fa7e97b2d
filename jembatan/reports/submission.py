"""A new report as every entry point describes it (portal, workbench, REST API, Open311, SMS,
WhatsApp, e-mail, the LAPOR! import): one NewReport, validated once, given to submit_report."""

import dataclasses
import datetime as dt

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from jembatan.notify.phones import normalize_phone
from jembatan.reports.errors import ReportError, clean_text
from jembatan.reports.models import Channel, ReceivedVia, ReportType

# The choices' values, built once: Django's `Choices.values` builds a fresh list (with labels) on
# every use, and every submission checks three of them (issue 15).
_KINDS = frozenset(ReportType.values)
_CHANNELS = frozenset(Channel.values)
_RECEIVED_VIA = frozenset(ReceivedVia.values)

MIN_TITLE_LENGTH = 5
MIN_DESCRIPTION_LENGTH = 20


@dataclasses.dataclass(frozen=True, kw_only=True)
class NewReport:
    """What an entry point knows about a new report; `validated()` is the one check of it."""

    kind: str
    title: str
    description: str
    channel: str = Channel.WEB
    region: object = None
    category: object = None
    target_agency: object = None
    incident_date: dt.date | None = None
    address: str = ""
    latitude: float | None = None
    longitude: float | None = None
    is_anonymous: bool = False
    is_confidential: bool = False
    # The reporter's account; None for a guest, who leaves a name, an e-mail address or a phone.
    reporter: object = None
    reporter_name: str = ""
    reporter_email: str = ""
    reporter_phone: str = ""
    attachments: tuple = ()
    ombudsman_consent: bool = False
    # Where it came from: another instance or an Open311 client, and its number there.
    source_instance: str = ""
    external_id: str = ""
    submitted_at: dt.datetime | None = None
    # A report handed over by another instance keeps the completion deadline its first disposal
    # set there (federation): the SLA clock follows the report, it does not restart.
    completion_due_at: dt.datetime | None = None
    # How a report an officer types in reached them (ReceivedVia): required for Channel.OFFICER.
    received_via: str = ""

    @classmethod
    def from_data(cls, data, **fixed):
        """From a form's or a serializer's cleaned data (the fields it has) and the entry point's own."""
        names = {field.name for field in dataclasses.fields(cls)} - set(fixed)
        return cls(**{key: value for key, value in data.items() if key in names}, **fixed)

    def replace(self, **changes):
        return dataclasses.replace(self, **changes)

    def validated(self, *, today):
        """This report cleaned (text stripped, e-mail lower-cased, phone normalised), or a ReportError
        naming the field in the user's language."""
        if self.kind not in _KINDS:
            raise ReportError(_("Jenis laporan tidak dikenal."), field="kind")
        if self.channel not in _CHANNELS:
            raise ReportError(_("Kanal tidak dikenal."), field="channel")
        # A report imported from another system keeps the text its source accepted, however short:
        # its history must not be lost to this instance's intake rule (an empty text is still refused).
        imported = self.channel == Channel.IMPORT
        title = clean_text(
            self.title,
            field="title",
            minimum=1 if imported else MIN_TITLE_LENGTH,
            maximum=200,
            label=_("Judul"),
        )
        description = clean_text(
            self.description,
            field="description",
            minimum=1 if imported else MIN_DESCRIPTION_LENGTH,
            maximum=10000,
            label=_("Isi laporan"),
        )
        if self.incident_date and self.incident_date > today:
            raise ReportError(_("Tanggal kejadian tidak boleh di masa depan."), field="incident_date")
        if self.channel == Channel.OFFICER:
            if self.received_via not in _RECEIVED_VIA:
                raise ReportError(_("Pilih bagaimana laporan ini diterima."), field="received_via")
        elif self.received_via:
            raise ReportError(
                _("Cara penerimaan hanya untuk laporan yang dicatat petugas."), field="received_via"
            )
        check_coordinates(self.latitude, self.longitude)
        contact = {"reporter_name": "", "reporter_email": "", "reporter_phone": ""}
        if self.reporter is None:
            contact = self._guest_contact(imported)
        return self.replace(
            title=title,
            description=description,
            address=(self.address or "").strip()[:300],
            attachments=tuple(self.attachments or ()),
            is_anonymous=bool(self.is_anonymous),
            is_confidential=bool(self.is_confidential),
            ombudsman_consent=bool(self.ombudsman_consent),
            **contact,
        )

    def _guest_contact(self, imported):
        email = (self.reporter_email or "").strip().lower()
        phone = self.reporter_phone or ""
        if phone:
            try:
                phone = normalize_phone(phone)
            except ValidationError:
                raise ReportError(
                    _("Nomor ponsel tidak valid. Contoh: 0812 3456 7890."), field="reporter_phone"
                ) from None
        if not email and not phone and not imported:
            raise ReportError(
                _("Isi alamat e-mail atau nomor ponsel agar kami dapat mengabari perkembangan laporan Anda."),
                field="reporter_email",
            )
        return {
            "reporter_name": (self.reporter_name or "").strip()[:150],
            "reporter_email": email,
            "reporter_phone": phone,
        }


def check_coordinates(latitude, longitude):
    """Refuse a point outside WGS84 (a latitude beyond ±90°, a longitude beyond ±180°)."""
    if latitude is not None and not (-90 <= float(latitude) <= 90):
        raise ReportError(_("Lintang di luar rentang."), field="latitude")
    if longitude is not None and not (-180 <= float(longitude) <= 180):
        raise ReportError(_("Bujur di luar rentang."), field="longitude")


def first_words(text, limit=60):
    """A title from the start of a text: whole words, at most `limit` characters."""
    words = " ".join((text or "").split())
    if len(words) <= limit:
        return words
    # One character past the limit: a cut that lands on a space keeps the word before it.
    return words[: limit + 1].rsplit(" ", 1)[0].rstrip(" ,.;:")
