"""mod_wsgi_ext/wsgi/proxy.py: WSGITrustedProxyHeaders / WSGITrustedProxies, as mod_wsgi 6 does."""
import pytest


def base(**headers):
    environ = {"REMOTE_ADDR": "10.0.0.5", "HTTP_HOST": "backend:8080", "SERVER_NAME": "backend",
               "SERVER_PORT": "8080", "SCRIPT_NAME": "/app", "wsgi.url_scheme": "http"}
    for name, value in headers.items():
        environ["HTTP_" + name.upper()] = value
    return environ


def test_nothing_listed_changes_nothing(proxy):
    e = base(X_FORWARDED_FOR="1.2.3.4")
    before = dict(e)
    proxy.apply(e, "", "")
    proxy.apply(e, "X-Unknown-Header", "")
    assert e == before


def test_forwarded_for_without_trusted_proxies_takes_the_first_address(proxy):
    e = base(X_FORWARDED_FOR=" , 1.2.3.4, 10.0.0.1")
    proxy.apply(e, "X-Forwarded-For", "")
    assert e["REMOTE_ADDR"] == "1.2.3.4"
    assert e["HTTP_X_FORWARDED_FOR"] == " , 1.2.3.4, 10.0.0.1"     # kept as sent


def test_header_names_are_case_insensitive(proxy):
    e = base(X_FORWARDED_FOR="1.2.3.4")
    proxy.apply(e, "x-forwarded-for", "")
    assert e["REMOTE_ADDR"] == "1.2.3.4"


@pytest.mark.parametrize("xff,addr,kept", [
    ("1.1.1.1, 2.2.2.2, 10.1.0.5", "2.2.2.2", "2.2.2.2, 10.1.0.5"),
    ("1.1.1.1, 10.1.0.9, 10.1.0.5", "1.1.1.1", "1.1.1.1, 10.1.0.9, 10.1.0.5"),
    ("10.1.0.9, 10.1.0.5", "10.1.0.9", "10.1.0.9, 10.1.0.5"),
    ("1.1.1.1, 2.2.2.2", "2.2.2.2", "2.2.2.2"),
    ("1.1.1.1, junk, 10.1.0.5", "junk", "junk, 10.1.0.5"),
])
def test_forwarded_for_walks_back_past_trusted_proxies(proxy, xff, addr, kept):
    e = base(X_FORWARDED_FOR=xff)
    e["REMOTE_ADDR"] = "10.1.2.3"
    proxy.apply(e, "X-Forwarded-For", "10.1")           # Apache's partial network: 10.1.0.0/16
    assert e["REMOTE_ADDR"] == addr
    assert e["HTTP_X_FORWARDED_FOR"] == kept


def test_untrusted_client_loses_the_whole_set(proxy):
    e = base(X_FORWARDED_FOR="1.2.3.4", X_REAL_IP="5.6.7.8", X_CLIENT_IP="9.9.9.9",
             X_FORWARDED_PROTO="https")
    proxy.apply(e, "X-Forwarded-For\nX-Forwarded-Proto", "192.168.0.0/16")
    assert e["REMOTE_ADDR"] == "10.0.0.5"
    assert e["wsgi.url_scheme"] == "http"
    assert not [k for k in e if k.startswith("HTTP_X_")]


def test_trusted_proxy_keeps_the_listed_header_and_drops_its_synonyms(proxy):
    e = base(X_REAL_IP="5.6.7.8", X_FORWARDED_FOR="1.2.3.4", X_CLIENT_IP="9.9.9.9")
    proxy.apply(e, "X-Real-IP", "10.0.0.0/8")
    assert e["REMOTE_ADDR"] == "5.6.7.8"
    assert e["HTTP_X_REAL_IP"] == "5.6.7.8"
    assert "HTTP_X_FORWARDED_FOR" not in e and "HTTP_X_CLIENT_IP" not in e


def test_sets_without_a_listed_header_are_left_alone(proxy):
    e = base(X_FORWARDED_PROTO="https", X_FORWARDED_HOST="front.example")
    proxy.apply(e, "X-Forwarded-For", "")
    assert e["HTTP_X_FORWARDED_PROTO"] == "https"
    assert e["HTTP_X_FORWARDED_HOST"] == "front.example"
    assert e["wsgi.url_scheme"] == "http" and e["HTTP_HOST"] == "backend:8080"


def test_listed_but_absent_header_still_drops_spoofed_synonyms(proxy):
    e = base(X_SCHEME="https")
    proxy.apply(e, "X-Forwarded-Proto", "")
    assert "HTTP_X_SCHEME" not in e and e["wsgi.url_scheme"] == "http"


@pytest.mark.parametrize("header,value,scheme", [
    ("X-Forwarded-Proto", "https", "https"), ("X-Forwarded-Proto", "HTTPS", "https"),
    ("X-Forwarded-Proto", "http", "http"), ("X-Forwarded-Scheme", "https", "https"),
    ("X-Scheme", "https", "https"), ("X-Forwarded-HTTPS", "On", "https"),
    ("X-Forwarded-HTTPS", "off", "http"), ("X-Forwarded-SSL", "1", "https"),
    ("X-HTTPS", "true", "https"), ("X-Forwarded-Proto", "gopher", None),
    ("X-Forwarded-SSL", "maybe", None),
])
def test_scheme(proxy, header, value, scheme):
    e = base()
    e["HTTP_" + header.upper().replace("-", "_")] = value
    e["wsgi.url_scheme"] = "unchanged"
    proxy.apply(e, header, "")
    assert e["wsgi.url_scheme"] == (scheme or "unchanged")
    if scheme == "https":
        assert e["HTTPS"] == "1"
    elif scheme == "http":
        assert "HTTPS" not in e


def test_http_scheme_clears_https(proxy):
    e = base(X_FORWARDED_PROTO="http")
    e["HTTPS"] = "on"
    e["wsgi.url_scheme"] = "https"
    proxy.apply(e, "X-Forwarded-Proto", "")
    assert e["wsgi.url_scheme"] == "http" and "HTTPS" not in e


@pytest.mark.parametrize("header,value,key,expected", [
    ("X-Forwarded-Host", "front.example:443", "HTTP_HOST", "front.example:443"),
    ("X-Host", "front.example", "HTTP_HOST", "front.example"),
    ("X-Forwarded-Server", "front", "SERVER_NAME", "front"),
    ("X-Forwarded-Port", "443", "SERVER_PORT", "443"),
    ("X-Script-Name", "/mounted/", "SCRIPT_NAME", "/mounted/"),     # as mod_wsgi: as it is
    ("X-Script-Name", "/mounted/", "mod_wsgi.mount_point", "/mounted/"),
    ("X-Forwarded-Script-Name", "/x/", "SCRIPT_NAME", "/x/"),
    ("X-Forwarded-Script-Name", "/x/", "mod_wsgi.mount_point", "/x/"),
    ("X-Forwarded-Script-Name", "/m", "SCRIPT_NAME", "/m"),
    ("X-Client-IP", "7.7.7.7", "REMOTE_ADDR", "7.7.7.7"),
])
def test_rewrites(proxy, header, value, key, expected):
    e = base()
    e["HTTP_" + header.upper().replace("-", "_")] = value
    proxy.apply(e, header, "10.0.0.5")
    assert e[key] == expected


def test_several_purposes_at_once(proxy):
    e = base(X_FORWARDED_FOR="1.2.3.4", X_FORWARDED_HOST="front.example",
             X_FORWARDED_PORT="443", X_FORWARDED_PROTO="https")
    proxy.apply(e, "X-Forwarded-For\nX-Forwarded-Host\nX-Forwarded-Port\nX-Forwarded-Proto",
                "10.0.0.0/8\n::1")
    assert (e["REMOTE_ADDR"], e["HTTP_HOST"], e["SERVER_PORT"], e["wsgi.url_scheme"]) == (
        "1.2.3.4", "front.example", "443", "https")


def test_ipv6_trusted_proxy(proxy):
    e = base(X_FORWARDED_FOR="2001:db8::1")
    e["REMOTE_ADDR"] = "::1"
    proxy.apply(e, "X-Forwarded-For", "::1")
    assert e["REMOTE_ADDR"] == "2001:db8::1"


def test_unparseable_remote_addr_is_not_trusted(proxy):
    e = base(X_FORWARDED_FOR="1.2.3.4")
    e["REMOTE_ADDR"] = "not-an-ip"
    proxy.apply(e, "X-Forwarded-For", "10.0.0.0/8")
    assert e["REMOTE_ADDR"] == "not-an-ip" and "HTTP_X_FORWARDED_FOR" not in e


@pytest.mark.parametrize("spec,inside,outside", [
    ("10.1", "10.1.255.1", "10.2.0.1"),
    ("192.168", "192.168.3.4", "192.169.0.1"),
    ("172.16.0.0/12", "172.31.0.1", "172.32.0.1"),
    ("10.0.0.0/255.0.0.0", "10.9.9.9", "11.0.0.1"),
    ("1.2.3.4", "1.2.3.4", "1.2.3.5"),
    ("fd00::/8", "fd12::1", "fe80::1"),
])
def test_network_forms_apache_accepts(proxy, spec, inside, outside):
    for addr, trusted in ((inside, True), (outside, False)):
        e = base(X_REAL_IP="7.7.7.7")
        e["REMOTE_ADDR"] = addr
        proxy.apply(e, "X-Real-IP", spec)
        assert (e["REMOTE_ADDR"] == "7.7.7.7") is trusted, (spec, addr)


@pytest.mark.parametrize("xff,addr", [
    ("203.0.113.9, ::ffff:10.0.0.9", "203.0.113.9"),       # mapped hop is a trusted proxy
    ("::ffff:203.0.113.9, 10.0.0.9", "::ffff:203.0.113.9"),  # mapped but outside: the client
])
def test_ipv4_mapped_addresses_match_ipv4_networks(proxy, xff, addr):
    e = base(X_FORWARDED_FOR=xff)
    e["REMOTE_ADDR"] = "::ffff:10.0.0.1"        # a v4 peer on a v6 socket is trusted too
    proxy.apply(e, "X-Forwarded-For", "10.0.0.0/8")
    assert e["REMOTE_ADDR"] == addr
