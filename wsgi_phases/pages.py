"""Apache httpd 2.4's built-in error pages (ServerSignature Off, no ErrorDocument), so that
``wsgi_phases.testing`` answers with the bodies Apache sends."""

import html
from http import HTTPStatus

_HEAD = ('<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01//EN" '
         '"http://www.w3.org/TR/html4/strict.dtd">\n<html><head>\n<title>%d %s</title>\n'
         '</head><body>\n<h1>%s</h1>\n')
_TAIL = "</body></html>\n"
_MOVED = '<p>The document has moved <a href="%s">here</a>.</p>\n'
_TEXT = {
    303: '<p>The answer to your request is located <a href="%s">here</a>.</p>\n',
    400: "<p>Your browser sent a request that this server could not understand.<br />\n</p>\n",
    401: ("<p>This server could not verify that you\nare authorized to access the document\n"
          "requested.  Either you supplied the wrong\ncredentials (e.g., bad password), or your\n"
          "browser doesn't understand how to supply\nthe credentials required.</p>\n"),
    403: "<p>You don't have permission to access this resource.</p>\n",
    404: "<p>The requested URL was not found on this server.</p>\n",
    410: ("<p>The requested resource is no longer available on this server and there is no "
          "forwarding address.\nPlease remove all references to this resource.</p>\n"),
}
_SERVER_ERROR = ("<p>The server encountered an internal error or\nmisconfiguration and was unable "
                 "to complete\nyour request.</p>\n<p>Please contact the server administrator at \n"
                 " %s to inform them of the time this error occurred,\n and the actions you "
                 "performed just before this error.</p>\n<p>More information about this error may "
                 "be available\nin the server error log.</p>\n")
CONTENT_TYPE = "text/html; charset=iso-8859-1"


def reason(status):
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown Reason"


def error_page(status, location=None, server_admin="[no address given]"):
    """The body Apache sends for ``status`` (bytes)."""
    phrase = reason(status)
    body = _HEAD % (status, phrase, phrase)
    if 300 <= status < 400 and status != 304:
        body += (_TEXT.get(status, _MOVED)) % html.escape(location or "", quote=True)
    elif status in _TEXT:
        body += _TEXT[status]
    else:
        body += _SERVER_ERROR % html.escape(server_admin)
    return (body + _TAIL).encode("latin-1")
