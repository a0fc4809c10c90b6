"""Generate the C directive table from mod_wsgi_ext/config/registry.py.

Produces two texts: ``wx_slots.h`` (the slot enums of the per-server and per-directory config
structs) and ``wx_directives.c`` (one ``wx_spec`` per directive and the ``command_rec`` table whose
entries all point at the generic handler ``wx_cmd_generic``).  Run by the build; also importable by
tests.
"""

import importlib.util
import os

HERE = os.path.dirname(os.path.abspath(__file__))


def load_registry():
    path = os.path.join(HERE, "..", "config", "registry.py")
    spec = importlib.util.spec_from_file_location("_wx_registry", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _c(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _override(reg, contexts):
    """Where Apache itself lets the directive through.  Server, virtual host and directory
    placement are let through broadly and checked by wx_cmd_generic against the spec (so the error
    says where the directive belongs); .htaccess stays Apache's AllowOverride business."""
    flags = ["RSRC_CONF", "ACCESS_CONF"]
    if reg.HTACCESS_FILEINFO in contexts:
        flags.append("OR_FILEINFO")
    if reg.HTACCESS_AUTHCONFIG in contexts:
        flags.append("OR_AUTHCFG")
    return "|".join(flags)


def _ctx_bits(reg, contexts):
    bits = []
    for ctx, bit in ((reg.SERVER, "WX_C_SERVER"), (reg.VHOST, "WX_C_VHOST"),
                     (reg.DIRECTORY, "WX_C_DIR")):
        if ctx in contexts:
            bits.append(bit)
    return "|".join(bits) or "0"


def slots_header(reg):
    out = ["/* generated from mod_wsgi_ext/config/registry.py: do not edit */", "enum {"]
    for d in reg.dir_slots():
        out.append("    WX_DS_%s," % d.slot.upper())
    out += ["    WX_DS_COUNT", "};", "enum {"]
    for d in reg.server_slots():
        out.append("    WX_SS_%s," % d.slot.upper())
    out += ["    WX_SS_COUNT", "};", ""]
    return "\n".join(out)


def directives_source(reg):
    out = ["/* generated from mod_wsgi_ext/config/registry.py: do not edit */"]
    specs, cmds = [], []
    for i, d in enumerate(reg.DIRECTIVES):
        opt_names = opt_kinds = opt_req = "NULL"
        if d.options:
            out.append("static const char *const wx_opt_names_%d[] = {%s, NULL};"
                       % (i, ", ".join(_c(n) for n, _ in d.options)))
            out.append("static const int wx_opt_kinds_%d[] = {%s};"
                       % (i, ", ".join("WX_K_" + k.upper() for _, k in d.options)))
            opt_names, opt_kinds = "wx_opt_names_%d" % i, "wx_opt_kinds_%d" % i
        if d.required_options:
            out.append("static const char *const wx_opt_req_%d[] = {%s, NULL};"
                       % (i, ", ".join(_c(n) for n in d.required_options)))
            opt_req = "wx_opt_req_%d" % i
        if d.slot:
            slot = ("WX_DS_" if d.scope == reg.SCOPE_DIR else "WX_SS_") + d.slot.upper()
        else:
            slot = "0"
        specs.append("    {%s, WX_K_%s, %d, %s, %s, %s, %s, %dL, %dL, %s, %s, %s},"
                     % (_c(d.name), d.kind.upper(), int(d.scope == reg.SCOPE_DIR), slot,
                        _ctx_bits(reg, d.contexts), _c(reg.context_words(d.contexts)),
                        _c("|".join(d.choices)) if d.choices else "NULL",
                        d.imin, d.imax, opt_names, opt_kinds, opt_req))
        cmds.append("    AP_INIT_RAW_ARGS(%s, wx_cmd_generic, (void *)&wx_specs[%d], %s, %s),"
                    % (_c(d.name), i, _override(reg, d.contexts), _c(d.syntax)))
    out.append("static const wx_spec wx_specs[] = {")
    out += specs
    out.append("};")
    out.append("const command_rec wx_commands[] = {")
    out += cmds
    out += ["    {NULL}", "};", ""]
    return "\n".join(out)


def write(outdir):
    reg = load_registry()
    os.makedirs(outdir, exist_ok=True)
    for name, text in (("wx_slots.h", slots_header(reg)),
                       ("wx_directives.c", directives_source(reg))):
        path = os.path.join(outdir, name)
        old = open(path).read() if os.path.exists(path) else None
        if old != text:
            with open(path, "w") as f:
                f.write(text)
    return outdir
