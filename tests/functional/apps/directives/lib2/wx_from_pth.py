"""Importable only because lib/wx_extra.pth names this directory."""
FOUND = True
