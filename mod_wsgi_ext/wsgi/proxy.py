"""WSGITrustedProxyHeaders / WSGITrustedProxies: believe proxy headers only from trusted proxies.

``apply(environ, headers, proxies)`` rewrites the environ in place.  ``headers`` are the configured
header names, ``proxies`` the configured addresses/networks ('\\n' separated; empty = trust every
client).  From an untrusted client every listed header is removed; from a trusted one the first
present header of each kind rewrites REMOTE_ADDR, HTTP_HOST, SERVER_PORT, wsgi.url_scheme/HTTPS or
SCRIPT_NAME.  Known proxy headers that are not listed are always removed, so an application never
acts on one Apache was not told to trust.
"""

import ipaddress

KINDS = {
    "X-Forwarded-For": "addr", "X-Client-IP": "addr", "X-Real-IP": "addr",
    "X-Forwarded-Host": "host", "X-Host": "host",
    "X-Forwarded-Port": "port",
    "X-Forwarded-Proto": "scheme", "X-Forwarded-Scheme": "scheme", "X-Scheme": "scheme",
    "X-Forwarded-HTTPS": "https", "X-Forwarded-SSL": "https",
    "X-Script-Name": "script", "X-Forwarded-Script-Name": "script",
}
_CANON = {k.lower(): k for k in KINDS}


def _key(header):
    return "HTTP_" + header.upper().replace("-", "_")


def _networks(proxies):
    nets = []
    for item in proxies.split("\n"):
        if item:
            nets.append(ipaddress.ip_network(item, strict=False))
    return nets


def _trusted(addr, nets):
    try:
        ip = ipaddress.ip_address(addr)
    except ValueError:
        return False
    return any(ip.version == n.version and ip in n for n in nets)


def apply(environ, headers, proxies=""):
    listed = [_CANON.get(h.lower(), h) for h in headers.split("\n") if h]
    for name in KINDS:
        if name not in listed:
            environ.pop(_key(name), None)
    nets = _networks(proxies) if proxies else None
    if nets is not None and not _trusted(environ.get("REMOTE_ADDR", ""), nets):
        for name in listed:
            environ.pop(_key(name), None)
        return
    done = set()
    for name in listed:
        kind = KINDS.get(name)
        value = environ.pop(_key(name), None)
        if kind is None or value is None or kind in done:
            continue
        value = value.strip()
        if kind == "addr":
            addrs = [a.strip() for a in value.split(",") if a.strip()]
            chosen = addrs[0] if addrs else None
            if nets is not None:
                # walk back from the nearest hop past our own trusted proxies
                for a in reversed(addrs):
                    chosen = a
                    if not _trusted(a, nets):
                        break
            if chosen:
                environ["REMOTE_ADDR"] = chosen
        elif kind == "host":
            environ["HTTP_HOST"] = value
        elif kind == "port":
            environ["SERVER_PORT"] = value
        elif kind == "scheme":
            scheme = value.lower()
            environ["wsgi.url_scheme"] = "https" if scheme == "https" else "http"
            if scheme == "https":
                environ["HTTPS"] = "1"
            else:
                environ.pop("HTTPS", None)
        elif kind == "https":
            on = value.lower() in ("on", "1", "true", "yes")
            environ["wsgi.url_scheme"] = "https" if on else "http"
            if on:
                environ["HTTPS"] = "1"
            else:
                environ.pop("HTTPS", None)
        elif kind == "script":
            environ["SCRIPT_NAME"] = value.rstrip("/")
        done.add(kind)
