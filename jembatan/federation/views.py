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
from jembatan.federation.models import Instance

logger = logging.getLogger(__name__)


def _refuse(status, error):
    return JsonResponse({"result": "refused", "error": error}, status=status)


def _peer(slug):
    """The active Jembatan peer named by a request's instance header, or None."""
    return Instance.jembatan_peers().filter(slug=slug).select_related("user").first()


def _signed_post(request, *, limit, what):
    """(sender, body, None) for a POST from a known peer whose body (at most `limit` bytes) carries
    the pair's signature; (None, None, the refusal to answer) otherwise."""
    slug = request.headers.get(wire.INSTANCE_HEADER, "")
    sender = _peer(slug)
    if sender is None:
        return None, None, _refuse(403, "unknown instance")
    # Read past DATA_UPLOAD_MAX_MEMORY_SIZE (request.body would refuse it): a forwarded report
    # carries its attachments, up to FEDERATION_MAX_ATTACHMENT_BYTES, inside the signed body.
    if int(request.META.get("CONTENT_LENGTH") or 0) > limit:
        return None, None, _refuse(413, "message too large")
    body = request.read(limit + 1)
    if len(body) > limit:
        return None, None, _refuse(413, "message too large")
    try:
        wire.verify(sender.shared_secret, request.headers.get(wire.SIGNATURE_HEADER), body)
    except wire.BadSignature as exc:
        logger.warning("federation: refused %s from %s: %s", what, slug, exc)
        return None, None, _refuse(401, str(exc))
    return sender, body, None


@csrf_exempt
@require_POST
def receive(request):
    """Check who sends and the signature, then apply the message once; acknowledge a repeat again."""
    sender, body, refused = _signed_post(request, limit=settings.FEDERATION_MAX_BODY_BYTES, what="a message")
    if refused is not None:
        return refused
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
    asker = _peer(slug)
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
    sender, body, refused = _signed_post(request, limit=network_figures.MAX_BODY_BYTES, what="figures")
    if refused is not None:
        return refused
    try:
        data = network_figures.validated(json.loads(body.decode("utf-8")))
    except (ValueError, UnicodeDecodeError) as exc:
        return _refuse(400, str(exc))
    try:
        results, foreign = actions.record_network_figures(sender=sender, figures=data)
    except actions.FederationRefused as exc:
        return _refuse(403, exc.message)
    if foreign:
        logger.warning("federation: %s reported for agencies it does not work: %s", sender.slug, foreign[:10])
    return JsonResponse(
        {"result": "ok", "periods": {p.isoformat(): r for p, r in results.items()}, "not_hosted": foreign}
    )
