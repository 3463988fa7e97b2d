"""Save screenshots of the citizen portal's main pages at 360 px and 1280 px into screenshots/.

    .venv/bin/python scripts/screenshots.py            (`make screenshots`)

It never touches the development database: it builds a throwaway one under
/tmp/jembatan-screenshots/ (the real region table, the Sumatera Barat demo from seed_demo, and a
handful of reports driven through the real actions), starts `manage.py runserver` on a free port
against it, and drives Debian's Chromium (CHROMIUM_PATH, default /usr/bin/chromium) with
Playwright. The first run takes about a minute (loading 91,000 regions); later runs reuse the
database. `--rebuild` starts afresh (needed after the sample data below changed).

Citizen pages: home, public list, public report, submit (empty, with errors, filled), the receipt,
the track page as a guest with the access code, /saya/ (reports awaiting the citizen first), the
track page as the logged-in reporter. Staff pages (admin.padang with the demo TOTP code, then
penghubung.pupr): workbench home, verification queue, a report opened from the queue, the merge
confirmation, the liaison's report page. Each at 360 px and 1280 px.
"""

import argparse
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = Path(os.environ.get("JEMBATAN_SCREENSHOTS_DIR", "/tmp/jembatan-screenshots"))
OUT = ROOT / "screenshots"
WIDTHS = (360, 1280)
DEMO_PASSWORD = "jembatan-demo-2026"


def environment():
    env = dict(os.environ)
    env.update(
        JEMBATAN_ENV="development",
        DJANGO_SETTINGS_MODULE="jembatan.settings",
        DATABASE_URL=f"sqlite:///{WORK / 'portal.sqlite3'}",
        JEMBATAN_VAR_DIR=str(WORK),
        MEDIA_ROOT=str(WORK / "media"),
        HUEY_BACKEND="memory",
        HUEY_IMMEDIATE="true",
        DEBUG="true",
        LOG_LEVEL="WARNING",
    )
    return env


def build_data():
    """Regions, the demo province and a few reports in several states (run in a child process)."""
    import django

    django.setup()
    from django.core.management import call_command

    from jembatan.reports.models import Report

    call_command("migrate", verbosity=0, interactive=False)
    call_command("load_regions", "--if-empty", verbosity=0)
    call_command("seed_demo", verbosity=0)
    if Report.objects.exists():
        return
    from jembatan.accounts.models import User
    from jembatan.directory.models import Agency, Category, Region
    from jembatan.reports import actions
    from jembatan.reports.models import Classification

    citizen = User.objects.filter(staff_roles__isnull=True, is_staff=False).order_by("pk").first()
    verifier = User.objects.get(username="admin.padang")
    liaison = User.objects.get(username="penghubung.pupr")
    pupr = Agency.objects.get(code="padang-dinas-pupr")
    padang = Region.objects.get(code="13.71")
    village = Region.objects.filter(code__startswith="13.71.").order_by("-code").first()
    category = Category.objects.filter(parent__isnull=False).order_by("pk").first()
    samples = [
        (
            "Jalan berlubang di depan SDN 12 Padang Timur",
            "Lubang besar di tengah jalan sejak dua minggu. Sudah dua pengendara motor jatuh. "
            "Mohon segera ditambal sebelum musim hujan. Hubungi saya di 0812 3456 7890.",
        ),
        (
            "Lampu penerangan jalan mati di Jalan Veteran",
            "Sepuluh lampu jalan di Jalan Veteran mati sejak awal bulan, jalan sangat gelap "
            "di malam hari dan rawan kejahatan.",
        ),
        (
            "Sampah menumpuk di Pasar Raya",
            "Sampah di sisi timur Pasar Raya tidak diangkut selama seminggu dan berbau busuk. "
            "Lalat banyak sekali.",
        ),
        (
            "Antrean pendaftaran puskesmas terlalu lama",
            "Antrean pendaftaran di puskesmas mulai pukul 6 pagi dan baru dilayani pukul 10. "
            "Mohon tambah petugas loket.",
        ),
        (
            "Usul taman bermain anak di kelurahan",
            "Kelurahan kami belum punya taman bermain anak. Ada lahan kosong milik pemkot di "
            "dekat masjid yang bisa dipakai.",
        ),
        (
            "Jalan berlubang besar depan SDN 12 Padang Timur",
            "Ada lubang besar di jalan depan SDN 12 sejak dua minggu lalu, pengendara motor sudah "
            "ada yang jatuh. Mohon ditambal.",
        ),
    ]
    reports = []
    for title, text in samples:
        new = actions.NewReport(
            kind="pengaduan", title=title, description=text, region=village or padang, category=category
        )
        report = actions.submit_report(new=new, actor=citizen)
        reports.append(report)
    for report in reports[:4]:
        report = actions.verify_report(
            report=report, actor=verifier, classification=Classification.PENGADUAN_TIDAK_BERKADAR_PENGAWASAN
        )
        actions.dispose_report(
            report=report, actor=verifier, agencies=[pupr], instruction="Mohon ditindaklanjuti."
        )
    first = Report.objects.get(pk=reports[0].pk)
    actions.start_follow_up(disposition=first.dispositions.get(), actor=liaison)
    actions.post_follow_up(
        disposition=first.dispositions.get(),
        actor=liaison,
        text="Tim pemeliharaan jalan sudah menambal lubang pada hari Senin. Terima kasih atas laporannya.",
    )
    second = Report.objects.get(pk=reports[1].pk)
    actions.start_follow_up(disposition=second.dispositions.get(), actor=liaison)
    # The park proposal waits on its reporter: the verifier asked for more details (/saya/ lists
    # it first). The last sample is the pothole again, for the merge confirmation.
    actions.request_information(
        report=Report.objects.get(pk=reports[4].pk),
        actor=verifier,
        message="Mohon sebutkan nama jalan dan patokan lahan kosong yang dimaksud.",
    )
    print(citizen.username, first.tracking_number)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except Exception:
            time.sleep(0.3)
    raise SystemExit(f"server did not answer at {url}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument(
        "--port", type=int, default=0, help="port for the throwaway server (default: a free one)"
    )
    args = parser.parse_args(argv)
    if args.rebuild and WORK.exists():
        shutil.rmtree(WORK)
    WORK.mkdir(parents=True, exist_ok=True)
    OUT.mkdir(exist_ok=True)
    env = environment()
    python = sys.executable
    subprocess.run(
        [
            python,
            "-c",
            "import sys; sys.path.insert(0, '.'); from scripts.screenshots import build_data; build_data()",
        ],
        cwd=ROOT,
        env=env,
        check=True,
    )
    port = args.port or free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [python, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(base + "/healthz")
        shoot(base, env)
    finally:
        server.terminate()
        server.wait(timeout=10)
    print(f"Saved to {OUT}")


def shoot(base, env):
    os.environ.update(
        {k: env[k] for k in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL", "JEMBATAN_VAR_DIR", "JEMBATAN_ENV")}
    )
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from jembatan.tests.browser import chromium_browser  # the one Chromium launch of the browser tests

    with chromium_browser() as browser:
        for width in WIDTHS:
            context = browser.new_context(
                viewport={"width": width, "height": 800}, base_url=base, locale="id-ID"
            )
            citizen_walk(context.new_page(), width)
            context.close()
        context = browser.new_context(
            viewport={"width": WIDTHS[0], "height": 800}, base_url=base, locale="id-ID"
        )
        staff_walk(context.new_page())
        context.close()


def save(page, name, width=None):
    path = OUT / f"{name}-{width or page.viewport_size['width']}.png"
    page.screenshot(path=str(path), full_page=True)
    print(f"  {path.relative_to(ROOT)}")


def citizen_walk(page, width):
    """Home to receipt as a guest, the track page with the access code, then /saya/ logged in."""
    from playwright.sync_api import expect

    from jembatan.reports.models import Report

    answered = Report.objects.filter(status="selesai").order_by("pk").first()
    public = Report.objects.public().order_by("pk").first()
    page.goto("/")
    save(page, "home")
    page.goto("/laporan/")
    save(page, "public-list")
    page.goto(f"/laporan/{public.tracking_number}/")
    save(page, "report")
    page.goto("/lapor/")
    save(page, "submit")
    page.get_by_label("Judul laporan", exact=True).fill("Aduh")
    page.get_by_role("button", name="Kirim laporan").click()
    page.wait_for_load_state()
    save(page, "submit-errors")  # focus is on the error summary: it must be on the first screen
    page.goto("/lapor/")
    page.get_by_label("Judul laporan", exact=True).fill("Genangan air setelah hujan di Jalan Sudirman")
    page.get_by_label("Isi laporan", exact=True).fill(
        "Setiap hujan, air menggenang setinggi lutut karena saluran tersumbat sampah."
    )
    page.get_by_label("Cari wilayah menurut nama").fill("padang barat")
    page.locator("#region-results button").first.click()
    # A locator assertion, not wait_for_function: the page's CSP (no 'unsafe-eval') refuses the
    # string predicate when it has to be polled.
    expect(page.locator("#id_kec")).not_to_have_value("")
    page.get_by_label("E-mail", exact=True).fill("tamu@example.id")
    save(page, "submit-filled")
    page.get_by_role("button", name="Kirim laporan").click()
    page.wait_for_url("**/lapor/terkirim/**")
    save(page, "submitted")
    number = page.locator("#tracking-number").inner_text()
    code = page.locator("#access-code").inner_text()
    # The guest comes back later: the track page, then opened with the access code.
    page.context.clear_cookies()
    page.goto(f"/lacak/{number}/")
    save(page, "track-guest")
    page.get_by_text("Anda pelapor laporan ini? Masukkan kode akses").click()
    page.get_by_label("Kode akses").fill(code)
    page.get_by_role("button", name="Buka sebagai pelapor").click()
    page.wait_for_load_state()
    save(page, "track-guest-code")
    # The demo citizen who sent the samples logs in from the header and lands on /saya/.
    page.goto("/")
    page.locator("header").get_by_role("link", name="Masuk").click()
    page.locator("#id_username").fill(answered.reporter.username)
    page.locator("#id_password").fill(DEMO_PASSWORD)
    page.locator("main").get_by_role("button", name="Masuk").click()
    page.wait_for_url("**/saya/")
    save(page, "my-reports")
    page.goto(f"/lacak/{answered.tracking_number}/")
    save(page, "track-reporter")


def log_in_staff(page, username):
    from jembatan.ops.demo import demo_totp_code

    page.goto("/akun/masuk/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(DEMO_PASSWORD)
    page.locator("main").get_by_role("button", name="Masuk").click()
    page.wait_for_load_state()
    if "/akun/masuk/token/" in page.url:
        page.locator("#id_token").fill(demo_totp_code())
        page.locator("main").get_by_role("button", name="Lanjutkan").click()
    page.wait_for_url("**/kerja/")


def staff_walk(page):
    """The verifier's desk and the liaison's report page; one login each (a TOTP code is used once),
    the viewport changed in between."""
    from jembatan.reports.models import Report

    original = Report.objects.get(title="Jalan berlubang di depan SDN 12 Padang Timur")
    newer = Report.objects.get(title="Jalan berlubang besar depan SDN 12 Padang Timur")
    at_agency = Report.objects.filter(status="diproses").order_by("pk").first()
    queue = "/kerja/antrean/verifikasi/"
    log_in_staff(page, "admin.padang")
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 800})
        page.goto("/kerja/")
        save(page, "workbench")
        page.goto(queue)
        save(page, "queue")
        page.goto(f"/kerja/laporan/{newer.tracking_number}/?dari={queue}")
        save(page, "workbench-report")
        page.goto(f"/kerja/laporan/{newer.tracking_number}/gabungkan/{original.tracking_number}/")
        save(page, "merge-confirm")
    page.context.clear_cookies()
    log_in_staff(page, "penghubung.pupr")
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 800})
        page.goto(f"/kerja/laporan/{at_agency.tracking_number}/")
        save(page, "liaison-report")


if __name__ == "__main__":
    main()
