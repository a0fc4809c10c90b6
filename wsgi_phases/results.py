"""What a phase handler may answer, and the order it runs in.

``OK``, ``DECLINED`` and ``DONE`` are Apache's values (``None`` means ``DECLINED``); any other
integer from 100 to 599 is an HTTP status that ends the request with Apache's error page for it.
``raise Deny(status, body=, headers=, content_type=)`` ends it with that status, those headers
(Apache's ``err_headers_out``: they are sent with the error) and, when given, that body instead of
Apache's error page.  ``FIRST``/``MIDDLE``/``LAST`` are Apache's hook orders.
"""

OK = 0
DECLINED = -1
DONE = -2

REALLY_FIRST = -10
FIRST = 0
MIDDLE = 10
LAST = 20
REALLY_LAST = 30

# mod_auth.h: what the authn and authz providers answer Apache (checked against the C side)
AUTH_DENIED, AUTH_GRANTED, AUTH_USER_FOUND, AUTH_USER_NOT_FOUND, AUTH_GENERAL_ERROR = range(5)
AUTHZ_DENIED, AUTHZ_GRANTED, AUTHZ_NEUTRAL, AUTHZ_GENERAL_ERROR, AUTHZ_DENIED_NO_USER = range(5)


class RequestEnded(RuntimeError):
    """The request object was used after its request ended."""


def _check_text(what, value):
    if type(value) is str and value.isascii() and value.isprintable():
        return value                  # the common case: no encoding, no control characters
    if not isinstance(value, str):
        raise TypeError("%s must be str, not %s" % (what, type(value).__name__))
    try:
        value.encode("latin-1")
    except UnicodeEncodeError:
        raise ValueError("%s must be latin-1 text: %r" % (what, value)) from None
    if "\r" in value or "\n" in value or "\0" in value:
        raise ValueError("%s must not contain CR, LF or NUL: %r" % (what, value))
    return value


class Deny(Exception):
    """End the request with ``status`` (an HTTP error or redirect status, 300-599).

    ``headers``: a mapping or a list of ``(name, value)`` pairs sent with the response (for
    example ``WWW-Authenticate`` or, with a 3xx status, ``Location``).  ``body``: ``str`` (sent
    encoded as UTF-8, or as latin-1 when ``content_type`` names that charset) or ``bytes``; it
    replaces Apache's error page for this request only.  ``content_type`` applies to ``body``.
    """

    def __init__(self, status, body=None, headers=None, content_type="text/plain"):
        if isinstance(status, bool) or not isinstance(status, int) or not 300 <= status <= 599:
            raise ValueError("Deny status must be an int from 300 to 599, not %r" % (status,))
        if body is not None and not isinstance(body, (str, bytes)):
            raise TypeError("Deny body must be str, bytes or None, not %s" % type(body).__name__)
        pairs = []
        if headers:
            items = headers.items() if hasattr(headers, "items") else headers
            for name, value in items:
                pairs.append((_check_text("header name", name), _check_text("header value", value)))
        _check_text("content_type", content_type)
        super().__init__(status)
        self.status = status
        self.headers = pairs
        self.content_type = content_type
        if isinstance(body, str):
            charset = "latin-1" if "iso-8859-1" in content_type.lower() else "utf-8"
            if "charset" not in content_type.lower() and charset == "utf-8" \
                    and content_type.startswith("text/"):
                self.content_type = content_type + "; charset=utf-8"
            body = body.encode(charset)
        self.body = body

    def __repr__(self):
        return "Deny(%d)" % self.status


def describe(value):
    """A short, safe description of a handler's answer, for the error log."""
    try:
        text = repr(value)
    except Exception:
        text = "<unrepresentable>"
    if len(text) > 80:
        text = text[:77] + "..."
    return "%s of type %s" % (text, type(value).__name__)


def handler_name(func):
    module = getattr(func, "__module__", None) or "?"
    name = getattr(func, "__qualname__", None) or getattr(func, "__name__", None) or repr(func)
    return "%s.%s" % (module, name)
