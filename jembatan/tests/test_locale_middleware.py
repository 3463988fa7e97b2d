"""jembatan.middleware.LocaleMiddleware picks the same language and sends the same headers as
Django's LocaleMiddleware (it only skips the path-prefix lookups that cannot matter without
i18n_patterns)."""

import pytest
from django.http import HttpResponse, JsonResponse
from django.middleware.locale import LocaleMiddleware as DjangoLocaleMiddleware
from django.test import RequestFactory
from django.utils import translation

from jembatan.middleware import LocaleMiddleware


def _view(request):
    if request.path.startswith("/open311/"):
        response = JsonResponse({"description": translation.gettext("Permintaan tidak valid.")})
    else:
        response = HttpResponse(translation.get_language())
    if request.path.endswith("/vary/"):
        response["Vary"] = "Cookie"
    return response


def _answer(middleware_class, request):
    with translation.override(None):
        response = middleware_class(_view)(request)
        active = translation.get_language()
    return (
        request.LANGUAGE_CODE,
        active,
        response.content,
        response.get("Vary"),
        response.get("Content-Language"),
    )


@pytest.mark.parametrize(
    "path, headers",
    [
        ("/open311/v2/requests.json", {}),
        ("/open311/v2/requests.json", {"HTTP_ACCEPT_LANGUAGE": "en-US,en;q=0.9"}),
        ("/open311/v2/requests.json", {"HTTP_ACCEPT_LANGUAGE": "fr, id;q=0.5"}),
        ("/api/v1/reports/", {"HTTP_ACCEPT_LANGUAGE": "en"}),
        ("/", {"HTTP_COOKIE": "django_language=en"}),
        ("/en/lacak/", {"HTTP_COOKIE": "django_language=id"}),
        ("/id/vary/", {"HTTP_ACCEPT_LANGUAGE": "en"}),
        ("/lacak/", {"HTTP_COOKIE": "django_language=xx", "HTTP_ACCEPT_LANGUAGE": "de"}),
    ],
)
def test_the_locale_middleware_answers_as_djangos_does(path, headers):
    factory = RequestFactory()
    ours = _answer(LocaleMiddleware, factory.post(path, **headers))
    django = _answer(DjangoLocaleMiddleware, factory.post(path, **headers))
    assert ours == django
    assert ours[4] in ("id", "en")
