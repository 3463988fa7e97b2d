"""The hub's directory of the network, and an instance keeping its host table in step with it.

Every instance answers a signed GET with its directory: the instances it knows and, for each agency
of its tree, the instance that hosts it (its own id unless a RemoteAgency row says otherwise). The
national hub's answer is the one that counts: an instance with FEDERATION_HUB set pulls it every
FEDERATION_SYNC_MINUTES (and on `manage.py federation sync`) and `actions.sync_directory` applies it.

    GET {hub base_url}/federation/v1/directory
    X-Jembatan-Instance: <asking instance>
    X-Jembatan-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(pair key, "<t>.GET /federation/v1/directory")>

    200 {"hub": "<id>", "for": "<asking id>", "instances": [...], "agencies": [...]}
    X-Jembatan-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(pair key, "<t>." + raw body)>

Both directions are signed with the key the pair shares and checked against the clock window, so
a forged or replayed directory (an old one, or one made for another instance) is refused before
anything is read from it: a directory decides where reports go.
"""

import json

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone

from jembatan.accounts.models import StaffRole
from jembatan.directory.models import Agency, AgencyKind
from jembatan.federation import wire
from jembatan.federation.models import Instance, Protocol, RemoteAgency

PATH = "/federation/v1/directory"
REQUEST_BODY = f"GET {PATH}".encode()
MAX_DIRECTORY_BYTES = 32 * 1024 * 1024
CHANGES = ("create", "host", "unhost", "local", "unreachable", "unchanged", "invalid")


class SyncFailed(Exception):
    """The hub could not be asked, or its answer is not a directory signed for us."""


# --- Publishing (the hub's side) ------------------------------------------------------------------------


def publish(*, me, asker):
    """This instance's directory, as the JSON-ready dict the GET answers `asker` with."""
    hosts = {
        row.agency_id: row.instance.slug
        for row in RemoteAgency.objects.select_related("instance")
        if row.instance.is_active
    }
    agencies = [
        {
            "code": agency.code,
            "name": agency.name,
            "kind": agency.kind,
            "parent": agency.parent.code if agency.parent_id else None,
            "region": agency.region_id,
            "is_active": agency.is_active,
            "host": hosts.get(agency.pk, me.slug),
        }
        for agency in Agency.objects.select_related("parent").order_by("path")
    ]
    instances = [
        {"slug": i.slug, "name": i.name, "base_url": i.base_url, "is_active": i.is_active}
        for i in Instance.objects.filter(protocol=Protocol.JEMBATAN).order_by("slug")  # not SP4N-LAPOR!
    ]
    return {
        "hub": me.slug,
        "for": asker.slug,
        "generated_at": timezone.now().isoformat(),
        "instances": instances,
        "agencies": agencies,
    }


# --- Pulling (an instance's side) -----------------------------------------------------------------------


def fetch(*, me, hub, now=None):
    """Ask `hub` for its directory; return it once its signature, sender and addressee check out."""
    try:
        status, body, signature = wire.exchange(
            hub, me, PATH, signed=REQUEST_BODY, max_read=MAX_DIRECTORY_BYTES + 1, now=now
        )
    except wire.Unreachable as exc:
        raise SyncFailed(str(exc)) from exc
    if status != 200:
        raise SyncFailed(f"HTTP {status}: {body[:300].decode('utf-8', 'replace')}")
    return read_answer(body, signature, me=me, hub=hub)


def read_answer(body, signature, *, me, hub, now=None):
    """The directory in a hub's signed answer, or raise SyncFailed (checked before it is parsed)."""
    if len(body) > MAX_DIRECTORY_BYTES:
        raise SyncFailed("the directory is too large")
    try:
        wire.verify(hub.shared_secret, signature, body, now=now)
    except wire.BadSignature as exc:
        raise SyncFailed(f"the hub's answer is refused: {exc}") from None
    try:
        directory = validated(json.loads(body.decode("utf-8")))
    except (ValueError, UnicodeDecodeError) as exc:
        raise SyncFailed(f"not a directory: {exc}") from None
    if directory["hub"] != hub.slug or directory["for"] != me.slug:
        raise SyncFailed("the directory was made by another hub or for another instance")
    return directory


def _text(value, limit):
    if not isinstance(value, str) or not value or len(value) > limit:
        raise ValueError(f"bad value {str(value)[:40]!r}")
    return value


def validated(data):
    """`data` if it has the shape of a directory, else raise ValueError.

    Only the envelope and the instances are checked here: one bad agency entry must not stop the
    others (plan() reports it as "invalid", see entry_problem)."""
    if not isinstance(data, dict) or not isinstance(data.get("agencies"), list):
        raise ValueError("no agencies")
    _text(data.get("hub"), 60), _text(data.get("for"), 60)
    if not isinstance(data.get("instances"), list):
        raise ValueError("no instances")
    if not all(isinstance(item, dict) for item in data["instances"]):
        raise ValueError("an entry is not an object")
    for item in data["instances"]:
        _text(item.get("slug"), 60), _text(item.get("name"), 200)
    return data


def entry_label(item):
    """What names an agency entry in a report: its code, or the start of what stands there."""
    code = item.get("code") if isinstance(item, dict) else item
    return code if isinstance(code, str) and code else repr(code)[:60]


def entry_problem(item):
    """Why the agency entry `item` cannot be applied here, or None when it has the right shape."""
    if not isinstance(item, dict):
        return "not an object"
    try:
        _text(item.get("code"), 60), _text(item.get("name"), 200), _text(item.get("host"), 60)
        _text(item.get("kind"), 24)
        for name, limit in (("parent", 60), ("region", 20)):
            if item.get(name) is not None:
                _text(item[name], limit)
        if not isinstance(item.get("is_active"), bool):
            raise ValueError("bad is_active")
        # The rule of the code column itself (a slug of at most 60 characters).
        Agency._meta.get_field("code").run_validators(item["code"])
    except ValueError as exc:
        return str(exc)
    except ValidationError as exc:
        return f"bad code: {' '.join(exc.messages)}"
    return None


# --- What a directory changes here ----------------------------------------------------------------------


def _local_paths():
    """Paths of agencies where a person (not a peer's service account) holds an active staff role."""
    return [
        path
        for path in StaffRole.objects.filter(
            is_active=True, agency__isnull=False, user__federation_instance__isnull=True
        ).values_list("agency__path", flat=True)
    ]


def is_local(agency, local_paths):
    """Is `agency` worked here: one of its people, or a person of an agency above it, works here?"""
    return any(agency.path.startswith(path) for path in local_paths)


def plan(*, directory, me):
    """The changes `directory` asks of this instance, as (change, code, detail) triples.

    change is "create" (an agency the hub has and we lack), "host" (hosted on another instance:
    new, or moved; detail = the instance), "unhost" (moved here, or deactivated at the hub),
    "local" (the hub says another instance hosts an agency worked here: never overwritten),
    "unreachable" (hosted on an instance we share no key with), "unchanged", or "invalid" (an
    entry that cannot be applied, skipped; detail = why: see entry_problem; an agency under one
    is skipped with it).
    """
    agencies = {a.code: a for a in Agency.objects.all()}
    rows = {r.agency.code: r.instance.slug for r in RemoteAgency.objects.select_related("agency", "instance")}
    peers = {p.slug for p in Instance.jembatan_peers().exclude(shared_secret="")}
    local_paths = _local_paths()
    changes, known, new_local, invalid = [], set(agencies), set(), set()
    for entry in directory["agencies"]:
        problem = entry_problem(entry)
        if problem is None and entry.get("parent") in invalid:
            problem = f"parent {entry['parent']} is invalid"
        if problem is None and entry["code"] not in agencies and entry["is_active"]:
            if entry["kind"] not in AgencyKind.values:
                problem = f"unknown kind {entry['kind']!r}"
        if problem is not None:
            changes.append(("invalid", entry_label(entry), problem))
            invalid.add(entry_label(entry))
            continue
        code, host, parent = entry["code"], entry["host"], entry["parent"]
        agency = agencies.get(code)
        if agency is None:
            if not entry["is_active"] or (parent is not None and parent not in known):
                continue
            changes.append(("create", code, entry))
            known.add(code)
            # A new office under an agency worked here is worked here too (is_local): never remote.
            if parent in new_local or (parent in agencies and is_local(agencies[parent], local_paths)):
                new_local.add(code)
        current = rows.get(code)
        if not entry["is_active"] or host == me.slug:
            changes.append(("unhost", code, current) if current else ("unchanged", code, None))
        elif current == host:
            changes.append(("unchanged", code, host))
        elif current is None and (code in new_local or agency is not None and is_local(agency, local_paths)):
            changes.append(("local", code, host))
        elif host not in peers:
            changes.append(("unreachable", code, host))
        else:
            changes.append(("host", code, host))
    return changes


def pull(*, hub=None, apply=True, actor=None):
    """Fetch the hub's directory and apply it (actions.sync_directory); return the changes."""
    from jembatan.federation import actions  # actions uses plan() above

    me = actions.self_instance()
    if me is None:
        raise SyncFailed("federation is not set up here (manage.py federation self)")
    slug = hub or settings.FEDERATION_HUB
    hubs = Instance.jembatan_peers()
    hub = hubs.filter(slug=slug).first() if slug else None
    if hub is None:
        raise SyncFailed(f"no active peer {slug!r} to sync from (FEDERATION_HUB)")
    directory = fetch(me=me, hub=hub)
    return actions.sync_directory(hub=hub, directory=directory, actor=actor, apply=apply)
