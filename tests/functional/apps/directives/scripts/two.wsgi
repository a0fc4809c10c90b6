"""Script 'two' of a WSGIScriptAlias directory target."""
import json


def application(environ, start_response):
    start_response("200 OK", [("Content-Type", "application/json")])
    return [json.dumps({"script": "two", "SCRIPT_NAME": environ["SCRIPT_NAME"],
                        "PATH_INFO": environ["PATH_INFO"]}).encode()]
