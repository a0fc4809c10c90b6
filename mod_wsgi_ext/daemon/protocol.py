"""The wire protocol between an Apache child and a daemon process (this docstring is the spec).

Transport: a UNIX stream socket created by the Apache parent, one per daemon process group; the
Apache child (C, ``_csrc/daemon.c``) connects, the daemon (``daemon/server.py``) accepts.  A
connection is persistent: it carries any number of requests, one after the other.

Preamble (child -> daemon, once per connection, before the first frame)::

    b"WXD" + VERSION (one byte, 1) + SECRET (32 bytes)

SECRET is made by the Apache parent for each group at each start (and each graceful restart),
handed to the group's daemons through an inherited pipe (never argv or the environment) and known to the Apache children
by inheritance.  A daemon keeps only the secret's SHA-256 digest (it zeroes every buffer the
secret passed through), so that reading its memory does not give the secret; it closes a
connection whose preamble is wrong, without answering.

Frames (both directions)::

    TYPE (1 byte, ASCII) + LENGTH (4 bytes, unsigned, big-endian / network order) + PAYLOAD

A payload is at most ``MAX_FRAME`` bytes (1 MiB); a longer LENGTH, an unknown TYPE, or a frame cut
short by the end of the stream is a protocol error: the reader logs it (with the group name) and
closes the connection.  A peer that closes at a frame boundary has simply closed.

Child -> daemon:

``Q`` request head (once per request).  Payload: ``key NUL value NUL`` repeated (latin-1), in
    any order.  Keys that start with ``:`` are for the daemon, the rest form the WSGI environ
    (Apache's CGI variables, SetEnv, HTTP_* headers, mod_wsgi.*):

    ``:script`` the script path; ``:callable`` the callable's name; ``:group`` the application
    group; ``:reloading`` ``1``/``0`` (WSGIScriptReloading); ``:mtime`` the script's mtime in µs
    as Apache saw it, or ``-1``; ``:override`` ``1``/``0`` (WSGIErrorOverride); ``:body`` ``1``
    when the request has a body; ``:head`` ``1`` for a HEAD request; ``:start`` the request's
    start time in µs since the epoch (for queue-timeout); ``:proxy_headers`` / ``:proxies``
    (newline-separated WSGITrustedProxyHeaders / WSGITrustedProxies).
``B`` request body data, sent only in answer to an ``R`` frame (at most the bytes asked for).
``E`` end of the request body (empty payload), in answer to an ``R`` frame.

Daemon -> child:

``P`` the daemon process's pid (4 bytes, big-endian), once, first on a new connection after a
    good preamble (so that the child can say which process died, if it does).
``R`` read: the application wants body data; payload 4 bytes, big-endian, the most wanted.
``S`` response head (once): ``"NNN reason" NUL name NUL value NUL ...`` (latin-1).
``D`` response body data; ``F`` the same, then flush it to the client now.
``L`` a log line for this request: 1 byte level (Apache's APLOG_*), then UTF-8 text.
``Z`` end of the response; payload 8 bytes: status (4, big-endian; 0 when the response was sent,
    else the HTTP status Apache should answer itself: 500, 503, 504, or the application's status
    under WSGIErrorOverride) and flags (4; bit 0: the connection must not be reused).
``X`` the response broke after its head was sent (payload: the reason, UTF-8): Apache cuts the
    client connection instead of completing the response; the connection must not be reused.
``G`` the daemon did not run this request and will not (it is retiring: maximum-requests,
    restart-interval, inactivity-timeout, a changed script): the child sends it again on a new
    connection.  Also sent unasked on an idle connection before the daemon closes it.

Order on one connection: child ``Q``; then, until a final frame (``Z``, ``X``, ``G``), the
daemon sends ``P``/``R``/``S``/``D``/``F``/``L`` and the child answers each ``R`` with one ``B`` or ``E``.
A daemon that closes the connection before a final frame has died: before ``S`` the client gets a
502, after it a cut connection; never a short 200.
"""

import hashlib
import struct

MAGIC = b"WXD"
VERSION = 1
SECRET_LEN = 32
PREAMBLE_LEN = len(MAGIC) + 1 + SECRET_LEN
MAX_FRAME = 1 << 20

HEADER = struct.Struct(">cI")
HEADER_LEN = HEADER.size   # 5
U32 = struct.Struct(">I")
Z_PAYLOAD = struct.Struct(">II")

REQUEST_TYPES = frozenset(b"QBE")
RESPONSE_TYPES = frozenset(b"PRSDFLZXG")
FINAL_TYPES = frozenset(b"ZXG")
FLAG_CLOSE = 1


class ProtocolError(Exception):
    """A corrupt, truncated or oversized frame, or a bad preamble."""


class Closed(Exception):
    """The peer closed the connection at a frame boundary."""


def preamble(secret):
    if len(secret) != SECRET_LEN:
        raise ValueError("the secret must be %d bytes" % SECRET_LEN)
    return MAGIC + bytes([VERSION]) + secret


def secret_digest(secret):
    """What a daemon keeps of the secret (bytes, bytearray or memoryview)."""
    return hashlib.sha256(secret).digest()


def check_preamble(data, digest):
    """Raise ProtocolError unless ``data`` (bytes or bytearray) is the preamble for the secret
    whose ``secret_digest`` is ``digest``; no copy of the secret part is made."""
    import hmac
    if len(data) != PREAMBLE_LEN or data[:3] != MAGIC:
        raise ProtocolError("not a mod_wsgi_ext daemon connection (bad magic)")
    if data[3] != VERSION:
        raise ProtocolError("protocol version %d, expected %d" % (data[3], VERSION))
    if not hmac.compare_digest(secret_digest(memoryview(data)[4:]), digest):
        raise ProtocolError("wrong secret: the peer is not an Apache child of this server")


def frame(ftype, payload=b""):
    """One encoded frame; ``ftype`` is a one-letter bytes."""
    if len(payload) > MAX_FRAME:
        raise ProtocolError("frame of %d bytes is over the limit of %d" % (len(payload), MAX_FRAME))
    return HEADER.pack(ftype, len(payload)) + payload


def frame_header(ftype, length):
    if length > MAX_FRAME:
        raise ProtocolError("frame of %d bytes is over the limit of %d" % (length, MAX_FRAME))
    return HEADER.pack(ftype, length)


def encode_pairs(pairs):
    """``key NUL value NUL ...`` from (str, str) pairs (latin-1)."""
    out = []
    for k, v in pairs:
        out.append(k.encode("latin-1"))
        out.append(v.encode("latin-1"))
    return b"\0".join(out) + b"\0" if out else b""


def decode_pairs(payload):
    """The (key, value) str pairs of a ``Q`` or ``S`` payload; ProtocolError when malformed."""
    if not payload:
        return []
    if payload[-1:] != b"\0":
        raise ProtocolError("key/value payload does not end with NUL")
    parts = payload[:-1].decode("latin-1").split("\0")
    if len(parts) % 2:
        raise ProtocolError("key/value payload has a key without a value")
    return list(zip(parts[::2], parts[1::2]))


def encode_head(status, headers):
    """An ``S`` payload: the status line, NUL, then the header pairs."""
    return status.encode("latin-1") + b"\0" + encode_pairs(headers)


def decode_head(payload):
    """(status line, [(name, value)]) from an ``S`` payload."""
    nul = payload.find(b"\0")
    if nul < 0:
        raise ProtocolError("response head without a status line")
    return payload[:nul].decode("latin-1"), decode_pairs(payload[nul + 1:])


def encode_end(status=0, flags=0):
    return frame(b"Z", Z_PAYLOAD.pack(status, flags))


def decode_end(payload):
    if len(payload) != Z_PAYLOAD.size:
        raise ProtocolError("end frame of %d bytes, expected %d" % (len(payload), Z_PAYLOAD.size))
    return Z_PAYLOAD.unpack(payload)


class Reader:
    """Reads frames from a blocking socket (or anything with ``recv_into``).

    ``allowed``: the frame types this side may receive; any other is a ProtocolError."""

    __slots__ = ("_sock", "_allowed", "_buf", "_view")

    def __init__(self, sock, allowed):
        self._sock = sock
        self._allowed = allowed
        self._buf = bytearray(HEADER_LEN)
        self._view = memoryview(self._buf)

    def _fill(self, view, what):
        got = 0
        n = len(view)
        while got < n:
            r = self._sock.recv_into(view[got:], n - got)
            if not r:
                if got == 0 and what == "header":
                    raise Closed()
                raise ProtocolError("truncated frame: the peer closed the connection in the "
                                     "middle of a frame %s" % what)
            got += r

    def read_exact(self, n):
        """Exactly n raw bytes; Closed when the peer closed first."""
        buf = bytearray(n)
        self.read_exact_into(buf)
        return bytes(buf)

    def read_exact_into(self, buf):
        """Fill ``buf`` (the preamble, which the caller zeroes after use)."""
        view = memoryview(buf)
        n = len(buf)
        got = 0
        while got < n:
            r = self._sock.recv_into(view[got:], n - got)
            if not r:
                if got == 0:
                    raise Closed()
                raise ProtocolError("truncated preamble")
            got += r

    def read(self):
        """(type as bytes of length 1, payload bytes)."""
        self._fill(self._view, "header")
        ftype, length = HEADER.unpack(self._buf)
        if ftype[0] not in self._allowed:
            raise ProtocolError("unknown frame type %r" % ftype)
        if length > MAX_FRAME:
            raise ProtocolError("frame of %d bytes is over the limit of %d" % (length, MAX_FRAME))
        if not length:
            return ftype, b""
        payload = bytearray(length)
        self._fill(memoryview(payload), "payload")
        return ftype, bytes(payload)
