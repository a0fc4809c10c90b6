"""The daemon wire protocol codec (mod_wsgi_ext/daemon/protocol.py): round trips, and corrupt,
truncated and oversized frames are errors, never hangs."""
import socket
import struct

import pytest

from unit.conftest import _load

P = _load("mod_wsgi_ext/daemon/protocol.py")
SECRET = bytes(range(32))


def reader_for(data, allowed=P.RESPONSE_TYPES):
    a, b = socket.socketpair()
    a.sendall(data)
    a.close()
    b.settimeout(5)
    return P.Reader(b, allowed)


def test_round_trip_every_frame_type():
    frames = [(b"S", P.encode_head("200 OK", [("Content-Type", "text/plain"), ("X-A", "é")])),
              (b"D", b"hello"), (b"F", b""), (b"R", P.U32.pack(4096)),
              (b"L", bytes([3]) + "oops ü".encode()), (b"Z", P.Z_PAYLOAD.pack(0, 0)),
              (b"X", b"broken"), (b"G", b"")]
    r = reader_for(b"".join(P.frame(t, p) for t, p in frames))
    for t, p in frames:
        assert r.read() == (t, p)
    with pytest.raises(P.Closed):
        r.read()


def test_request_head_pairs_round_trip():
    pairs = [(":script", "/x/app.wsgi"), ("PATH_INFO", "/caf\xe9"), ("HTTP_X", ""),
             ("QUERY_STRING", "a=1&b")]
    payload = P.encode_pairs(pairs)
    r = reader_for(P.frame(b"Q", payload), P.REQUEST_TYPES)
    t, got = r.read()
    assert t == b"Q" and P.decode_pairs(got) == pairs


def test_head_and_end_decode():
    status, headers = P.decode_head(P.encode_head("404 Not Found", [("A", "b")]))
    assert status == "404 Not Found" and headers == [("A", "b")]
    assert P.decode_end(P.encode_end(504, P.FLAG_CLOSE)[5:]) == (504, P.FLAG_CLOSE)


def test_big_endian_header():
    assert P.frame(b"D", b"abc") == b"D\x00\x00\x00\x03abc"


def test_unknown_type_is_an_error():
    r = reader_for(b"?" + struct.pack(">I", 0))
    with pytest.raises(P.ProtocolError, match="unknown frame type"):
        r.read()


def test_request_side_refuses_response_frames():
    r = reader_for(P.frame(b"S", b"200 OK\0"), P.REQUEST_TYPES)
    with pytest.raises(P.ProtocolError):
        r.read()


def test_oversized_frame_is_an_error_without_reading_it():
    r = reader_for(b"D" + struct.pack(">I", P.MAX_FRAME + 1))
    with pytest.raises(P.ProtocolError, match="over the limit"):
        r.read()
    with pytest.raises(P.ProtocolError):
        P.frame(b"D", b"x" * (P.MAX_FRAME + 1))


@pytest.mark.parametrize("cut", [1, 3, 5, 7])
def test_truncated_frame_is_an_error(cut):
    data = P.frame(b"D", b"hello")[:cut]
    r = reader_for(data)
    with pytest.raises(P.ProtocolError, match="truncated"):
        r.read()


def test_corrupt_pairs():
    with pytest.raises(P.ProtocolError):
        P.decode_pairs(b"a\0b")          # no final NUL
    with pytest.raises(P.ProtocolError):
        P.decode_pairs(b"a\0b\0c\0")     # key without value
    with pytest.raises(P.ProtocolError):
        P.decode_head(b"200 OK")
    with pytest.raises(P.ProtocolError):
        P.decode_end(b"\0\0\0")


def test_preamble():
    P.check_preamble(P.preamble(SECRET), P.secret_digest(SECRET))
    with pytest.raises(P.ProtocolError, match="wrong secret"):
        P.check_preamble(P.preamble(bytes(32)), P.secret_digest(SECRET))
    with pytest.raises(P.ProtocolError, match="magic"):
        P.check_preamble(b"GET / HTTP/1.1\r\n" + bytes(20), P.secret_digest(SECRET))
    with pytest.raises(P.ProtocolError, match="version"):
        P.check_preamble(b"WXD\x07" + SECRET, P.secret_digest(SECRET))
    r = reader_for(P.preamble(SECRET)[:10])
    with pytest.raises(P.ProtocolError, match="truncated"):
        r.read_exact(P.PREAMBLE_LEN)
