"""Where Kaname may send credentials: the one URL rule of connectors and notification channels.

A URL that carries a secret (a connector's API root or token endpoint, a Slack or webhook URL)
must be https, and its host must not be a loopback, link-local, private or otherwise internal
address, unless the host is on the workspace's explicit allow-list (`url_allow_list` in
kaname.yaml: host names, IP addresses or networks such as 10.0.0.0/8). Host names are resolved,
so a name that points at 127.0.0.1 is refused too.

Also the redaction of such URLs in messages people see: scheme, host and a path prefix only.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Iterable
from urllib.parse import urlsplit

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class UnsafeUrl(ValueError):
    """A URL Kaname will not send credentials to; `reason` is a key of `REASONS`."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"{redact_url(url)}: {REASONS[reason]}")
        self.url = url
        self.reason = reason


REASONS = {
    "scheme": "only https URLs are allowed (add the host to url_allow_list in kaname.yaml "
    "for plain http)",
    "host": "the URL has no host",
    "internal": "the host is a loopback, link-local or private address (add it to "
    "url_allow_list in kaname.yaml to allow it)",
}


def _address(host: str) -> Address | None:
    """The IP address a host literal stands for, including the short forms (127.1, 0x7f.1,
    2130706433) that the system resolver also reads as IPv4."""
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        pass
    if re.fullmatch(r"[0-9a-fA-FxX.]+", host):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


def _internal(address: Address) -> bool:
    mapped = getattr(address, "ipv4_mapped", None)
    if mapped is not None:
        address = mapped
    return not address.is_global or address.is_multicast


def _resolve(host: str) -> list[Address]:
    """The addresses a host name resolves to (none when it does not resolve here)."""
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return []
    out = []
    for info in infos:
        found = _address(str(info[4][0]).split("%")[0])
        if found is not None:
            out.append(found)
    return out


def _allowed(host: str, addresses: list[Address], allow: Iterable[str]) -> bool:
    for entry in allow:
        entry = entry.strip().lower()
        if not entry:
            continue
        if entry == host:
            return True
        try:
            network = ipaddress.ip_network(entry, strict=False)
        except ValueError:
            continue
        if addresses and all(a in network for a in addresses):
            return True
    return False


def check_url(url: str, allow: Iterable[str] = ()) -> str:
    """`url` when Kaname may send credentials to it, else raise UnsafeUrl."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    if not host:
        raise UnsafeUrl(url, "scheme" if parts.scheme not in ("http", "https") else "host")
    literal = _address(host)
    addresses = [literal] if literal is not None else _resolve(host)
    if _allowed(host, addresses, list(allow)):
        if parts.scheme not in ("http", "https"):
            raise UnsafeUrl(url, "scheme")
        return url
    if parts.scheme != "https":
        raise UnsafeUrl(url, "scheme")
    if host == "localhost" or host.endswith((".localhost", ".internal", ".local")):
        raise UnsafeUrl(url, "internal")
    if any(_internal(a) for a in addresses):
        raise UnsafeUrl(url, "internal")
    return url


_URL = re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.\-]*://[^\s'\"<>]+")


def redact_url(text: str, keep: int = 1) -> str:
    """Every URL in `text` cut to its scheme, host and first `keep` path segments; the rest (a
    Slack webhook's secret path, a ?token=, a user:password@) becomes '…'."""
    return _URL.sub(lambda m: _shorten(m.group(0), keep), text)


def _shorten(url: str, keep: int) -> str:
    trailing = len(url) - len(url.rstrip(".,;:)]"))
    url, tail = url[: len(url) - trailing], url[len(url) - trailing :]
    parts = urlsplit(url)
    host = parts.netloc.rsplit("@", 1)[-1]
    segments = [s for s in parts.path.split("/") if s]
    shown = "/".join(segments[:keep])
    hidden = len(segments) > keep or bool(parts.query or parts.fragment) or "@" in parts.netloc
    return (
        f"{parts.scheme}://{host}"
        + (f"/{shown}" if shown else "")
        + ("/…" if hidden else "")
        + tail
    )


def safe_link(url: str) -> str | None:
    """`url` when a page may show it as a link people click (a record in the source CRM): an
    http(s) address with a host, no user name or password in it, and no spaces or control
    characters; None otherwise (javascript:, data:, //host, mailto: …). Unlike `check_url`, no
    credentials go to it, so internal hosts (an on-premises CRM) are fine."""
    if not url or any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    if parts.username is not None or parts.password is not None or "\\" in url:
        return None
    return url
