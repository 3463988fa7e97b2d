"""Where something that leaves the building may go: the destination rules of outgoing HTTP.

Shared by the outgoing webhooks (api/webhooks.py) and the SP4N-LAPOR! connector
(federation/lapor.py): https only (plain http when WEBHOOK_ALLOW_HTTP), global unicast addresses
only, the name resolved once and the connection pinned to the checked address (no DNS rebinding),
loopback only with WEBHOOK_ALLOW_LOOPBACK (development and tests).
"""

import http.client
import ipaddress
import socket
import ssl
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

from jembatan.jobs import outbox


class DeliveryFailed(outbox.SendFailed):
    def __init__(self, message, status=None):
        super().__init__(message, response_status=status)
        self.status = status


class PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to the address checked beforehand, whatever the name resolves to now."""

    def __init__(self, host, port, address, **kwargs):
        super().__init__(host, port, **kwargs)
        self._address = address

    def connect(self):
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class PinnedHTTPSConnection(http.client.HTTPSConnection):
    """TLS to the checked address, with SNI and certificate check for the URL's host name."""

    def __init__(self, host, port, address, **kwargs):
        super().__init__(host, port, context=ssl.create_default_context(), **kwargs)
        self._address = address

    def connect(self):
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


# --- Where a request may point -------------------------------------------------------------------------


def _allowed_address(address):
    """True if a webhook may be sent to this IP address.

    Global unicast only (`is_global`): this refuses private, loopback, link-local, CGNAT
    (100.64.0.0/10), 6to4 (2002::/16), documentation, multicast and reserved addresses. An
    IPv4-mapped IPv6 address is judged as the IPv4 address it carries. Loopback is let through
    only with WEBHOOK_ALLOW_LOOPBACK (development and tests: a receiver on this machine).
    """
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        elif ip.sixtofour is not None or ip.teredo is not None:
            # Tunnels to an IPv4 address inside (Python 3.11's is_global still passes 2002::/16).
            return False
    if ip.is_loopback:
        return bool(settings.WEBHOOK_ALLOW_LOOPBACK)
    return ip.is_global and not ip.is_multicast


def _addresses(host, port):
    """The IP addresses `host` stands for: itself if it is one, else its DNS answers (resolved once)."""
    try:
        return [str(ipaddress.ip_address(host))]
    except ValueError:
        pass
    infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    return list(dict.fromkeys(info[4][0] for info in infos))


def _parse(url):
    """(scheme, host, port) of a URL a webhook may use, or a problem message."""
    parts = urlsplit(url or "")
    if parts.scheme != "https" and not (settings.WEBHOOK_ALLOW_HTTP and parts.scheme == "http"):
        return _("URL webhook harus memakai https.")
    try:
        host, port = parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return _("URL webhook tidak sah.")
    if not host:
        return _("URL webhook tidak sah.")
    return parts.scheme, host, port


def resolve_destination(url):
    """(scheme, host, port, address) to connect to, or raise DeliveryFailed.

    Resolved once, here, and the connection goes to exactly this address: a DNS answer that
    changes between the check and the connection (DNS rebinding) cannot steer the request.
    """
    parsed = _parse(url)
    if isinstance(parsed, str):
        raise DeliveryFailed(parsed)
    scheme, host, port = parsed
    if not settings.WEBHOOK_ALLOW_LOOPBACK and (host == "localhost" or host.endswith(".localhost")):
        raise DeliveryFailed(_("URL webhook menunjuk ke jaringan internal."))
    try:
        addresses = _addresses(host, port)
    except (OSError, UnicodeError):
        raise DeliveryFailed(_("Nama host webhook tidak dapat di-resolve.")) from None
    # Every answer must be allowed: a name that also points inside would be a way in.
    if not addresses or not all(_allowed_address(address) for address in addresses):
        raise DeliveryFailed(_("URL webhook menunjuk ke jaringan internal."))
    return scheme, host, port, addresses[0]


def url_problem(url, *, resolve=False):
    """Why `url` may not receive webhooks (a message), or "" if it may.

    https only (plain http when WEBHOOK_ALLOW_HTTP), and only global unicast addresses (see
    `_allowed_address`). Without `resolve` a host name is accepted here and judged at delivery,
    when the answer is the one the connection uses.
    """
    parsed = _parse(url)
    if isinstance(parsed, str):
        return parsed
    _scheme, host, _port = parsed
    if not resolve:
        try:
            ipaddress.ip_address(host)
        except ValueError:
            if not settings.WEBHOOK_ALLOW_LOOPBACK and (host == "localhost" or host.endswith(".localhost")):
                return _("URL webhook menunjuk ke jaringan internal.")
            return ""
    try:
        resolve_destination(url)
    except DeliveryFailed as exc:
        return str(exc)
    return ""
