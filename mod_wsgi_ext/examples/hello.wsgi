"""The example application `mod-wsgi-ext serve` runs in the README."""
import os
import sys


def application(environ, start_response):
    body = ("Hello from mod_wsgi_ext!\n\n"
            "Python %s, process %d, interpreter group %r, %s\n"
            % (sys.version.split()[0], os.getpid(), environ.get("mod_wsgi.application_group"),
               environ.get("apache.version"))).encode()
    start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8")])
    return [body]
