"""The English catalogue: complete for the finished apps, compiled, and what English readers get.

The msgids are the Bahasa Indonesia originals, so a missing translation does not fail loudly: an
English reader silently sees Indonesian. These tests find the msgids the finished apps use straight
from their sources (Python through `ast`, templates through Django's own `templatize`, the step
makemessages runs before xgettext), so a string added without refreshing the catalogue
(`make messages`) fails here, and they need no GNU gettext on the machine.
"""

import ast
import gettext
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils import translation
from django.utils.translation.template import templatize

from jembatan.accounts.actions import register_citizen
from jembatan.accounts.tests.factories import PASSWORD
from jembatan.notify.models import NotifyChannel
from jembatan.notify.rendering import KINDS, SMS_MAX_CHARS, Audience, render_message
from jembatan.notify.tests.factories import make_agency, make_disposition, make_report
from jembatan.reports.models import Status
from jembatan.reports.notifications import report_context

PROJECT = Path(settings.BASE_DIR) / "jembatan"
PO_FILE = PROJECT / "locale" / "en" / "LC_MESSAGES" / "django.po"
MO_FILE = PO_FILE.with_suffix(".mo")

# Every part of the project: every string it shows must have a checked English translation.
STABLE_SOURCES = [
    "accounts", "notify", "reports", "directory", "ops", "portal", "workbench", "api", "intake",
    "triage", "insights", "templates", "*.py",
]  # fmt: skip
EXTENSIONS = {".py", ".html", ".txt"}  # what makemessages reads by default


# --- Reading the catalogue and the sources ------------------------------------------------------------


def parse_po(text):
    """The live entries of a .po file as {(msgctxt, msgid): {"plural", "msgstr": [...], "flags"}}."""
    entries = {}
    for block in re.split(r"\n[ \t]*\n", text.strip()):
        # Obsolete entries (#~) are what msgmerge keeps of deleted msgids; gettext never uses them.
        lines = [line for line in block.splitlines() if line.strip() and not line.startswith("#~")]
        fields, flags, current = {}, set(), None
        for line in lines:
            if line.startswith("#,"):
                flags.update(flag.strip() for flag in line[2:].split(","))
            elif line.startswith("#"):
                continue
            elif line.startswith('"'):
                fields[current] += ast.literal_eval(line)
            else:
                current, _, value = line.partition(" ")
                fields[current] = ast.literal_eval(value)
        if "msgid" not in fields:
            continue
        msgstr = [fields[key] for key in sorted(k for k in fields if k.startswith("msgstr"))]
        entries[(fields.get("msgctxt"), fields["msgid"])] = {
            "plural": fields.get("msgid_plural"),
            "msgstr": msgstr,
            "flags": flags,
        }
    return entries


@pytest.fixture(scope="module")
def catalogue():
    return parse_po(PO_FILE.read_text(encoding="utf-8"))


SINGULAR_KEYWORDS = {"_", "gettext", "gettext_lazy", "gettext_noop", "ngettext", "ngettext_lazy"}
CONTEXT_KEYWORDS = {"pgettext", "pgettext_lazy", "npgettext", "npgettext_lazy"}


def msgids_in_python(source):
    """(msgctxt, msgid) of every translation call with literal arguments, as xgettext finds them."""
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
        args = [
            a.value if isinstance(a, ast.Constant) and isinstance(a.value, str) else None for a in node.args
        ]
        if name in SINGULAR_KEYWORDS and args and args[0] is not None:
            yield (None, args[0])
        elif name in CONTEXT_KEYWORDS and len(args) >= 2 and None not in args[:2]:
            yield (args[0], args[1])


# templatize turns every {% translate %} / {% blocktranslate %} into gettext(u'…'), ngettext(u'…', u'…',
# count), pgettext(u'ctx', u'…') or npgettext(u'ctx', u'…', u'…',count), with Python literals.
_LITERAL = r"u?(?:'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")"
_TEMPLATE_CALL = re.compile(rf"\b(n?p?gettext)\((\s*{_LITERAL}(?:\s*,\s*{_LITERAL})*)")


def msgids_in_template(source, origin):
    for match in _TEMPLATE_CALL.finditer(templatize(source, origin=origin)):
        literals = [ast.literal_eval(s) for s in re.findall(_LITERAL, match.group(2))]
        has_context = match.group(1) in {"pgettext", "npgettext"}
        yield (literals[0], literals[1]) if has_context else (None, literals[0])


def stable_source_files():
    # Like `makemessages --ignore "tests/*" --ignore "*/tests/*"`: test data is not user-facing text.
    for pattern in STABLE_SOURCES:
        for root in sorted(PROJECT.glob(pattern)):
            for path in [root] if root.is_file() else sorted(root.rglob("*")):
                if path.suffix in EXTENSIONS and "tests" not in path.relative_to(PROJECT).parts:
                    yield path


@pytest.fixture(scope="module")
def stable_msgids():
    found = {}
    for path in stable_source_files():
        source = path.read_text(encoding="utf-8")
        ids = msgids_in_python(source) if path.suffix == ".py" else msgids_in_template(source, str(path))
        for key in ids:
            found.setdefault(key, str(path.relative_to(PROJECT)))
    return found


# --- The catalogue itself ---------------------------------------------------------------------------


def test_the_source_scan_finds_strings_in_code_and_in_templates(stable_msgids):
    # Guards the scanner itself: if it found nothing, the completeness test below would pass vacuously.
    assert (None, "Belum Terverifikasi") in stable_msgids  # reports/models.py, gettext_lazy
    assert (None, "Kode salah. Sisa %(count)d percobaan.") in stable_msgids  # accounts, ngettext
    assert (None, "Lompat ke isi") in stable_msgids  # templates/base.html, {% translate %}
    # notify SMS template, {% blocktranslate %} with variables
    assert (None, "Laporan #%(tracking_number)s (%(title_short)s) telah diterima dan akan diverifikasi.") in (
        stable_msgids
    )
    assert len(stable_msgids) > 400


def test_every_string_of_the_finished_apps_has_a_checked_english_translation(catalogue, stable_msgids):
    problems = []
    for key, where in sorted(stable_msgids.items(), key=lambda item: item[1]):
        entry = catalogue.get(key)
        if entry is None:
            problems.append(f"{where}: {key[1]!r} is not in the catalogue (run `make messages`)")
        elif "fuzzy" in entry["flags"]:
            problems.append(f"{where}: {key[1]!r} is fuzzy (check the guess, then drop the flag)")
        elif not all(entry["msgstr"]):
            problems.append(f"{where}: {key[1]!r} has no English translation")
    assert not problems, "\n".join(problems)


def test_the_catalogue_header_is_english_and_not_fuzzy(catalogue):
    header = catalogue[(None, "")]
    assert "fuzzy" not in header["flags"]
    assert "Language: en\n" in header["msgstr"][0]
    assert "Plural-Forms: nplurals=2; plural=(n != 1);" in header["msgstr"][0]


PLACEHOLDER = re.compile(r"%%|%\(\w+\)[-#0 +]*\d*(?:\.\d+)?[sdifr]|%[sdifr]|\{\w*\}")


def test_every_translation_keeps_the_placeholders_of_its_msgid(catalogue):
    wrong = []
    for (_context, msgid), entry in catalogue.items():
        if not msgid or "fuzzy" in entry["flags"]:
            continue  # gettext never uses a fuzzy guess; the completeness test reports it where it matters
        expected = sorted(PLACEHOLDER.findall(msgid))
        plural_expected = sorted(PLACEHOLDER.findall(entry["plural"] or msgid))
        for index, msgstr in enumerate(entry["msgstr"]):
            if msgstr and sorted(PLACEHOLDER.findall(msgstr)) not in (expected, plural_expected):
                wrong.append(f"{msgid!r} -> msgstr[{index}] {msgstr!r}")
    assert not wrong, "\n".join(wrong)


def test_the_committed_mo_file_is_compiled_from_the_po_file(catalogue):
    # Both files are committed (fresh machines may lack msgfmt), so a .po edited without
    # `make messages` afterwards would leave English readers with the old .mo.
    with MO_FILE.open("rb") as mo:
        # _catalog is the parsed .mo itself; GNUTranslations has no public way to list it.
        compiled = gettext.GNUTranslations(mo)._catalog
    expected = {}
    for (context, msgid), entry in catalogue.items():
        if not msgid or "fuzzy" in entry["flags"] or not all(entry["msgstr"]):
            continue  # msgfmt leaves out fuzzy and untranslated entries
        key = msgid if context is None else f"{context}\x04{msgid}"
        if entry["plural"] is None:
            expected[key] = entry["msgstr"][0]
        else:
            expected.update({(key, n): text for n, text in enumerate(entry["msgstr"])})
    compiled = {key: text for key, text in compiled.items() if key != ""}
    assert compiled == expected


def test_msgfmt_accepts_the_catalogue_when_gettext_is_installed():
    # compilemessages runs msgfmt --check-format too; here it also guards hand edits of the .po.
    msgfmt = shutil.which("msgfmt")
    if msgfmt is None:
        # Fresh machines may lack GNU gettext; the pure-Python checks above still ran.
        assert MO_FILE.stat().st_size > 0
        return
    result = subprocess.run(
        [msgfmt, "--check-format", "--check-header", "-o", "/dev/null", str(PO_FILE)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


# --- What English readers get ------------------------------------------------------------------------


def test_report_statuses_are_english_labels_in_english():
    with translation.override("en"):
        labels = {status: str(status.label) for status in Status}
    assert labels[Status.BELUM_TERVERIFIKASI] == "Not yet verified"
    assert labels[Status.MENUNGGU_KELENGKAPAN] == "Waiting for more information"
    assert labels[Status.TERDISPOSISI] == "Verified & disposed (not yet followed up)"
    assert labels[Status.DIPROSES] == "In progress"
    assert labels[Status.SELESAI] == "Followed up"
    assert labels[Status.DITUTUP_PELAPOR] == "Closed by the reporter"
    assert labels[Status.DIARSIPKAN_ADMIN] == "Archived by an admin"
    with translation.override("id"):
        assert str(Status.BELUM_TERVERIFIKASI.label) == "Belum Terverifikasi"


@pytest.mark.django_db
def test_registration_errors_come_back_in_english():
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        register_citizen(full_name=" ", password=PASSWORD, email="bukan-alamat", phone="12")

    errors = caught.value.message_dict
    assert errors["full_name"] == ["Name is required."]
    assert errors["email"] == ["Invalid e-mail address."]
    assert errors["phone"] == ["Invalid mobile number. Example: 0812 3456 7890."]


@pytest.mark.django_db
def test_registration_without_contact_says_so_in_english():
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        register_citizen(full_name="Siti", password=PASSWORD)

    assert caught.value.message_dict[NON_FIELD_ERRORS] == [
        "Enter an e-mail address or a mobile number (or both)."
    ]


def test_plural_forms_pick_the_english_singular_and_plural():
    with translation.override("en"):
        one = translation.ngettext(
            "Kode salah. Sisa %(count)d percobaan.", "Kode salah. Sisa %(count)d percobaan.", 1
        )
        two = translation.ngettext(
            "Kode salah. Sisa %(count)d percobaan.", "Kode salah. Sisa %(count)d percobaan.", 2
        )
    assert one % {"count": 1} == "Wrong code. 1 attempt left."
    assert two % {"count": 2} == "Wrong code. 2 attempts left."


@pytest.mark.django_db
def test_report_received_email_is_rendered_in_english(settings):
    settings.SITE_URL = "https://lapor.sumbarprov.go.id"
    report = make_report(title="Jalan berlubang di depan SDN 12 Padang", is_confidential=True)

    with translation.override("en"):
        context, _sensitive = report_context(report, audience=Audience.REPORTER, template="report_received")
    message = render_message("report_received", NotifyChannel.EMAIL, "en", context)

    number = report.tracking_number
    assert (
        message.subject
        == f"[#{number}] Your report has been received: Jalan berlubang di depan SDN 12 Padang"
    )
    assert "Thank you. We have received your report and an admin will verify it." in message.body
    assert f"Access code: {report.access_code}" in message.body
    assert "Status: Not yet verified" in message.body
    assert "Please do not reply to this e-mail." in message.body
    assert '<html lang="en">' in message.body_html
    assert "Track your report" in message.body_html
    assert "Laporan" not in message.body  # no Indonesian sentence left behind


SMS_TEMPLATES = sorted(
    name for name, kind in KINDS.items() if kind.has_sms and Audience.REPORTER in kind.audiences
)


@pytest.mark.django_db
@pytest.mark.parametrize("template", SMS_TEMPLATES)
def test_english_sms_fits_in_two_segments_without_being_cut(template, settings):
    # The renderer cuts an over-long SMS at the end, which would lose the link; the English wording
    # must fit on its own, even with the longest site name, a full-length title and an access code.
    settings.INSTANCE_NAME = "Jembatan Pemerintah Provinsi Sumatera Barat"
    settings.SITE_URL = "https://lapor.sumbarprov.go.id"
    report = make_report(title="Saluran air tersumbat " * 9, is_confidential=True)
    make_disposition(report, make_agency("Dinas Pekerjaan Umum dan Penataan Ruang Kota Padang"))
    extra = {"text": "Mohon kirim foto lokasi yang lebih jelas. " * 5, "reason": "Laporan ganda"}

    with translation.override("en"):
        context, _sensitive = report_context(
            report, audience=Audience.REPORTER, template=template, extra=extra
        )
    sms = render_message(template, NotifyChannel.SMS, "en", context).body

    assert len(sms) <= SMS_MAX_CHARS
    assert sms.endswith(context["url"]), sms
    assert f"report #{report.tracking_number}" in sms.lower()


def test_one_time_code_sms_is_in_english():
    context = {"code": "482913", "minutes": 10, "site_name": "Jembatan"}
    sms = render_message("one_time_code", NotifyChannel.SMS, "en", context).body
    assert (
        sms
        == "482913 is your Jembatan verification code. Valid for 10 minutes. Do not give this code to anyone."
    )


def assert_english_login_page(response):
    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="en">' in html
    assert "<h1>Log in</h1>" in html
    assert "Password" in html
    assert "Register as a citizen" in html
    assert "Skip to content" in html  # base.html
    assert "Kata sandi" not in html


@pytest.mark.django_db
def test_login_page_is_english_with_the_language_cookie(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    assert_english_login_page(client.get("/akun/masuk/"))


@pytest.mark.django_db
def test_the_language_switch_turns_the_next_page_english(client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/akun/masuk/"})

    assert response.status_code == 302 and response.headers["Location"] == "/akun/masuk/"
    assert_english_login_page(client.get("/akun/masuk/"))


@pytest.mark.django_db
def test_login_page_stays_indonesian_for_a_browser_that_merely_prefers_english(client):
    # IndonesianFirstMiddleware: on web pages only an explicit choice (the switch's cookie) counts,
    # because many phones are set to English while their owners read Indonesian.
    response = client.get("/akun/masuk/", headers={"accept-language": "en-GB,en;q=0.9"})

    html = response.content.decode()
    assert '<html lang="id">' in html
    assert "Kata sandi" in html and "Password" not in html
