# Echo the request body (the benchmark POSTs 1 MiB): read wsgi.input in 64 KiB blocks.
def application(environ, start_response):
    stream = environ["wsgi.input"]
    chunks = []
    while True:
        block = stream.read(65536)
        if not block:
            break
        chunks.append(block)
    body = b"".join(chunks)
    start_response("200 OK", [("Content-Type", "application/octet-stream"),
                              ("Content-Length", str(len(body)))])
    return [body]
