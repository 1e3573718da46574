"""Payloads for the tests that load files from users: what a crafted file would do if it were trusted."""

from __future__ import annotations


class CreatesFileWhenUnpickled:
    """Unpickling this runs ``open(path, "w")``: it stands for any code a crafted checkpoint could run."""

    def __init__(self, path) -> None:
        self.path = str(path)

    def __reduce__(self):
        return (open, (self.path, "w"))
