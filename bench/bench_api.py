"""Benchmark: latency of REST API v1, Open311 and the SMS webhook, in process, on a throwaway database.

    JEMBATAN_ENV=development .venv/bin/python bench/bench_api.py             # SQLite under /tmp
    … bench/bench_api.py --reports 5000 --rounds 200
    … bench/bench_api.py --database-url postgres://postgres@127.0.0.1:5432/jb_bench_api

The database is rebuilt on every run: a small government (the test world of reports/tests), then
--reports reports made through the real actions, most of them verified and disposed so the public
lists and Open311 have something to show, a third answered. Requests go through Django's test
client (the whole middleware stack, no network), so the numbers are the server's own time per
request. Rate limits are lifted for the run. Prints wall-clock p50 / p95 and the median CPU time
per request, in milliseconds, per endpoint.
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _setup  # noqa: E402

DEFAULT_URL = f"sqlite:///{_setup.BENCH_DIR / 'api.sqlite3'}"


def seed(count):
    from django.db import transaction

    from jembatan.accounts.models import Role
    from jembatan.api import actions as api_actions
    from jembatan.directory.tests.factories import make_category
    from jembatan.reports import actions
    from jembatan.reports.models import Classification
    from jembatan.reports.tests import factories as rf

    w = rf.build_world()
    group = make_category("Infrastruktur", code="G-INFRA")
    w.category = make_category("Jalan Rusak", parent=group, code="INFRA-JALAN", keywords="jalan, lubang")
    words = ["jalan", "lampu", "sampah", "drainase", "trotoar", "jembatan", "pasar", "sekolah"]
    numbers = []
    for i in range(count):
        topic = words[i % len(words)]
        with transaction.atomic():
            report = rf.submit(
                w,
                title=f"Masalah {topic} nomor {i} di Padang",
                description=f"Warga melaporkan {topic} yang rusak di kelurahan {i % 40}, mohon ditangani.",
                category=w.category,
            )
            if i % 10 < 8:
                actions.verify_report(
                    report=report,
                    actor=w.verifier,
                    classification=Classification.PENGADUAN_TIDAK_BERKADAR_PENGAWASAN,
                )
                actions.dispose_report(report=report, actor=w.verifier, agencies=[w.pupr])
            if i % 3 == 0 and i % 10 < 8:
                disposition = report.dispositions.get()
                actions.start_follow_up(disposition=disposition, actor=w.liaison_pupr)
                actions.post_follow_up(
                    disposition=disposition,
                    actor=w.liaison_pupr,
                    text="Sudah ditangani tim lapangan minggu ini.",
                )
        numbers.append(report.tracking_number)
    _key, staff_raw = api_actions.issue_agency_key(name="Bench PUPR", role=Role.PENGHUBUNG, agency=w.pupr)
    _key, open311_raw = api_actions.issue_open311_key(name="Bench Open311")
    return w, numbers, staff_raw, open311_raw


def measure(call, rounds):
    """Wall time and this process's CPU time per request, in milliseconds.

    CPU time is what the request cost the server; on a busy machine the wall time also holds the
    waits for a CPU, so both are printed.
    """
    wall, cpu = [], []
    for i in range(rounds):
        started, started_cpu = time.perf_counter(), time.process_time()
        response = call(i)
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
        if response.status_code >= 400:
            raise SystemExit(f"unexpected {response.status_code}: {response.content[:300]!r}")
    wall.sort()
    return {
        "p50": statistics.median(wall),
        "p95": wall[max(0, int(len(wall) * 0.95) - 1)],
        "cpu": statistics.median(cpu),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--reports", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=100)
    args = parser.parse_args()

    _setup.prepare_database(args.database_url, rebuild=True)
    _setup.setup_django(args.database_url)
    from django.conf import settings
    from django.test import Client

    settings.API_THROTTLE_RATES = {
        scope: "1000000/min"
        for scope in (
            "token",
            "ip",
            "guest_write",
            "open311_key",
            "open311_ip",
            "inbound_ip",
            "inbound_sender",
        )
    }
    settings.CHANNELS_SMS_SECRET = "bench-secret"

    with _setup.Stopwatch() as t:
        w, numbers, staff_raw, open311_raw = seed(args.reports)
    engine = args.database_url.split(":")[0]
    print(f"seeded {args.reports} reports through the actions in {t.seconds:.1f} s ({engine})")

    public = Client()
    staff = Client(HTTP_AUTHORIZATION=f"Bearer {staff_raw}")
    sample = numbers[len(numbers) // 2]
    submit = {
        "title": "Lampu jalan padam di Jalan Sudirman",
        "description": "Sudah seminggu lampu jalan di depan Masjid Raya padam, jalan gelap.",
        "reporter_email": "bench@example.id",
    }
    open311_post = {
        "api_key": open311_raw,
        "service_code": "INFRA-JALAN",
        "lat": "-0.95",
        "long": "100.35",
        "description": "Jalan berlubang besar di depan SDN 12 Padang, berbahaya bagi motor.",
        "email": "bench@example.id",
    }
    writes = max(10, args.rounds // 2)
    rare = max(5, args.rounds // 10)
    json_body = {"content_type": "application/json"}
    sms = {"from": "081234567890", "text": "LAPOR jalan rusak di depan SDN 12 Padang"}
    sms_auth = {"HTTP_AUTHORIZATION": "Bearer bench-secret"}

    def rebuilt(call):
        """`call` right after a new public version: the answer is built, not read from the cache
        (the version's one-row upsert is inside the time, about 0.1 ms)."""
        from jembatan.reports import publication

        def after_a_change(i):
            publication.bump()
            return call(i)

        return after_a_change

    cases = [
        ("GET  /api/v1/public/reports/ (50 per page)", args.rounds,
         lambda i: public.get("/api/v1/public/reports/")),
        ("  … the same, rebuilt after a change", args.rounds,
         rebuilt(lambda i: public.get("/api/v1/public/reports/"))),
        ("GET  /api/v1/public/reports/?q=lampu rusak", args.rounds,
         lambda i: public.get("/api/v1/public/reports/", {"q": "lampu rusak"})),
        ("GET  /api/v1/reports/{n}/ (track)", args.rounds,
         lambda i: public.get(f"/api/v1/reports/{sample}/")),
        ("  … the same, rebuilt after a change", args.rounds,
         rebuilt(lambda i: public.get(f"/api/v1/reports/{sample}/"))),
        ("POST /api/v1/reports/ (guest submit)", writes,
         lambda i: public.post("/api/v1/reports/", submit, **json_body)),
        ("POST /api/v1/reports/ + Idempotency-Key (new)", writes,
         lambda i: public.post("/api/v1/reports/", submit, **json_body, HTTP_IDEMPOTENCY_KEY=f"k{i}")),
        ("POST /api/v1/reports/ + Idempotency-Key (replay)", writes,
         lambda i: public.post("/api/v1/reports/", submit, **json_body, HTTP_IDEMPOTENCY_KEY="k0")),
        ("GET  /api/v1/staff/reports/ (agency key)", args.rounds,
         lambda i: staff.get("/api/v1/staff/reports/")),
        ("GET  /api/v1/staff/reports/{n}/ (timeline)", args.rounds,
         lambda i: staff.get(f"/api/v1/staff/reports/{sample}/")),
        ("GET  /open311/v2/services.json", args.rounds,
         lambda i: public.get("/open311/v2/services.json")),
        ("GET  /open311/v2/requests.json?page_size=100", args.rounds,
         lambda i: public.get("/open311/v2/requests.json", {"page_size": "100"})),
        ("  … the same, rebuilt after a change", args.rounds,
         rebuilt(lambda i: public.get("/open311/v2/requests.json", {"page_size": "100"}))),
        ("GET  /open311/v2/requests/{id}.json", args.rounds,
         lambda i: public.get(f"/open311/v2/requests/{sample}.json")),
        ("  … the same, rebuilt after a change", args.rounds,
         rebuilt(lambda i: public.get(f"/open311/v2/requests/{sample}.json"))),
        ("GET  /open311/v2/requests.xml (default 1000)", rare,
         lambda i: public.get("/open311/v2/requests.xml")),
        ("GET  /open311/v2/requests/{id}.json?extensions=true", args.rounds,
         lambda i: public.get(f"/open311/v2/requests/{sample}.json", {"extensions": "true"})),
        ("POST /open311/v2/requests.json", writes,
         lambda i: public.post("/open311/v2/requests.json", open311_post)),
        ("POST /kanal/sms/ LAPOR …", writes,
         lambda i: public.post("/kanal/sms/", {**sms, "id": f"bench-{i}"}, **sms_auth)),
    ]  # fmt: skip
    print(f"{'endpoint':55} {'n':>5} {'p50 ms':>8} {'p95 ms':>8} {'cpu p50':>8}")
    for name, rounds, call in cases:
        call(10**6)  # warm up (caches, first-query costs)
        result = measure(call, rounds)
        print(f"{name:55} {rounds:5d} {result['p50']:8.1f} {result['p95']:8.1f} {result['cpu']:8.1f}")


if __name__ == "__main__":
    main()
