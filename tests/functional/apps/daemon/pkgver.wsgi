"""Reports the version of the package 'wxpkg' its virtual environment holds."""
import sys


def application(environ, start_response):
    import wxpkg
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [("%s %s" % (wxpkg.VERSION, sys.prefix)).encode()]
