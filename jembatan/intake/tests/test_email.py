"""E-mail intake: the inbound webhook (raw MIME) and `fetch_mail` against a real IMAP conversation."""

import io
import socketserver
import threading
from email.message import EmailMessage

import pytest
from django.core.management import call_command
from django.test import Client
from PIL import Image

from jembatan.accounts.models import Role
from jembatan.accounts.tests.factories import make_staff
from jembatan.intake.models import InboundMessage, Outcome
from jembatan.intake.tasks import fetch_mail_task
from jembatan.intake.tests.conftest import AUTHSERV_ID, MAIL_SECRET
from jembatan.reports.models import Channel, Report, Status
from jembatan.reports.tests import factories as rf

pytestmark = pytest.mark.django_db

BODY = (
    "Selamat siang,\n\nSaluran air di Jalan Khatib Sulaiman tersumbat sejak minggu lalu dan "
    "airnya meluap ke rumah warga setiap hujan.\n\nTerima kasih."
)


def mail(
    *,
    subject="Saluran air tersumbat di Khatib Sulaiman",
    sender="Rina Marlina <rina@example.id>",
    body=BODY,
    message_id="<a1@mail.example.id>",
    photo=False,
    html=None,
    authentication="dkim",
):
    message = EmailMessage()
    domain = sender.rsplit("@", 1)[-1].rstrip(">")
    if authentication == "dkim":  # as our receiving server records a good DKIM signature
        message["Authentication-Results"] = f"{AUTHSERV_ID}; dkim=pass header.d={domain} header.s=sel1"
    elif authentication:
        message["Authentication-Results"] = authentication
    message["From"] = sender
    message["To"] = "pengaduan@sumbarprov.go.id"
    message["Subject"] = subject
    if message_id:
        message["Message-ID"] = message_id
    if body is not None:
        message.set_content(body)
    else:
        message.set_content(html, subtype="html")
    if photo:
        out = io.BytesIO()
        Image.new("RGB", (8, 8), "blue").save(out, "PNG")
        message.add_attachment(out.getvalue(), maintype="image", subtype="png", filename="saluran.png")
        message.add_attachment(
            b"%!PS not a pdf", maintype="application", subtype="postscript", filename="x.ps"
        )
    return message.as_bytes()


def post_mail(raw, secret=MAIL_SECRET):
    return Client().post(
        "/kanal/email/", raw, content_type="message/rfc822", HTTP_AUTHORIZATION=f"Bearer {secret}"
    )


def test_an_email_becomes_a_report_titled_by_its_subject_with_its_photo(w):
    body = post_mail(mail(photo=True)).json()
    assert body["outcome"] == Outcome.REPORT_CREATED
    report = Report.objects.get(tracking_number=body["tracking_number"])
    assert report.channel == Channel.EMAIL
    assert report.title == "Saluran air tersumbat di Khatib Sulaiman"
    assert report.reporter_email == "rina@example.id" and report.reporter_name == "Rina Marlina"
    assert "meluap ke rumah warga" in report.description
    assert [a.content_type for a in report.attachments.all()] == ["image/png"]  # the .ps was left out


def test_the_same_message_id_is_handled_once(w):
    post_mail(mail())
    again = post_mail(mail()).json()
    assert again["duplicate"] is True
    assert Report.objects.count() == 1


def test_an_html_only_email_is_read_as_text(w):
    raw = mail(
        body=None, html="<p>Saluran <b>tersumbat</b> di Jalan Khatib Sulaiman,<br>air meluap tiap hujan.</p>"
    )
    report = Report.objects.get(tracking_number=post_mail(raw).json()["tracking_number"])
    assert report.description == "Saluran tersumbat di Jalan Khatib Sulaiman,\nair meluap tiap hujan."


def test_a_reply_quoting_the_number_from_the_reporters_address_is_their_reply(w):
    report = rf.disposed(w, actor=None, reporter_email="rina@example.id")
    raw = mail(
        subject=f"Re: [#{report.tracking_number}] Laporan Anda telah diterima: Jalan berlubang",
        sender="rina@example.id",
        body=(
            "Lubangnya makin besar, kemarin ada motor jatuh.\n\n"
            "Pada Sen, 2 Mar 2026 Jembatan menulis:\n> Laporan diterima"
        ),
        message_id="<balas-1@mail.example.id>",
    )
    body = post_mail(raw).json()
    assert body["outcome"] == Outcome.REPLY_ATTACHED and body["tracking_number"] == report.tracking_number
    event = report.events.get(action="reporter_replied")
    assert event.text == "Lubangnya makin besar, kemarin ada motor jatuh."
    assert Report.objects.count() == 1


def test_a_registered_reporters_reply_is_attached_as_them(w):
    report = rf.disposed(w)  # Siti, siti@example.id
    raw = mail(
        subject=f"Re: [#{report.tracking_number}] Ada tindak lanjut",
        sender="Siti <SITI@example.id>",
        body="Belum ada petugas yang datang.",
        message_id="<balas-2@x>",
    )
    assert post_mail(raw).json()["outcome"] == Outcome.REPLY_ATTACHED
    assert report.events.get(action="reporter_replied").actor == w.citizen


def test_a_number_quoted_from_someone_elses_address_is_not_a_reply(w):
    report = rf.disposed(w, actor=None, reporter_email="rina@example.id")
    raw = mail(subject=f"Soal laporan #{report.tracking_number} di kampung kami", sender="budi@example.id")
    body = post_mail(raw).json()
    assert body["outcome"] == Outcome.REPORT_CREATED and body["tracking_number"] != report.tracking_number
    assert not report.events.filter(action="reporter_replied").exists()


def test_a_reply_to_a_closed_report_is_recorded_as_rejected(w):
    report = rf.answered(w, actor=None, reporter_email="rina@example.id")
    rf.actions.close_report(report=report, actor=None, access_code=report.access_code)
    raw = mail(subject=f"Re: [#{report.tracking_number}] Laporan ditutup", sender="rina@example.id")
    body = post_mail(raw).json()
    assert body["outcome"] == Outcome.REJECTED
    assert Report.objects.get(pk=report.pk).status == Status.DITUTUP_PELAPOR


def test_an_email_without_a_sender_is_a_400(w):
    assert post_mail(b"Subject: hai\r\n\r\nisi").status_code == 400
    assert post_mail(b"").status_code == 400
    assert post_mail(mail(), secret="salah").status_code == 401


# --- IMAP ------------------------------------------------------------------------------------------


class ImapServer:
    """Just enough IMAP4rev1 for imaplib: LOGIN, SELECT, UID SEARCH/FETCH/STORE, LOGOUT."""

    def __init__(self, messages):
        self.messages = {uid: {"raw": raw, "flags": set()} for uid, raw in enumerate(messages, start=1)}
        imap = self

        class Handler(socketserver.StreamRequestHandler):
            def reply(self, text):
                self.wfile.write(text.encode() + b"\r\n")

            def handle(self):
                self.reply("* OK [CAPABILITY IMAP4rev1] Jembatan test IMAP ready")
                for line in self.rfile:
                    tag, _, rest = line.decode().strip().partition(" ")
                    words = rest.split(" ")
                    command = words[0].upper()
                    if command == "CAPABILITY":
                        self.reply("* CAPABILITY IMAP4rev1")
                    elif command == "LOGIN":
                        if words[1] != "pengaduan":
                            self.reply(f"{tag} NO bad login")
                            continue
                    elif command == "SELECT":
                        self.reply(f"* {len(imap.messages)} EXISTS")
                        self.reply(f"{tag} OK [READ-WRITE] SELECT completed")
                        continue
                    elif command == "UID" and words[1].upper() == "SEARCH":
                        unseen = [str(u) for u, m in imap.messages.items() if "\\Seen" not in m["flags"]]
                        self.reply("* SEARCH " + " ".join(unseen))
                    elif command == "UID" and words[1].upper() == "FETCH":
                        uid = int(words[2])
                        raw = imap.messages[uid]["raw"]
                        self.wfile.write(
                            f"* {uid} FETCH (UID {uid} BODY[] {{{len(raw)}}}\r\n".encode() + raw + b")\r\n"
                        )
                    elif command == "UID" and words[1].upper() == "STORE":
                        uid = int(words[2])
                        imap.messages[uid]["flags"].update(w.strip("()") for w in words[4:])
                        self.reply(
                            f"* {uid} FETCH (UID {uid} FLAGS ({' '.join(imap.messages[uid]['flags'])}))"
                        )
                    elif command == "LOGOUT":
                        self.reply("* BYE")
                        self.reply(f"{tag} OK LOGOUT completed")
                        return
                    else:
                        self.reply(f"{tag} BAD unknown command")
                        continue
                    self.reply(f"{tag} OK {command} completed")

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def mailbox(settings):
    messages = [
        mail(message_id="<m1@x>"),
        mail(
            subject="Pungli di kantor kelurahan",
            sender="anon@example.id",
            message_id="<m2@x>",
            body="Petugas kelurahan meminta uang tambahan untuk surat keterangan domisili.",
        ),
        b"ini bukan e-mail",
    ]
    with ImapServer(messages) as imap:
        settings.CHANNELS_IMAP_HOST = "127.0.0.1"
        settings.CHANNELS_IMAP_PORT = imap.server.server_address[1]
        settings.CHANNELS_IMAP_SSL = False
        settings.CHANNELS_IMAP_USER = "pengaduan"
        settings.CHANNELS_IMAP_PASSWORD = "rahasia"
        yield imap


def test_fetch_mail_is_a_dry_run_unless_told_to_commit(w, mailbox):
    out = io.StringIO()
    call_command("fetch_mail", stdout=out)
    assert "Saluran air tersumbat" in out.getvalue() and "--commit" in out.getvalue()
    assert not Report.objects.exists()
    assert all(not m["flags"] for m in mailbox.messages.values())


def test_fetch_mail_commits_each_message_once_and_marks_it_seen(w, mailbox):
    call_command("fetch_mail", "--commit", stdout=io.StringIO())
    assert Report.objects.count() == 2
    assert {m.outcome for m in InboundMessage.objects.all()} == {Outcome.REPORT_CREATED}
    assert [sorted(m["flags"]) for m in mailbox.messages.values()] == [
        ["\\Seen"],
        ["\\Seen"],
        ["\\Flagged", "\\Seen"],
    ]
    assert fetch_mail_task.call_local() == 0  # nothing unseen is left
    assert Report.objects.count() == 2


def test_the_periodic_task_does_nothing_without_a_mailbox(w, settings):
    settings.CHANNELS_IMAP_HOST = ""
    assert fetch_mail_task.call_local() == 0


@pytest.mark.parametrize(
    "authentication",
    [
        None,  # no Authentication-Results at all: anyone can type a From line
        "mx.penipu.example; dkim=pass header.d=example.id",  # written by someone else's server
        f"{AUTHSERV_ID}; dkim=pass header.d=penipu.example; spf=fail smtp.mailfrom=rina@example.id",
        f"{AUTHSERV_ID}; dkim=fail header.d=example.id; spf=softfail smtp.mailfrom=example.id",
    ],
    ids=["none", "other-server", "unaligned-dkim", "failed"],
)
def test_a_reply_whose_sender_is_not_proven_is_held_for_an_officer(w, authentication):
    # Finding 9 of issue 12: the e-mail channel trusted From: for replies quoting #nomor.
    report = rf.disposed(w, actor=None, reporter_email="rina@example.id")
    raw = mail(
        subject=f"Re: [#{report.tracking_number}] Laporan Anda",
        sender="rina@example.id",
        body="Jalan itu masih rusak sampai hari ini, mohon ditindaklanjuti.",
        authentication=authentication,
    )
    body = post_mail(raw).json()
    assert body["outcome"] == Outcome.HELD
    message = InboundMessage.objects.get()
    assert message.outcome == Outcome.HELD and message.report is None and message.reply == ""
    assert "not authenticated" in message.note
    assert not report.events.filter(action="reporter_replied").exists()
    assert Report.objects.count() == 1  # not turned into a new report either


@pytest.mark.parametrize(
    "authentication",
    [
        f"{AUTHSERV_ID}; spf=pass smtp.mailfrom=rina@example.id; dkim=none",
        f"{AUTHSERV_ID} 1; dkim=pass (2048-bit key) header.d=mail.example.id",  # subdomain: aligned
        f"{AUTHSERV_ID}; dmarc=pass header.from=example.id",
    ],
    ids=["spf", "dkim-subdomain", "dmarc"],
)
def test_a_reply_with_an_aligned_pass_is_attached(w, authentication):
    report = rf.disposed(w, actor=None, reporter_email="rina@example.id")
    raw = mail(
        subject=f"Re: [#{report.tracking_number}] Laporan Anda",
        sender="rina@example.id",
        body="Jalan itu masih rusak sampai hari ini, mohon ditindaklanjuti.",
        authentication=authentication,
    )
    assert post_mail(raw).json()["outcome"] == Outcome.REPLY_ATTACHED
    assert report.events.filter(action="reporter_replied").exists()


def test_held_replies_are_listed_in_the_intake_log_admin(w):
    report = rf.disposed(w, actor=None, reporter_email="rina@example.id")
    post_mail(mail(subject=f"Re: #{report.tracking_number}", sender="rina@example.id", authentication=None))
    # A reader of reports nationwide (a superuser alone has no report scope since issue 12).
    admin_client = Client()
    admin_client.force_login(make_staff(Role.ADMIN_NASIONAL, is_staff=True, is_superuser=True))
    page = admin_client.get("/admin/intake/inboundmessage/?outcome__exact=held").content.decode()
    assert "rina@example.id" in page
