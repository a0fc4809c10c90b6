"""The single FFI() of mod_wsgi_ext: one shared object that is the Apache module and a Python
extension (cffi embedding mode).

setup.py names this file in ``cffi_modules``.  It asks ``apxs -q`` and ``apr-1-config`` for Apache's
and APR's flags, generates the directive table (gen_directives.py), reads the C under ``_csrc/`` and
the cffi declarations under ``_cdefs/``, links libpython explicitly with an rpath, and records which
Python built the module (WX_BUILD_PYTHON and friends) so the children start that Python.
"""

import os
import shlex
import shutil
import subprocess
import sys
import sysconfig

from cffi import FFI

HERE = os.path.dirname(os.path.abspath(__file__))
PKG = os.path.dirname(HERE)
CSRC = os.path.join(PKG, "_csrc")
CDEFS = os.path.join(PKG, "_cdefs")
sys.path.insert(0, HERE)
import gen_directives  # noqa: E402

VERSION = "0.1.0"


def _query(cmd):
    try:
        return subprocess.check_output(cmd, stderr=subprocess.DEVNULL).decode().strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


def apache_flags():
    apxs = os.environ.get("APXS") or shutil.which("apxs") or shutil.which("apxs2")
    if not apxs:
        raise SystemExit("mod_wsgi_ext: apxs not found; install Apache's development files "
                         "(Debian: apt-get install apache2-dev) or set APXS")
    incs = [_query([apxs, "-q", v]) for v in ("INCLUDEDIR", "APR_INCLUDEDIR", "APU_INCLUDEDIR")]
    cflags = shlex.split(_query([apxs, "-q", "EXTRA_CPPFLAGS"]))
    apr_config = _query([apxs, "-q", "APR_CONFIG"]) or shutil.which("apr-1-config") or ""
    if apr_config:
        incs.append(_query([apr_config, "--includedir"]))
        cflags += shlex.split(_query([apr_config, "--cppflags"]))
    return [i for i in dict.fromkeys(incs) if i], [f for f in cflags if f.startswith("-D")]


def python_facts():
    import os as _os
    ldversion = sysconfig.get_config_var("LDVERSION") or sysconfig.get_config_var("VERSION")
    libdir = sysconfig.get_config_var("LIBDIR")
    return {
        "WX_BUILD_PYTHON": sys.executable,
        "WX_BUILD_PREFIX": sys.prefix,
        "WX_STDLIB_FILE": _os.__file__,
        # the environment's site-packages (where cffi and this package are installed); not
        # _cffi_backend.__file__, which under pip's build isolation is a temporary directory
        "WX_SITE_PACKAGES": sysconfig.get_paths()["purelib"],
        "WX_VERSION": VERSION,
    }, ldversion, libdir


# What Debian builds its own Apache modules with (dpkg-buildflags): checked string and memory
# functions (__*_chk), a stack protector, and full RELRO (relocations read-only after loading, all
# symbols bound at load time).  -U first: Python's CFLAGS may already define it.
HARDENING_CFLAGS = ["-O2", "-U_FORTIFY_SOURCE", "-D_FORTIFY_SOURCE=2", "-fstack-protector-strong",
                    "-Wformat", "-Werror=format-security"]
HARDENING_LDFLAGS = ["-Wl,-z,relro", "-Wl,-z,now"]


def _read(path):
    with open(path) as f:
        return f.read()


def _digest(*dirs):
    """A digest of the C the source #includes: setuptools only compares the generated _ext.c and
    its object file, so without it an edit to an included .c/.h would not be rebuilt."""
    import hashlib
    h = hashlib.sha1()
    for top in dirs:
        for dirpath, _, filenames in sorted(os.walk(top)):
            for name in sorted(filenames):
                if name.endswith((".c", ".h")):
                    h.update(name.encode())
                    with open(os.path.join(dirpath, name), "rb") as f:
                        h.update(f.read())
    return h.hexdigest()


def make_ffi():
    includes, defines = apache_flags()
    facts, ldversion, libdir = python_facts()
    gen = gen_directives.write(os.path.join(CSRC, "generated"))
    ffi = FFI()
    # Python-callable C (lib.*) and the C->Python entry points, from the #-free headers.
    ffi.cdef(_read(os.path.join(CDEFS, "lib.h")))
    ffi.embedding_api(_read(os.path.join(CDEFS, "embedding.h")))
    source = "\n".join(
        ['#define %s "%s"' % (k, v.replace("\\", "\\\\").replace('"', '\\"'))
         for k, v in facts.items()]
        + ["/* included sources digest: %s */" % _digest(CSRC, CDEFS), '#include "wx.h"']
        + ['#include "%s"' % name for name in ("config.c", "interp.c", "environ.c", "scoreboard.c",
                                               "request.c", "authreq.c", "auth.c", "shutdown.c",
                                               "readable.c",
                                               "phase_request.c", "phase_table.c", "phases.c",
                                               "phase_auth.c", "dispatch.c", "daemon.c",
                                               "daemon_fwd.c", "module.c",
                                               "wx_directives.c")])
    ffi.set_source(
        "mod_wsgi_ext._ext", source,
        include_dirs=[CSRC, gen] + includes,
        define_macros=[tuple(d[2:].split("=", 1)) if "=" in d else (d[2:], None)
                       for d in defines],
        libraries=["python" + ldversion],
        library_dirs=[libdir] if libdir else [],
        extra_compile_args=["-Werror=implicit-function-declaration",
                            "-Werror=incompatible-pointer-types", "-Wno-unused-function"]
        + HARDENING_CFLAGS,
        extra_link_args=(["-Wl,-rpath," + libdir] if libdir else []) + HARDENING_LDFLAGS,
        py_limited_api=False,
        # the generated _ext.c only #includes these, so without them setuptools sees an unchanged
        # source and an up-to-date build/ and silently keeps the old module
        depends=sorted(os.path.join(d, f) for d in (CSRC, CDEFS, gen) for f in os.listdir(d)
                       if f.endswith((".c", ".h"))),
    )
    ffi.embedding_init_code(_read(os.path.join(HERE, "init_code.py")))
    return ffi


ffi = make_ffi()

if __name__ == "__main__":
    ffi.compile(tmpdir=os.environ.get("WX_BUILD_DIR", "build/cffi"), verbose=True)
