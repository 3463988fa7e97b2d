"""One error shape for the whole API: {"code", "message", "errors": {field: [messages]}}.

Messages are produced with gettext in the language LocaleMiddleware picked from Accept-Language
(id or en), so they read in the caller's language once the .po has the English text.

Status codes: 400 bad input (a ReportError, a serializer error, an unparsable body), 401 no or
bad credentials, 403 authenticated but not allowed, 404 unknown or invisible, 405 wrong method,
409 the report's state forbids the move (IllegalTransition) or it changed meanwhile
(ReportConflict), 422 an Idempotency-Key reused with a different request, 429 rate limited.
"""

import logging

from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.response import Response

from jembatan.reports.actions import IllegalTransition, ReportConflict, ReportError

logger = logging.getLogger(__name__)


def body(code, message, errors=None):
    return {"code": str(code), "message": str(message), "errors": errors or {}}


def _flatten(detail, prefix=""):
    """DRF's nested error detail as {"field": [msg, …], "items.0.name": [...]}."""
    out = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            out.update(_flatten(value, name))
    elif isinstance(detail, list):
        if all(not isinstance(item, dict | list) for item in detail):
            out[prefix or "non_field_errors"] = [str(item) for item in detail]
        else:
            for index, item in enumerate(detail):
                out.update(_flatten(item, f"{prefix}.{index}" if prefix else str(index)))
    else:
        out[prefix or "non_field_errors"] = [str(detail)]
    return out


def _first_code(detail):
    if isinstance(detail, dict):
        for value in detail.values():
            return _first_code(value)
    if isinstance(detail, list) and detail:
        return _first_code(detail[0])
    return getattr(detail, "code", None) or "invalid"


def api_exception_handler(exc, context):
    """DRF's EXCEPTION_HANDLER for every API view (set per view, see decorators.py)."""
    headers = {}
    if isinstance(exc, ReportError):
        status = 409 if isinstance(exc, IllegalTransition | ReportConflict) else 400
        errors = {exc.field: [exc.message]} if exc.field else {}
        return Response(body(exc.code, exc.message, errors), status=status)
    if isinstance(exc, PermissionDenied):
        message = str(exc) or _("Anda tidak berwenang melakukan tindakan ini.")
        return Response(body("permission_denied", message), status=403)
    if isinstance(exc, Http404):
        return Response(body("not_found", _("Tidak ditemukan.")), status=404)
    if not isinstance(exc, exceptions.APIException):
        return None  # a bug: let Django log it and answer 500
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(int(exc.wait))
    if isinstance(exc, exceptions.ValidationError):
        errors = _flatten(exc.detail)
        payload = body(_first_code(exc.detail), _("Periksa kembali isian Anda."), errors)
    else:
        detail = exc.detail
        code = getattr(detail, "code", None) or exc.default_code
        payload = body(code, detail if isinstance(detail, str) else exc.default_detail)
    if exc.status_code == 400:
        logger.info("API 400 %s: %s", context.get("request") and context["request"].path, payload["code"])
    response = Response(payload, status=exc.status_code, headers=headers)
    if isinstance(exc, exceptions.Throttled):
        # A flood of refusals must stay cheap: no WARNING line from django.request for each.
        response._has_been_logged = True
    return response


def not_found(request, *args, **kwargs):
    """The JSON 404 for any unknown path under /api/v1/."""
    return JsonResponse(body("not_found", _("Alamat API ini tidak ada.")), status=404)
