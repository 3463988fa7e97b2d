"""`@api_endpoint`: DRF's @api_view with this API's policies in one place.

Every endpoint gets the same authentication (API key, then session), the per-key and per-address
rate limits, the one error shape (errors.api_exception_handler) and, on POST, Idempotency-Key.
"""

from rest_framework.decorators import api_view
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer

from jembatan.api import errors
from jembatan.api.auth import AUTHENTICATION_CLASSES
from jembatan.api.idempotency import idempotent
from jembatan.api.throttles import DEFAULT_THROTTLES

PARSERS = [JSONParser, MultiPartParser, FormParser]


def _exception_handler(self):
    return errors.api_exception_handler


def api_endpoint(methods, *, permission=AllowAny, throttles=None, parsers=None, idempotency=True):
    """Turn `func(request, …)` into an API view allowing `methods`.

    `idempotency=False` only where the response holds a secret that must not be stored for replay
    (a new token): repeating such a POST is harmless, keeping its answer in a table is not.
    """

    def decorator(func):
        handler = idempotent(func) if "POST" in methods and idempotency else func
        handler.authentication_classes = AUTHENTICATION_CLASSES
        handler.permission_classes = [permission]
        handler.throttle_classes = throttles if throttles is not None else DEFAULT_THROTTLES
        handler.parser_classes = parsers or PARSERS
        # JSON only: the browsable API would need its own templates and CSRF handling, and the
        # documentation lives at /api/v1/docs/.
        handler.renderer_classes = [JSONRenderer]
        view = api_view(methods)(handler)
        view.cls.get_exception_handler = _exception_handler
        return view

    return decorator
