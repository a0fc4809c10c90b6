"""The server root `serve` and `setup-server` write: created or accepted safely, written safely.

The command usually runs as root, and what it writes (``httpd.conf``, ``apachectl``) is then run
as root. So nobody else may have a say in the directory or its files:

* Without ``--server-root`` a fresh directory is made with ``mkdtemp`` (a new, unpredictable name,
  created with ``O_EXCL`` semantics, owned by the caller), never a fixed name in ``/tmp`` that
  another user could make first.
* A given ``--server-root`` is used only if it is a real directory (not a symlink) owned by the
  caller and writable by nobody else, and no directory above it can be renamed by another user
  (each is owned by root or the caller, and not writable by others unless sticky, as ``/tmp``).
* Files are written through a descriptor of that directory opened with ``O_NOFOLLOW``: a new
  temporary file (``O_CREAT|O_EXCL|O_NOFOLLOW``), then renamed over the final name, which
  replaces a planted symlink instead of writing through it.

Every refusal is a :class:`UserError` with one line naming the path and what to do.
"""

import errno
import os
import shutil
import stat
import tempfile


class UserError(Exception):
    """A mistake in what the user asked for: printed as one line, exit status 2, no traceback."""


def _describe_owner(uid):
    try:
        import pwd
        return "%s (uid %d)" % (pwd.getpwuid(uid).pw_name, uid)
    except KeyError:
        return "uid %d" % uid


def _check_dir_stat(st, path, uid):
    if not stat.S_ISDIR(st.st_mode):
        raise UserError("mod_wsgi_ext: --server-root %s is not a directory (or is a symlink); "
                        "give a directory of your own" % path)
    if st.st_uid != uid:
        raise UserError("mod_wsgi_ext: refusing the server root %s: it belongs to %s, not to you "
                        "(%s); another user could change what Apache runs. Give a directory you "
                        "own, or leave out --server-root" % (path, _describe_owner(st.st_uid),
                                                            _describe_owner(uid)))
    if st.st_mode & 0o022:
        raise UserError("mod_wsgi_ext: refusing the server root %s: other users may write to it "
                        "(mode %o); run 'chmod go-w %s' or give another directory"
                        % (path, stat.S_IMODE(st.st_mode), path))


def _check_ancestors(path, uid):
    """No directory above `path` lets another user rename or replace what is below it."""
    parent = os.path.dirname(path)
    while True:
        st = os.lstat(parent)
        if st.st_uid not in (0, uid) or (st.st_mode & 0o022 and not st.st_mode & stat.S_ISVTX):
            raise UserError("mod_wsgi_ext: refusing the server root %s: the directory %s above it "
                            "can be changed by another user (owner %s, mode %o); put the server "
                            "root somewhere only you and root control"
                            % (path, parent, _describe_owner(st.st_uid),
                               stat.S_IMODE(st.st_mode)))
        if parent == os.path.dirname(parent):
            return
        parent = os.path.dirname(parent)


class ServerRoot:
    """An open, checked server root directory. ``temporary``: made by this run without
    ``--server-root``, so ``serve`` removes it when Apache stops."""

    def __init__(self, path, fd, temporary):
        self.path = path
        self.fd = fd
        self.temporary = temporary

    def write(self, name, data, mode=0o644):
        """Write `name` in the root: a new temporary file, then renamed over `name`."""
        if isinstance(data, str):
            data = data.encode("utf-8", "surrogateescape")
        tmp = ".%s.%d.tmp" % (name, os.getpid())
        try:
            os.unlink(tmp, dir_fd=self.fd)
        except FileNotFoundError:
            pass
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC,
                     mode, dir_fd=self.fd)
        try:
            os.fchmod(fd, mode)
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
        finally:
            os.close(fd)
        os.rename(tmp, name, src_dir_fd=self.fd, dst_dir_fd=self.fd)
        return os.path.join(self.path, name)

    def close(self):
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None

    def remove(self):
        """Delete the root if it is temporary (never a given --server-root)."""
        self.close()
        if self.temporary:
            shutil.rmtree(self.path, ignore_errors=True)


def _open_checked(path, uid):
    try:
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError as e:
        if e.errno in (errno.ELOOP, errno.ENOTDIR):
            raise UserError("mod_wsgi_ext: --server-root %s is not a directory (or is a "
                            "symlink); give a directory of your own" % path) from None
        raise UserError("mod_wsgi_ext: cannot open the server root %s: %s"
                        % (path, e.strerror)) from None
    try:
        _check_dir_stat(os.fstat(fd), path, uid)
    except BaseException:
        os.close(fd)
        raise
    return fd


def make_server_root(given, label):
    """The checked server root: `given` (``--server-root``) or a fresh private directory.

    `label` goes into the name of a fresh directory (e.g. ``127.0.0.1-8000``).
    """
    uid = os.geteuid()
    if not given:
        try:
            path = tempfile.mkdtemp(prefix="mod_wsgi_ext-%s-" % label)
        except OSError as e:
            raise UserError("mod_wsgi_ext: cannot make a server root in %s: %s; give "
                            "--server-root" % (tempfile.gettempdir(), e.strerror)) from None
        # Apache's children (www-data when started as root) need to reach the sockets and files
        # in it; nobody but us may write to it
        os.chmod(path, 0o755)
        return ServerRoot(path, _open_checked(path, uid), True)
    path = os.path.abspath(given)
    created = False
    try:
        os.mkdir(path, 0o755)
        created = True
    except FileExistsError:
        pass
    except FileNotFoundError:
        try:
            os.makedirs(os.path.dirname(path), 0o755, exist_ok=True)
            os.mkdir(path, 0o755)
            created = True
        except OSError as e:
            raise UserError("mod_wsgi_ext: cannot create the server root %s: %s"
                            % (path, e.strerror)) from None
    except OSError as e:
        raise UserError("mod_wsgi_ext: cannot create the server root %s: %s"
                        % (path, e.strerror)) from None
    _check_ancestors(path, uid)
    fd = _open_checked(path, uid)
    if created:
        os.fchmod(fd, 0o755)
    return ServerRoot(path, fd, False)
