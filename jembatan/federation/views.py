"""The receiving end of federation: POST /federation/v1/messages and /figures (JSON, signed), and
the signed GET /federation/v1/directory."""

import json
import logging
import time

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from jembatan.federation import actions, hubsync, wire
from jembatan.federation import figures as network_figures
from jembatan.federation.models import Instance, Protocol

logger = logging.getLogger(__name__)


def _refuse(status, error):
    return JsonResponse({"result": "refused", "error": error}, status=status)


@csrf_exempt
@require_POST
def receive(request):
    """Check who sends and the signature, then apply the message once; acknowledge a repeat again."""
    slug = request.headers.get(wire.INSTANCE_HEADER, "")
    sender = (
        Instance.objects.filter(slug=slug, is_self=False, is_active=True, protocol=Protocol.JEMBATAN)
        .select_related("user")
        .first()
    )
    if sender is None:
        return _refuse(403, "unknown instance")
    limit = settings.FEDERATION_MAX_BODY_BYTES
    # Read past DATA_UPLOAD_MAX_MEMORY_SIZE (request.body would refuse it): a forwarded report
    # carries its attachments, up to FEDERATION_MAX_ATTACHMENT_BYTES, inside the signed body.
    if int(request.META.get("CONTENT_LENGTH") or 0) > limit:
        return _refuse(413, "message too large")
    body = request.read(limit + 1)
    if len(body) > limit:
        return _refuse(413, "message too large")
    try:
        wire.verify(sender.shared_secret, request.headers.get(wire.SIGNATURE_HEADER), body)
    except wire.BadSignature as exc:
        logger.warning("federation: refused a message from %s: %s", slug, exc)
        return _refuse(401, str(exc))
    try:
        envelope = wire.decode(body)
    except ValueError as exc:
        return _refuse(400, str(exc))
    if envelope["sender"] != sender.slug:
        return _refuse(403, "the envelope names another sender")
    if envelope["kind"] not in actions.HANDLERS:
        return _refuse(400, "unknown message kind")
    try:
        state, error = actions.receive_message(sender=sender, envelope=envelope)
    except actions.FederationRefused as exc:
        return _refuse(403, exc.message)
    return JsonResponse({"message_id": envelope["message_id"], "result": state, "error": error})


@require_GET
def directory(request):
    """Answer a peer's signed GET with this instance's directory, signed with the pair's key."""
    me = actions.self_instance()
    slug = request.headers.get(wire.INSTANCE_HEADER, "")
    asker = Instance.objects.filter(
        slug=slug, is_self=False, is_active=True, protocol=Protocol.JEMBATAN
    ).first()
    if me is None or asker is None:
        return _refuse(403, "unknown instance")
    try:
        wire.verify(asker.shared_secret, request.headers.get(wire.SIGNATURE_HEADER), hubsync.REQUEST_BODY)
    except wire.BadSignature as exc:
        logger.warning("federation: refused a directory request from %s: %s", slug, exc)
        return _refuse(401, str(exc))
    body = wire.encode(hubsync.publish(me=me, asker=asker))
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response[wire.SIGNATURE_HEADER] = wire.sign(asker.shared_secret, int(time.time()), body)
    response["Cache-Control"] = "no-store"
    return response


@csrf_exempt
@require_POST
def figures(request):
    """Keep a peer's signed monthly figures (the hub only); answer what became of each month."""
    slug = request.headers.get(wire.INSTANCE_HEADER, "")
    sender = Instance.objects.filter(
        slug=slug, is_self=False, is_active=True, protocol=Protocol.JEMBATAN
    ).first()
    if sender is None:
        return _refuse(403, "unknown instance")
    limit = network_figures.MAX_BODY_BYTES
    if int(request.META.get("CONTENT_LENGTH") or 0) > limit:
        return _refuse(413, "message too large")
    body = request.read(limit + 1)
    if len(body) > limit:
        return _refuse(413, "message too large")
    try:
        wire.verify(sender.shared_secret, request.headers.get(wire.SIGNATURE_HEADER), body)
    except wire.BadSignature as exc:
        logger.warning("federation: refused figures from %s: %s", slug, exc)
        return _refuse(401, str(exc))
    try:
        data = network_figures.validated(json.loads(body.decode("utf-8")))
    except (ValueError, UnicodeDecodeError) as exc:
        return _refuse(400, str(exc))
    try:
        results, foreign = actions.record_network_figures(sender=sender, figures=data)
    except actions.FederationRefused as exc:
        return _refuse(403, exc.message)
    if foreign:
        logger.warning("federation: %s reported for agencies it does not work: %s", slug, foreign[:10])
    return JsonResponse(
        {"result": "ok", "periods": {p.isoformat(): r for p, r in results.items()}, "not_hosted": foreign}
    )
