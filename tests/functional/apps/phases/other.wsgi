def handle_request(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"served by the other handler"]
