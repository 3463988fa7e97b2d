"""`manage.py federation`: the operator's view of federation and its few moves.

federation status                       backlog per peer, oldest undelivered, last error; at the hub,
                                        when each instance last reported its figures
federation self <id> <name>             name this instance in the network
federation peer <id> <name> <url> [--secret S]   add or update a peer (prints a new key if none)
federation peer <id> <name> <endpoint> --protocol sp4n-lapor --secret <key token>   the LAPOR! peer
federation send-lapor <tracking number> --as <username>   send a verified report to SP4N-LAPOR!
federation host <agency code> <id> [--subtree]   the agency (and those under it) lives on <id>
federation sync [--hub ID] [--apply]    compare with the hub's directory; --apply makes the changes
federation figures [--hub ID]           send the hub this instance's monthly figures now
federation retry <message id>           send a message again now (also a dead one)
federation park <message id>            stop trying a message; it stays as the record
"""

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count, Max, Min, Q

from jembatan.directory.models import Agency
from jembatan.federation import actions, figures, hubsync
from jembatan.federation.models import (
    FederationMessage,
    InboundState,
    Instance,
    NetworkPeriod,
    Protocol,
    ReceivedMessage,
)
from jembatan.jobs.models import OPEN_OUTBOX_STATUSES, OutboxStatus
from jembatan.reports.actions import ReportError
from jembatan.reports.models import Report


class Command(BaseCommand):
    help = "Federation: status of the outbox per peer; join this instance to peers; retry or park a message."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="command", required=True)
        sub.add_parser("status")
        me = sub.add_parser("self")
        me.add_argument("slug")
        me.add_argument("name")
        peer = sub.add_parser("peer")
        peer.add_argument("slug")
        peer.add_argument("name")
        peer.add_argument("url")
        peer.add_argument("--secret", default="")
        peer.add_argument("--protocol", choices=Protocol.values, default=Protocol.JEMBATAN)
        send = sub.add_parser("send-lapor")
        send.add_argument("tracking_number")
        send.add_argument("--as", dest="username", required=True)
        host = sub.add_parser("host")
        host.add_argument("agency")
        host.add_argument("slug")
        host.add_argument("--subtree", action="store_true", help="also every agency under it")
        sync = sub.add_parser("sync")
        sync.add_argument("--hub", default="", help="the peer to ask (default: FEDERATION_HUB)")
        sync.add_argument("--apply", action="store_true", help="make the changes (default: only show them)")
        sub.add_parser("figures").add_argument("--hub", default="", help="default: FEDERATION_HUB")
        for name in ("retry", "park"):
            sub.add_parser(name).add_argument("message_id")

    def handle(self, *args, command, **options):
        try:
            getattr(self, f"do_{command.replace('-', '_')}")(**options)
        except ReportError as exc:
            raise CommandError(exc.message) from None

    def do_status(self, **options):
        me = actions.self_instance()
        self.stdout.write(f"this instance: {me.slug if me else '(not set up)'}")
        open_q = Q(outgoing__status__in=OPEN_OUTBOX_STATUSES)
        peers = Instance.objects.filter(is_self=False).annotate(
            backlog=Count("outgoing", filter=open_q),
            dead=Count("outgoing", filter=Q(outgoing__status=OutboxStatus.FAILED)),
            oldest=Min("outgoing__created_at", filter=open_q),
        )
        for peer in peers:
            last = peer.outgoing.exclude(last_error="").order_by("-updated_at").first()
            self.stdout.write(
                f"{peer.slug:<16} {peer.protocol:<10} backlog={peer.backlog} dead={peer.dead} "
                f"oldest={peer.oldest.isoformat() if peer.oldest else '-'} "
                f"last_error={(last.last_error[:120] if last else '-')!r}"
            )
        buffered = ReceivedMessage.objects.filter(state=InboundState.BUFFERED).count()
        rejected = ReceivedMessage.objects.filter(state=InboundState.REJECTED).count()
        self.stdout.write(f"inbound: buffered={buffered} rejected={rejected}")
        for message in (
            FederationMessage.objects.undelivered().select_related("destination").order_by("created_at")[:20]
        ):
            self.stdout.write(
                f"  {message.message_id} {message.kind} #{message.seq} → {message.destination.slug} "
                f"{message.status} attempts={message.attempts} {message.last_error[:80]!r}"
            )

        if figures.is_hub():
            self._network_status()

    def _network_status(self):
        """When each peer last reported its figures (the hub), and as of when they were computed."""
        reported = {
            row["instance"]: row
            for row in NetworkPeriod.objects.values("instance").annotate(
                last=Max("received_at"), as_of=Max("as_of"), months=Count("pk")
            )
        }
        self.stdout.write("network figures (reported by each instance):")
        for peer in Instance.objects.filter(is_self=False, protocol=Protocol.JEMBATAN):
            row = reported.get(peer.pk)
            if row is None:
                self.stdout.write(f"  {peer.slug:<16} never reported")
            else:
                self.stdout.write(
                    f"  {peer.slug:<16} last_reported={row['last'].isoformat()} "
                    f"as_of={row['as_of'].isoformat()} months={row['months']}"
                )

    def do_figures(self, *, hub, **options):
        try:
            answer = figures.send(hub=hub or None)
        except figures.SendFailed as exc:
            raise CommandError(str(exc)) from None
        if answer is None:
            self.stdout.write("nothing sent: the rollups were never computed here (refresh_rollups)")
            return
        self.stdout.write(" ".join(f"{p}={r}" for p, r in sorted(answer.get("periods", {}).items())))
        if answer.get("not_hosted"):
            self.stdout.write(f"left out by the hub (not hosted here): {', '.join(answer['not_hosted'])}")

    def do_self(self, *, slug, name, **options):
        actions.register_instance(slug=slug, name=name, is_self=True)
        self.stdout.write(f"this instance is {slug}")

    def do_peer(self, *, slug, name, url, secret, protocol, **options):
        if protocol == Protocol.LAPOR:
            actions.register_lapor_peer(slug=slug, name=name, endpoint=url, token=secret)
            self.stdout.write(f"SP4N-LAPOR! peer {slug} at {url}")
            return
        fresh = not secret and not Instance.objects.filter(slug=slug).exclude(shared_secret="").exists()
        secret = secret or (actions.new_shared_secret() if fresh else "")
        actions.register_instance(slug=slug, name=name, base_url=url, shared_secret=secret)
        self.stdout.write(f"peer {slug} at {url}")
        if fresh:
            self.stdout.write(f"new shared key (give it to {slug} over a safe channel): {secret}")

    def do_host(self, *, agency, slug, subtree=False, **options):
        try:
            agency = Agency.objects.get(code=agency)
            instance = Instance.objects.get(slug=slug)
        except (Agency.DoesNotExist, Instance.DoesNotExist) as exc:
            raise CommandError(str(exc)) from None
        for each in Agency.objects.subtree(agency) if subtree else [agency]:
            actions.host_agency(agency=each, instance=instance)
            self.stdout.write(f"{each.code} is hosted on {instance.slug}")

    def do_sync(self, *, hub, apply, **options):
        try:
            changes = hubsync.pull(hub=hub or None, apply=apply)
        except (hubsync.SyncFailed, actions.FederationRefused) as exc:
            raise CommandError(str(exc)) from None
        for change, code, detail in changes:
            if change != "unchanged":
                shown = detail if isinstance(detail, str) else ""
                self.stdout.write(f"  {change:<12} {code} {shown}".rstrip())
        counts = {kind: sum(1 for c in changes if c[0] == kind) for kind in hubsync.CHANGES}
        self.stdout.write(("applied: " if apply else "dry run (--apply to make the changes): ")
                          + " ".join(f"{k}={v}" for k, v in counts.items()))  # fmt: skip

    def do_send_lapor(self, *, tracking_number, username, **options):
        try:
            report = Report.objects.get(tracking_number=tracking_number)
            actor = get_user_model().objects.get(username=username)
        except (Report.DoesNotExist, get_user_model().DoesNotExist) as exc:
            raise CommandError(str(exc)) from None
        try:
            message = actions.send_to_lapor(report=report, actor=actor)
        except PermissionDenied as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"queued for SP4N-LAPOR!: {message.message_id}")

    def _message(self, message_id):
        try:
            return FederationMessage.objects.get(message_id=message_id)
        except (FederationMessage.DoesNotExist, ValueError) as exc:
            raise CommandError(f"no such message: {message_id}") from exc

    def do_retry(self, *, message_id, **options):
        done = actions.retry_message(message=self._message(message_id))
        self.stdout.write("queued again" if done else "not retried: it was delivered or is being sent")

    def do_park(self, *, message_id, **options):
        done = actions.park_message(message=self._message(message_id))
        self.stdout.write("parked" if done else "not parked: it is not waiting")
