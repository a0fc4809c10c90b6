import no_such_module_wx_test


def application(environ, start_response):
    return []
