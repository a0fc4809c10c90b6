"""Fault injection for functional tests: ``build(where)`` compiles wx_faults.c (an LD_PRELOAD
library, see its header for the switches) into ``where`` and returns its path."""
import os
import subprocess

HERE = os.path.dirname(os.path.abspath(__file__))


def build(where):
    os.makedirs(where, exist_ok=True)
    os.chmod(where, 0o755)
    target = os.path.join(where, "wx_faults.so")
    subprocess.run(["gcc", "-shared", "-fPIC", "-O1", "-o", target,
                    os.path.join(HERE, "wx_faults.c"), "-ldl"], check=True)
    os.chmod(target, 0o755)
    return target
