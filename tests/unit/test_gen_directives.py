"""The generated C command table covers the whole directive registry, entry by entry."""
import importlib.util
import os
import re

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def load_gen():
    path = os.path.join(ROOT, "mod_wsgi_ext", "_build", "gen_directives.py")
    spec = importlib.util.spec_from_file_location("_wx_gen_directives", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


GEN = load_gen()
REG = GEN.load_registry()
SOURCE = GEN.directives_source(REG)
SLOTS = GEN.slots_header(REG)
COMMANDS = re.findall(r'AP_INIT_RAW_ARGS\("([^"]+)", wx_cmd_generic, \(void \*\)&wx_specs\[(\d+)\], '
                      r'([A-Z_|]+), "((?:[^"\\]|\\.)*)"\)', SOURCE)
SPECS = re.findall(r'^    \{"([^"]+)", WX_K_([A-Z]+), (\d), (\w+), ([A-Z_|0]+), "([^"]*)"',
                   SOURCE, re.M)


def test_one_command_per_registry_entry_in_order():
    assert [c[0] for c in COMMANDS] == [d.name for d in REG.DIRECTIVES]
    assert [int(c[1]) for c in COMMANDS] == list(range(len(REG.DIRECTIVES)))
    assert len(set(d.name for d in REG.DIRECTIVES)) == len(REG.DIRECTIVES), "duplicate names"


def test_one_spec_per_entry_with_kind_scope_slot_and_contexts():
    assert len(SPECS) == len(REG.DIRECTIVES)
    for d, (name, kind, dir_scope, slot, ctx, where) in zip(REG.DIRECTIVES, SPECS):
        assert name == d.name
        assert kind == d.kind.upper()
        assert int(dir_scope) == (d.scope == REG.SCOPE_DIR)
        if d.slot:
            prefix = "WX_DS_" if d.scope == REG.SCOPE_DIR else "WX_SS_"
            assert slot == prefix + d.slot.upper()
            assert "    %s," % slot in SLOTS
        assert ("WX_C_SERVER" in ctx) == (REG.SERVER in d.contexts)
        assert ("WX_C_VHOST" in ctx) == (REG.VHOST in d.contexts)
        assert ("WX_C_DIR" in ctx) == (REG.DIRECTORY in d.contexts)
        assert where == REG.context_words(d.contexts)


def test_htaccess_overrides_follow_the_registry():
    for d, (_, _, flags, syntax) in zip(REG.DIRECTIVES, COMMANDS):
        assert ("OR_FILEINFO" in flags) == (REG.HTACCESS_FILEINFO in d.contexts), d.name
        assert ("OR_AUTHCFG" in flags) == (REG.HTACCESS_AUTHCONFIG in d.contexts), d.name
        assert syntax == d.syntax.replace("\\", "\\\\").replace('"', '\\"')


def test_options_and_required_options_are_tabled():
    for i, d in enumerate(REG.DIRECTIVES):
        if d.options:
            names = re.search(r"wx_opt_names_%d\[\] = \{(.*)\};" % i, SOURCE).group(1)
            assert names == ", ".join('"%s"' % n for n, _ in d.options) + ", NULL"
            kinds = re.search(r"wx_opt_kinds_%d\[\] = \{(.*)\};" % i, SOURCE).group(1)
            assert kinds == ", ".join("WX_K_" + k.upper() for _, k in d.options)
        if d.required_options:
            req = re.search(r"wx_opt_req_%d\[\] = \{(.*)\};" % i, SOURCE).group(1)
            assert req == ", ".join('"%s"' % n for n in d.required_options) + ", NULL"


def test_every_slot_directive_has_a_slot_enum():
    dir_slots = re.search(r"enum \{(.*?)WX_DS_COUNT", SLOTS, re.S).group(1)
    srv_slots = re.search(r"enum \{([^}]*?)WX_SS_COUNT", SLOTS.split("WX_DS_COUNT", 1)[1],
                          re.S).group(1)
    assert dir_slots.split() == ["WX_DS_%s," % d.slot.upper() for d in REG.dir_slots()]
    assert srv_slots.split() == ["WX_SS_%s," % d.slot.upper() for d in REG.server_slots()]
