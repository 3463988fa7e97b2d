"""Bahasa Indonesia first: the browser's language does not choose a page's language.

Many citizens' phones are set to English while they read and write Indonesian; Django's
LocaleMiddleware would serve them English. With this middleware placed before LocaleMiddleware
only an explicit choice counts on the web pages: the language switch (its cookie). Machine
clients (the REST API, Open311, channel webhooks) keep Accept-Language: for them it is the
explicit choice.
"""

MACHINE_PREFIXES = ("/api/", "/open311/", "/kanal/")


class IndonesianFirstMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith(MACHINE_PREFIXES):
            request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        return self.get_response(request)
