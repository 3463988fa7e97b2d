"""The guards of the HTML pages: who may open a page, and the one 403 page that says why not.

Every site (portal, workbench, dashboards) wraps its views in `guarded(...)`: a PermissionDenied
raised by an access check or an action becomes the 403 page with the refusal's reason, in the
user's language. Who may do what is still answered by access.py; a guard only turns the answer
into a page.
"""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _


def forbidden(request, message=None, *, back=None):
    """The 403 page with `message` (or the general refusal).

    `back` = (url, label): the staff sites' way back, with a hint to ask the agency's admin.
    Never cached: the refusal depends on who asks.
    """
    general = _("Anda tidak berwenang membuka halaman ini atau melakukan tindakan ini.")
    context = {"message": str(message or "") or general}
    if back:
        context["back_url"], context["back_label"] = str(back[0]), str(back[1])
    response = render(request, "403.html", context, status=403)
    add_never_cache_headers(response)
    return response


def guarded(*, allow=None, refusal=None, back=None):
    """A view decorator: PermissionDenied becomes the 403 page.

    With `allow(user)`, the page is for signed-in users it allows: anonymous visitors go to the
    sign-in page, others get the 403 page with `refusal`; such pages hold personal or internal
    data, so their responses are never cached. Without `allow`, the page is open to everyone and
    its caching is the view's own.
    """

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if allow is not None:
                if not request.user.is_authenticated:
                    return redirect_to_login(request.get_full_path())
                if not allow(request.user):
                    return forbidden(request, refusal, back=back)
            try:
                response = view(request, *args, **kwargs)
            except PermissionDenied as exc:
                return forbidden(request, exc, back=back)
            if allow is not None:
                add_never_cache_headers(response)
            return response

        return wrapper

    return decorator
