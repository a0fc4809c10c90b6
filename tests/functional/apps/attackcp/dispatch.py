# WSGIDispatchScript returning what it should not (tests/functional/test_compat_attack.py).
def application_group(environ):
    what = environ["PATH_INFO"].split("/")[1] if "/" in environ["PATH_INFO"] else ""
    if what == "int":
        return 42
    if what == "nonlatin":
        return "gr\u00fcn-\u20ac"
    if what == "huge":
        return "g" * (1 << 20)
    if what == "nul":
        return "a\x00b"
    if what == "exit":
        raise SystemExit(3)
    if what == "slow":
        import time
        time.sleep(1)
        return "slow"
    return None


def process_group(environ):
    if environ["PATH_INFO"].startswith("/nosuchgroup"):
        return "no-such-daemon-group"
    return None


def callable_object(environ):
    if environ["PATH_INFO"].startswith("/nocallable"):
        return "does_not_exist"
    if environ["PATH_INFO"].startswith("/badcallable"):
        return b"\xff\xfe"
    return None
