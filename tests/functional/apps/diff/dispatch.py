# WSGIDispatchScript for the differential tests: /dispatched/<name>/... runs in the application
# group 'dispatched-<name>'; /dispatched/other/... calls the callable 'other'.
def application_group(environ):
    name = environ["PATH_INFO"].split("/")[1] if environ["PATH_INFO"].count("/") else ""
    return "dispatched-" + name if name else None


def callable_object(environ):
    return "other" if environ["PATH_INFO"].startswith("/other") else None
