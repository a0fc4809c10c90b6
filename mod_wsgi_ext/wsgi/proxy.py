"""WSGITrustedProxyHeaders / WSGITrustedProxies: believe proxy headers only from trusted proxies.

``apply(environ, headers, proxies)`` rewrites the environ in place, as mod_wsgi does.  ``headers``
are the configured header names ('\\n' separated), ``proxies`` the configured addresses/networks
('\\n' separated; empty = every client is a trusted proxy).

Known proxy headers come in sets, one per purpose (client address, host, server name, port,
scheme, script name).  For every set that has a listed header:

* from a trusted proxy, each listed header of the set that is present rewrites what it stands for
  (REMOTE_ADDR, HTTP_HOST, SERVER_NAME, SERVER_PORT, wsgi.url_scheme/HTTPS, SCRIPT_NAME and
  mod_wsgi.mount_point) and is
  kept in the environ (the last one applied, in configuration order, when several are listed);
  every other header of the set is removed;
* from any other client, every header of the set is removed.

Sets without a listed header are left alone.  With trusted proxies configured, X-Forwarded-For is
walked back from the nearest hop past the trusted proxies: the first untrusted address becomes
REMOTE_ADDR, and the header keeps only that address and the hops after it.  IPv4-mapped IPv6
addresses (``::ffff:10.0.0.9``) match IPv4 networks.
"""

import ipaddress

# header -> (purpose, how its value is applied)
KNOWN = {
    "X-Forwarded-For": ("addr", "forwarded_for"),
    "X-Client-IP": ("addr", "addr"),
    "X-Real-IP": ("addr", "addr"),
    "X-Forwarded-Host": ("host", "host"),
    "X-Host": ("host", "host"),
    "X-Forwarded-Server": ("server", "server"),
    "X-Forwarded-Port": ("port", "port"),
    "X-Script-Name": ("script", "script"),
    "X-Forwarded-Script-Name": ("script", "script"),
    "X-Forwarded-Proto": ("scheme", "scheme"),
    "X-Forwarded-Scheme": ("scheme", "scheme"),
    "X-Scheme": ("scheme", "scheme"),
    "X-Forwarded-HTTPS": ("scheme", "flag"),
    "X-Forwarded-SSL": ("scheme", "flag"),
    "X-HTTPS": ("scheme", "flag"),
}
KINDS = {name: purpose for name, (purpose, _) in KNOWN.items()}
_CANON = {k.lower(): k for k in KNOWN}
_ON = ("on", "true", "1")
_OFF = ("off", "false", "0")


def key(header):
    """The environ key of a request header."""
    return "HTTP_" + header.upper().replace("-", "_")


def _network(item):
    """An address or network as Apache accepts it: '1.2.3.4', '10.0.0.0/8', '10.1' (= 10.1/16),
    '10.0.0.0/255.0.0.0', '::1', 'fd00::/8'."""
    addr, _, mask = item.partition("/")
    if not mask and ":" not in addr:
        octets = [o for o in addr.split(".") if o]
        if 0 < len(octets) < 4:
            return ipaddress.ip_network("%s/%d" % (".".join(octets + ["0"] * (4 - len(octets))),
                                                   8 * len(octets)), strict=False)
    return ipaddress.ip_network(item, strict=False)


def _networks(proxies):
    nets = []
    for item in proxies.split("\n"):
        item = item.strip()
        if item:
            try:
                nets.append(_network(item))
            except ValueError:
                pass        # Apache accepted it; an address we cannot parse trusts nobody
    return nets


def _trusted(addr, nets):
    """Whether addr is in one of nets; an IPv4-mapped IPv6 address (::ffff:10.0.0.9) is also
    matched against the IPv4 networks, as mod_wsgi does."""
    try:
        ip = ipaddress.ip_address(addr.strip())
    except ValueError:
        return False
    mapped = ip.ipv4_mapped if ip.version == 6 else None
    return any((ip.version == n.version and ip in n)
               or (mapped is not None and n.version == 4 and mapped in n) for n in nets)


def _set_scheme(environ, https):
    environ["wsgi.url_scheme"] = "https" if https else "http"
    if https:
        environ["HTTPS"] = "1"
    else:
        environ.pop("HTTPS", None)


def _forwarded_for(environ, name, value, nets):
    addrs = [a.strip() for a in value.split(",") if a.strip()]
    if not addrs:
        return
    if nets is None:
        environ["REMOTE_ADDR"] = addrs[0]
        return
    first = None        # leftmost address of the trusted run at the end of the list
    for i in range(len(addrs) - 1, -1, -1):
        if not _trusted(addrs[i], nets):
            break
        first = i
    start = len(addrs) - 1 if first is None else max(first - 1, 0)
    environ["REMOTE_ADDR"] = addrs[start]
    environ[key(name)] = ", ".join(addrs[start:])


def _apply_one(environ, name, how, value, nets):
    value = value.strip()
    if how == "forwarded_for":
        _forwarded_for(environ, name, value, nets)
    elif how == "addr":
        environ["REMOTE_ADDR"] = value
    elif how == "host":
        environ["HTTP_HOST"] = value
    elif how == "server":
        environ["SERVER_NAME"] = value
    elif how == "port":
        environ["SERVER_PORT"] = value
    elif how == "script":       # as mod_wsgi: the value as it is, also as mod_wsgi.mount_point
        environ["SCRIPT_NAME"] = value
        environ["mod_wsgi.mount_point"] = value
    elif how == "scheme":
        if value.lower() in ("https", "http"):
            _set_scheme(environ, value.lower() == "https")
    elif how == "flag":
        if value.lower() in _ON + _OFF:
            _set_scheme(environ, value.lower() in _ON)


def apply(environ, headers, proxies=""):
    listed = [_CANON[h.strip().lower()] for h in headers.split("\n")
              if h.strip().lower() in _CANON]
    if not listed:
        return
    nets = _networks(proxies) if proxies.strip() else None
    trusted = nets is None or _trusted(environ.get("REMOTE_ADDR", ""), nets)
    kept = {}       # purpose -> the header that was applied last
    for name in listed:
        purpose, how = KNOWN[name]
        kept.setdefault(purpose, None)
        value = environ.get(key(name)) if trusted else None
        if value is None:
            continue
        _apply_one(environ, name, how, value, nets)
        kept[purpose] = name
    for name, purpose in KINDS.items():
        if purpose in kept and name != kept[purpose]:
            environ.pop(key(name), None)
