"""Embedded-mode runtime: process boot, interpreter set-up, script loading, request dispatch."""
