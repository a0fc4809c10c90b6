"""An auth script that cannot be loaded (used by the auth tests)."""
def check_password(environ, user, password)
    return True
