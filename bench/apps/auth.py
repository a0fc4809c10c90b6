# The auth scripts of the benchmark, doing what Apache's C providers do for the same request:
# check_password the {SHA} check of mod_authn_file (htpasswd holds the same entry),
# groups_for_user the look-up of mod_authz_groupfile, allow_access mod_authz_host's Require ip.
import base64
import hashlib

USERS = {"bench": "{SHA}" + base64.b64encode(hashlib.sha1(b"secret").digest()).decode()}
GROUPS = {"bench": ["staff"]}


def check_password(environ, user, password):
    stored = USERS.get(user)
    if stored is None:
        return None
    return stored == "{SHA}" + base64.b64encode(hashlib.sha1(password.encode()).digest()).decode()


def groups_for_user(environ, user):
    return GROUPS.get(user, [])


def allow_access(environ, host):
    return host == "127.0.0.1"
