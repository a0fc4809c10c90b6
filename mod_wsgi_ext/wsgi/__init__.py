"""The WSGI protocol (PEP 3333): input, errors, start_response and response writing.

Shared by every mode: the response writer talks to a *sink* with the methods of the C request
object (start, write, sendfile, abort, log, aborted).
"""
