# WSGIDispatchScript for the functional tests: /d/<group>/... runs in application group
# 'disp-<group>'; /d/<group>/other uses the callable 'other'; /d/fail raises.
def application_group(environ):
    parts = environ["PATH_INFO"].split("/")
    if len(parts) > 1 and parts[1] == "fail":
        raise RuntimeError("dispatch failing on purpose")
    if len(parts) > 1 and parts[1] == "global":
        return "%{GLOBAL}"
    return "disp-" + parts[1] if len(parts) > 1 and parts[1] else None


def callable_object(environ):
    return "other" if environ["PATH_INFO"].endswith("/other") else None
