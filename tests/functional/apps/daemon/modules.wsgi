"""Which copy of a module this application group sees (application groups are separate)."""
import sys
import json

counter = [0]


def application(environ, start_response):
    counter[0] += 1
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [json.dumps({"count": counter[0], "module": __name__,
                        "group": environ["mod_wsgi.application_group"]}).encode()]
