"""Drive random report histories through the real actions (for the rollup property tests)."""

import datetime as dt

import time_machine
from django.core.exceptions import PermissionDenied

from jembatan.reports import actions
from jembatan.reports.models import Channel, Classification, DispositionStatus, ReportType
from jembatan.reports.sla import JAKARTA
from jembatan.reports.sweep import run_sla_sweep

START = dt.datetime(2025, 12, 1, 8, 0, tzinfo=JAKARTA)  # a Monday, a month before a new year
OPS = (
    "submit",
    "verify",
    "ask",
    "answer_ask",
    "dispose",
    "start",
    "follow_up",
    "return",
    "forward",
    "close",
    "rate",
    "archive",
    "reopen",
    "sweep",
    "refresh",
)
# Weighted so that random histories get far: most steps move a report forward.
WEIGHTED_OPS = (
    *OPS,
    *("submit", "verify", "dispose", "start", "follow_up") * 2,
    "close",
    "rate",
)
HOURS = (1, 2, 3, 5, 8, 8, 24, 24, 72, 200)


class Player:
    """Applies (op, pick, hours) steps to a world; illegal moves are simply refused by the actions."""

    def __init__(self, w, refresh):
        self.w = w
        self.refresh = refresh
        self.now = START
        self.reports = []
        self.places = [
            (w.region_village, w.category),
            (w.region_village, w.health),
            (w.region_bkt_village, w.category2),
            (w.region_pekanbaru, w.category),
            (None, None),
        ]
        self.channels = [Channel.WEB, Channel.ANDROID, Channel.WHATSAPP]
        self.kinds = [ReportType.PENGADUAN, ReportType.ASPIRASI]
        self.verifiers = [w.verifier, w.verifier_prov, w.verifier_bkt, w.verifier_riau, w.admin_nasional]
        self.liaisons = [w.liaison_pupr, w.liaison_dinkes, w.liaison_bkt, w.liaison_riau, w.liaison_pkm]
        self.agencies = [w.pupr, w.dinkes, w.puskesmas, w.bkt_pupr, w.riau_dinas]

    def _report(self, pick):
        if not self.reports:
            return None
        # Mostly one of the newest three, so that histories get far; sometimes any report at all.
        if pick < 40:
            report = self.reports[-1 - pick % min(3, len(self.reports))]
        else:
            report = self.reports[pick % len(self.reports)]
        report.refresh_from_db()
        return report

    def _first(self, attempts):
        for attempt in attempts:
            try:
                return attempt()
            except (actions.ReportError, PermissionDenied):
                continue
        return None

    def _disposition(self, report, pick, open_only=True):
        qs = report.dispositions.order_by("pk")
        if open_only:
            qs = qs.filter(status__in=(DispositionStatus.TERDISPOSISI, DispositionStatus.DIPROSES))
        items = list(qs)
        return items[pick % len(items)] if items else None

    def step(self, op, pick, hours):
        self.now += dt.timedelta(hours=hours)
        with time_machine.travel(self.now, tick=False):
            self._apply(op, pick)

    def _apply(self, op, pick):
        w = self.w
        report = self._report(pick) if op not in ("submit", "sweep", "refresh") else None
        if op == "submit":
            region, category = self.places[pick % len(self.places)]
            self.reports.append(
                actions.submit_report(
                    new=actions.NewReport(
                        kind=self.kinds[pick % 2],
                        title=f"Jalan rusak nomor {len(self.reports)} di pasar",
                        description="Jalan di depan pasar berlubang besar sejak dua minggu dan berbahaya.",
                        channel=self.channels[pick % 3],
                        region=region,
                        category=category,
                        is_confidential=pick % 5 == 0,
                    ),
                    actor=w.citizen,
                )
            )
        elif op == "sweep":
            run_sla_sweep()
        elif op == "refresh":
            self.refresh()
        elif report is None:
            return
        elif op == "verify":
            classification = [
                Classification.PENGADUAN_TIDAK_BERKADAR_PENGAWASAN,
                Classification.ASPIRASI,
            ][pick % 2]
            self._first(
                lambda v=v: actions.verify_report(report=report, actor=v, classification=classification)
                for v in self.verifiers
            )
        elif op == "ask":
            self._first(
                lambda v=v: actions.request_information(
                    report=report, actor=v, message="Mohon lampirkan foto lokasi kejadian."
                )
                for v in self.verifiers
            )
        elif op == "answer_ask":
            self._first(
                [lambda: actions.complete_information(report=report, actor=w.citizen, text="Foto terlampir.")]
            )
        elif op == "dispose":
            if not report.classification:  # an officer verifies and disposes in one sitting
                self._apply("verify", pick)
                report.refresh_from_db()
            count = 2 if pick % 5 == 0 else 1
            agencies = [self.agencies[(pick + i) % len(self.agencies)] for i in range(count)]
            self._first(
                lambda v=v: actions.dispose_report(report=report, actor=v, agencies=agencies)
                for v in self.verifiers
            )
        elif op in ("start", "follow_up", "return", "forward"):
            disposition = self._disposition(report, pick)
            if disposition is None:
                return
            moves = {
                "start": lambda who: actions.start_follow_up(disposition=disposition, actor=who),
                "follow_up": lambda who: actions.post_follow_up(
                    disposition=disposition,
                    actor=who,
                    text="Sudah kami tangani bersama tim lapangan minggu ini.",
                ),
                "return": lambda who: actions.return_disposition(
                    disposition=disposition, actor=who, reason="Bukan kewenangan dinas kami."
                ),
                "forward": lambda who: actions.forward_disposition(
                    disposition=disposition,
                    actor=who,
                    agency=self.agencies[(pick + 1) % len(self.agencies)],
                    reason="Kewenangan ada di instansi lain.",
                ),
            }
            move = moves[op]
            self._first(lambda who=who: move(who) for who in self.liaisons)
        elif op == "close":
            self._first(
                [
                    lambda: actions.close_report(report=report, actor=w.citizen),
                    *(
                        lambda v=v: actions.close_report(report=report, actor=v, note="Sudah selesai.")
                        for v in self.verifiers
                    ),
                ]
            )
        elif op == "rate":
            # Citizens rate what was answered: the picked report, else the newest answered one.
            answered = [r for r in reversed(self.reports) if r.pk != report.pk]
            self._first(
                lambda r=r: actions.rate_report(report=r, actor=w.citizen, rating=1 + pick % 5)
                for r in [report, *answered[:10]]
            )
        elif op == "archive":
            self._first(
                lambda v=v: actions.archive_report(report=report, actor=v, reason=w.reason_unclear)
                for v in self.verifiers
            )
        elif op == "reopen":
            self._first(
                [lambda: actions.reopen_report(report=report, actor=w.citizen, reason="Belum beres.")]
            )
