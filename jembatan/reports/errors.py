"""The errors of the report actions, and the one text check every entry point's input goes through."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy


class ReportError(Exception):
    """An illegal move or bad input; the message is in the user's language."""

    code = "invalid"

    def __init__(self, message, *, field=None, code=None):
        super().__init__(str(message))
        self.message = str(message)
        self.field = field
        if code:
            self.code = code


class IllegalTransition(ReportError):
    code = "illegal_transition"


class ReportConflict(ReportError):
    code = "conflict"


STALE_MESSAGE = gettext_lazy(
    "Laporan ini sudah diubah oleh orang lain sejak Anda membukanya. Muat ulang halaman dan periksa lagi; "
    "tindakan Anda belum diterapkan."
)


def clean_text(value, *, field, minimum=1, maximum=None, label=None):
    """`value` stripped, or a ReportError naming the field when it is too short or too long."""
    text = (value or "").strip()
    if len(text) < minimum:
        if minimum <= 1:
            raise ReportError(_("%(label)s wajib diisi.") % {"label": label or field}, field=field)
        raise ReportError(
            _("%(label)s terlalu pendek: paling sedikit %(n)d karakter.")
            % {"label": label or field, "n": minimum},
            field=field,
        )
    if maximum and len(text) > maximum:
        raise ReportError(
            _("%(label)s terlalu panjang: paling banyak %(n)d karakter.")
            % {"label": label or field, "n": maximum},
            field=field,
        )
    return text
