"""The receiving end of federation: POST /federation/v1/messages (JSON, signed)."""

import logging

from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from jembatan.federation import actions, wire
from jembatan.federation.models import Instance, Protocol

logger = logging.getLogger(__name__)
MAX_BODY = 1024 * 1024


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
    body = request.body
    if len(body) > MAX_BODY:
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
