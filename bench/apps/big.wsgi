# A 64 KiB response, the same bytes as htdocs/big.bin (bench/scenarios.py writes both).
BODY = bytes(range(256)) * 256


def application(environ, start_response):
    start_response("200 OK", [("Content-Type", "application/octet-stream"),
                              ("Content-Length", str(len(BODY)))])
    return [BODY]
