"""Script 'one' of a WSGIScriptAlias directory target."""
import json


def application(environ, start_response):
    start_response("200 OK", [("Content-Type", "application/json")])
    return [json.dumps({"script": "one", "SCRIPT_NAME": environ["SCRIPT_NAME"],
                        "PATH_INFO": environ["PATH_INFO"]}).encode()]
