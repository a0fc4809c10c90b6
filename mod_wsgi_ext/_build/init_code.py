# cffi embedding init code: runs once, in the main interpreter of an Apache child, the first time C
# calls an extern "Python" function (wx_py_boot from child_init).  Keep it tiny: anything that
# fails here makes every extern "Python" function return 0, which C reads as "boot failed".
from mod_wsgi_ext._ext import ffi, lib
from mod_wsgi_ext.runtime import process


@ffi.def_extern(onerror=process.boot_error)
def wx_py_boot():
    return process.boot(ffi, lib)
