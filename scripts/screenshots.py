"""Save screenshots of the citizen portal's main pages at 360 px and 1280 px into screenshots/.

    .venv/bin/python scripts/screenshots.py            (`make screenshots`)

It never touches the development database: it builds a throwaway one under
/tmp/jembatan-screenshots/ (the real region table, the Sumatera Barat demo from seed_demo, and a
handful of reports driven through the real actions), starts `manage.py runserver` on a free port
against it, and drives Debian's Chromium (CHROMIUM_PATH, default /usr/bin/chromium) with
Playwright. The first run takes about a minute (loading 91,000 regions); later runs reuse the
database. `--rebuild` starts afresh. Pages: home, submit (empty and with errors), submitted,
track (as the reporter), public list, public report.
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
WORK = Path("/tmp/jembatan-screenshots")
OUT = ROOT / "screenshots"
WIDTHS = (360, 1280)
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-quic",
    "--no-first-run",
    "--disable-sync",
]


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
    port = free_port()
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
    from playwright.sync_api import sync_playwright

    from jembatan.reports.models import Report

    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    answered = Report.objects.filter(status="selesai").order_by("pk").first()
    public = Report.objects.public().order_by("pk").first()
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"), args=CHROMIUM_ARGS
        )
        for width in WIDTHS:
            context = browser.new_context(
                viewport={"width": width, "height": 800}, base_url=base, locale="id-ID"
            )
            page = context.new_page()

            def save(name, page=page, width=width):
                path = OUT / f"{name}-{width}.png"
                page.screenshot(path=str(path), full_page=True)
                print(f"  {path.relative_to(ROOT)}")

            page.goto("/")
            save("home")
            page.goto("/laporan/")
            save("public-list")
            page.goto(f"/laporan/{public.tracking_number}/")
            save("report")
            page.goto("/lapor/")
            save("submit")
            page.get_by_label("Judul laporan", exact=True).fill("Aduh")
            page.get_by_role("button", name="Kirim laporan").click()
            page.wait_for_load_state()
            save("submit-errors")
            page.goto("/lapor/")
            page.get_by_label("Judul laporan", exact=True).fill(
                "Genangan air setelah hujan di Jalan Sudirman"
            )
            page.get_by_label("Isi laporan", exact=True).fill(
                "Setiap hujan, air menggenang setinggi lutut karena saluran tersumbat sampah."
            )
            page.get_by_label("Cari wilayah menurut nama").fill("padang barat")
            page.locator("#region-results button").first.click()
            page.wait_for_function("document.querySelector('#id_kec').value !== ''")
            page.get_by_label("E-mail", exact=True).fill("tamu@example.id")
            save("submit-filled")
            page.get_by_role("button", name="Kirim laporan").click()
            page.wait_for_url("**/lapor/terkirim/**")
            save("submitted")
            # The reporter's track page: log in as the demo citizen who sent the answered report.
            page.goto("/akun/masuk/?next=/lacak/" + answered.tracking_number + "/")
            page.locator("#id_username").fill(answered.reporter.username)
            page.locator("#id_password").fill("jembatan-demo-2026")
            page.locator("main").get_by_role("button", name="Masuk").click()
            page.wait_for_url(f"**/lacak/{answered.tracking_number}/")
            save("track-reporter")
            context.close()
        browser.close()


if __name__ == "__main__":
    main()
