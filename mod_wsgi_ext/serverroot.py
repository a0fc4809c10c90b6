"""The server root `serve` and `setup-server` write: created or accepted safely, written safely.

The command usually runs as root, and what it writes (``httpd.conf``, ``apachectl``) is then run
as root. So nobody else may have a say in the directory or its files:

* Without ``--server-root`` a fresh directory is made with ``mkdtemp`` (a new, unpredictable name,
  created with ``O_EXCL`` semantics, owned by the caller), never a fixed name in ``/tmp`` that
  another user could make first, and only in a ``$TMPDIR`` nobody else can change.
* A given ``--server-root`` is used only if it is a real directory (not a symlink) owned by the
  caller and writable by nobody else, and no directory above it can be renamed by another user
  (each is owned by root or the caller, and not writable by others unless sticky, as ``/tmp``;
  a symlink on the way must be root's or the caller's, and where it leads is checked too).
  Missing directories are made one at a time, each checked before anything is made in it.
* Outside the server root, :func:`check_written_by_root` (log files Apache opens as root) and
  :func:`check_read_by_root` (``--include-file``) apply the same rule.
* Files are written through a descriptor of that directory opened with ``O_NOFOLLOW``: a new
  temporary file (``O_CREAT|O_EXCL|O_NOFOLLOW``), then renamed over the final name, which
  replaces a planted symlink instead of writing through it.

Every refusal is a :class:`UserError` with one line naming the path and what to do.
"""

import errno
import os
import re
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


def _changeable_by_others(st, uid, sticky_ok=True):
    """A directory (lstat `st`) whose entries someone other than root and `uid` may change."""
    if stat.S_ISLNK(st.st_mode):
        # a link cannot be changed, only replaced (its directory is checked on its own)
        return st.st_uid not in (0, uid)
    return st.st_uid not in (0, uid) or bool(
        st.st_mode & 0o022 and not (sticky_ok and st.st_mode & stat.S_ISVTX))


def _ancestor_problem(path, uid):
    """(directory, its lstat) of the first directory above `path` that lets another user rename
    or replace what is below it, or None. Checked along the path as written (a symlink on the
    way must be root's or the caller's) and along where it really leads."""
    parent = os.path.dirname(path)
    for start in dict.fromkeys([parent, os.path.realpath(parent)]):
        d = start
        while True:
            try:
                st = os.lstat(d)
            except FileNotFoundError:
                st = None
            if st is not None and _changeable_by_others(st, uid):
                return d, st
            if d == os.path.dirname(d):
                break
            d = os.path.dirname(d)
    return None


def _check_ancestors(path, uid, below=None):
    """No directory above `path` (or from `below` up) lets another user rename or replace what
    is below it."""
    bad = _ancestor_problem(os.path.join(below, "x") if below else path, uid)
    if bad:
        raise UserError("mod_wsgi_ext: refusing the server root %s: the directory %s above it "
                        "can be changed by another user (owner %s, mode %o); put the server "
                        "root somewhere only you and root control"
                        % (path, bad[0], _describe_owner(bad[1].st_uid),
                           stat.S_IMODE(bad[1].st_mode)))


def check_written_by_root(path, what):
    """A file Apache opens for writing as the one who starts it (a log): refused when another
    user could put something at that name first (a symlink to a file of yours) -- its directory
    and every one above it are yours or root's, and nobody else may create entries in its
    directory (a sticky /tmp protects what exists, not a name another user takes first)."""
    uid = os.geteuid()
    path = os.path.abspath(path)
    bad = _ancestor_problem(path, uid)
    directory = os.path.dirname(path)
    if not bad:
        try:
            st = os.stat(directory)
        except OSError as e:
            raise UserError("mod_wsgi_ext: %s %s: %s: %s" % (what, path, directory,
                                                            e.strerror)) from None
        if st.st_mode & 0o022:
            raise UserError("mod_wsgi_ext: refusing %s %s: other users may create files in %s "
                            "(mode %o), and Apache would write to what they put there; choose "
                            "a directory only you and root can write to"
                            % (what, path, directory, stat.S_IMODE(st.st_mode)))
        return path
    raise UserError("mod_wsgi_ext: refusing %s %s: the directory %s can be changed by another "
                    "user (owner %s, mode %o), and Apache would write to what they put there; "
                    "choose a directory only you and root control"
                    % (what, path, bad[0], _describe_owner(bad[1].st_uid),
                       stat.S_IMODE(bad[1].st_mode)))


def check_read_by_root(path, what):
    """A file Apache reads as configuration (``Include``): refused when another user may change
    it -- the file (and where its symlinks lead) is yours or root's and writable by nobody else,
    and so is every directory above it."""
    uid = os.geteuid()
    path = os.path.abspath(path)
    for p in dict.fromkeys([path, os.path.realpath(path)]):
        bad = _ancestor_problem(p, uid)
        if not bad:
            st = os.lstat(p)
            if _changeable_by_others(st, uid, sticky_ok=False):
                bad = (p, st)
        if bad:
            raise UserError("mod_wsgi_ext: refusing %s %s: %s can be changed by another user "
                            "(owner %s, mode %o), and Apache reads it as configuration when it "
                            "starts; make it yours (or root's) and writable only by you"
                            % (what, path, bad[0], _describe_owner(bad[1].st_uid),
                               stat.S_IMODE(bad[1].st_mode)))
    return path


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
            try:
                os.fchmod(fd, mode)
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view):]
            finally:
                os.close(fd)
            os.rename(tmp, name, src_dir_fd=self.fd, dst_dir_fd=self.fd)
        except BaseException:
            try:
                os.unlink(tmp, dir_fd=self.fd)
            except OSError:
                pass
            raise
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


def _make_dirs(path, uid):
    """Make `path` and the directories missing above it, one at a time: each is checked (a real
    directory, root's or ours, nobody else may change it) before anything is made inside it, so
    another user's symlink or directory on the way is refused before root makes anything there
    (``makedirs`` would follow it). True when `path` itself was made."""
    existing = path
    while not os.path.lexists(existing) and existing != os.path.dirname(existing):
        existing = os.path.dirname(existing)
    missing = os.path.relpath(path, existing).split(os.sep) if existing != path else []
    if missing:
        _check_ancestors(path, uid, below=existing)
    created = False
    for name in missing:
        target = os.path.join(existing, name)
        try:
            os.mkdir(target, 0o755)
            created = True
        except FileExistsError:
            created = False
        except OSError as e:
            raise UserError("mod_wsgi_ext: cannot create the server root %s: %s"
                            % (path, e.strerror)) from None
        if target != path:
            st = os.lstat(target)
            if not stat.S_ISDIR(st.st_mode) or _changeable_by_others(st, uid):
                # someone was quicker: their link or directory, and we make nothing below it
                _check_ancestors(path, uid, below=target)
                raise UserError("mod_wsgi_ext: refusing the server root %s: %s above it is not "
                                "a directory" % (path, target))
        existing = target
    return created


def _temporary_directory():
    """Where ``tempfile`` would make a directory, found without writing there (its own probe
    writes a file in the first candidate, which may be another user's)."""
    for name in ("TMPDIR", "TEMP", "TMP"):
        if os.environ.get(name) and os.path.isdir(os.environ[name]):
            return os.path.abspath(os.environ[name])
    for d in ("/tmp", "/var/tmp", "/usr/tmp"):
        if os.path.isdir(d):
            return d
    raise UserError("mod_wsgi_ext: no temporary directory (set TMPDIR); give --server-root")


def make_server_root(given, label):
    """The checked server root: `given` (``--server-root``) or a fresh private directory.

    `label` goes into the name of a fresh directory (e.g. ``127.0.0.1-8000``).
    """
    uid = os.geteuid()
    if not given:
        tmp = _temporary_directory()
        bad = _ancestor_problem(os.path.join(tmp, "x"), uid)
        if bad:
            # root's TMPDIR may be another user's (su without '-', sudo -E, libpam-tmpdir)
            raise UserError("mod_wsgi_ext: refusing to make the server root in %s (TMPDIR): the "
                            "directory %s can be changed by another user (owner %s, mode %o); "
                            "set TMPDIR to a directory of your own or give --server-root"
                            % (tmp, bad[0], _describe_owner(bad[1].st_uid),
                               stat.S_IMODE(bad[1].st_mode)))
        try:
            path = tempfile.mkdtemp(prefix="mod_wsgi_ext-%s-" % re.sub(r"[^\w.:-]", "_", label),
                                    dir=tmp)
        except OSError as e:
            raise UserError("mod_wsgi_ext: cannot make a server root in %s: %s; give "
                            "--server-root" % (tmp, e.strerror)) from None
        # Apache's children (www-data when started as root) need to reach the sockets and files
        # in it; nobody but us may write to it
        os.chmod(path, 0o755)
        return ServerRoot(path, _open_checked(path, uid), True)
    path = os.path.abspath(given)
    created = _make_dirs(path, uid)
    _check_ancestors(path, uid)
    fd = _open_checked(path, uid)
    if created:
        os.fchmod(fd, 0o755)
    return ServerRoot(path, fd, False)
