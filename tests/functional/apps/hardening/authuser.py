"""WSGIAuthUserScript: every user is accepted with the password 'pw'."""


def check_password(environ, user, password):
    return password == "pw"
