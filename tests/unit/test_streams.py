"""mod_wsgi_ext/wsgi/streams.py: wsgi.input over a fake sink (with short reads), wsgi.errors."""
import pytest

BODY = b"line one\nline two\n\nthird line without newline"


@pytest.fixture(params=[None, 1, 3, 7], ids=lambda n: "reads-of-%s" % n)
def inp(request, streams, make_sink):
    """An input stream over BODY, the sink returning at most n bytes per read (None: no limit)."""
    return streams.Input(make_sink(BODY, read_size=request.param))


def test_read_n_returns_n_bytes_until_the_end(inp):
    pieces = []
    while True:
        data = inp.read(5)
        if not data:
            break
        pieces.append(data)
    assert pieces == [BODY[i:i + 5] for i in range(0, len(BODY), 5)]
    assert inp.read(5) == b"" and inp.read() == b""


@pytest.mark.parametrize("arg", [(), (None,), (-1,), (-7,)])
def test_read_all(streams, make_sink, arg):
    inp = streams.Input(make_sink(BODY, read_size=4))
    assert inp.read(3) == b"lin"
    assert inp.read(*arg) == BODY[3:]
    assert inp.read(*arg) == b""


def test_read_zero(inp):
    assert inp.read(0) == b""
    assert inp.read() == BODY


def test_readline(inp):
    lines = []
    while True:
        line = inp.readline()
        if not line:
            break
        lines.append(line)
    assert lines == BODY.splitlines(True)
    assert inp.readline() == b""


def test_readline_with_size(inp):
    assert inp.readline(4) == b"line"
    assert inp.readline(100) == b" one\n"
    assert inp.readline(9) == b"line two\n"
    assert inp.readline(0) == b""
    assert inp.readline(None) == b"\n"
    assert inp.readline(-1) == b"third line without newline"


def test_readlines_and_hint(streams, make_sink):
    assert streams.Input(make_sink(BODY, read_size=2)).readlines() == BODY.splitlines(True)
    inp = streams.Input(make_sink(BODY))
    assert inp.readlines(10) == [b"line one\n", b"line two\n"]      # stops once 10 are reached
    assert inp.read() == b"\nthird line without newline"


def test_iteration(inp):
    assert list(inp) == BODY.splitlines(True)


def test_reads_and_readlines_mix(inp):
    assert inp.read(2) == b"li"
    assert inp.readline() == b"ne one\n"
    assert inp.read(4) == b"line"
    assert next(inp) == b" two\n"
    assert inp.read() == b"\nthird line without newline"


def test_empty_body(streams, make_sink):
    inp = streams.Input(make_sink(b""))
    assert (inp.read(), inp.read(10), inp.readline(), inp.readlines(), list(inp)) == (
        b"", b"", b"", [], [])


def test_a_long_line(streams, make_sink):
    body = b"x" * (3 * streams.CHUNK + 5) + b"\nrest"
    inp = streams.Input(make_sink(body, read_size=1000))
    assert inp.readline() == body[:-4]
    assert inp.readline() == b"rest"


def test_a_huge_read_size_does_not_ask_the_sink_for_that_much(streams, make_sink):
    sink = make_sink(BODY)
    assert streams.Input(sink).read(10 ** 12) == BODY
    assert max(sink.reads) <= streams.MAX_READ


def test_large_body_read_in_blocks(streams, make_sink):
    body = bytes(range(256)) * 8192        # 2 MiB
    inp = streams.Input(make_sink(body, read_size=65536))
    got = []
    while True:
        data = inp.read(100000)
        if not data:
            break
        got.append(data)
    assert b"".join(got) == body
    assert all(len(d) == 100000 for d in got[:-1])


def test_reading_past_the_end_does_not_ask_the_sink_again(streams, make_sink):
    sink = make_sink(b"abc")
    inp = streams.Input(sink)
    assert inp.read() == b"abc"
    n = len(sink.reads)
    assert inp.read(10) == b"" and inp.readline() == b""
    assert len(sink.reads) == n


# ------------------------------------------------------------------ wsgi.errors

def test_errors_logs_whole_lines(streams, sink):
    errors = streams.Errors(sink.log)
    assert errors.write("one\ntw") == 6
    assert sink.logs == [(3, "one")]
    errors.write("o\nthree")
    errors.writelines(["\nfour", "\n"])
    assert [t for _, t in sink.logs] == ["one", "two", "three", "four"]


def test_errors_flush_logs_a_partial_line(streams, sink):
    errors = streams.Errors(sink.log)
    errors.write("partial")
    assert sink.logs == []
    errors.flush()
    errors.flush()
    assert sink.logs == [(3, "partial")]


def test_errors_takes_str_only(streams, sink):
    errors = streams.Errors(sink.log)
    with pytest.raises(TypeError):
        errors.write(b"bytes")
    assert errors.isatty() is False and errors.closed is False


def test_print_to_errors(streams, sink):
    errors = streams.Errors(sink.log)
    print("printed", 42, file=errors)
    assert sink.logs == [(3, "printed 42")]
