"""sqlite_lineage: the sqlite-lineage SQLite extension for Python's sqlite3.

    import sqlite3
    import sqlite_lineage

    con = sqlite3.connect("lineage.db")
    sqlite_lineage.load(con)
    con.execute("SELECT run_start('prep-1', 'preprocess')")

loadable_path() is the library's path, without its suffix, for any other
way to load it (apsw, sqlite-utils, the sqlite3 shell's .load). Importing
this module needs nothing built: only load() needs the library.
"""
import os

__all__ = ["loadable_path", "load"]

_HERE = os.path.dirname(os.path.abspath(__file__))
_SUFFIXES = (".so", ".dylib", ".dll")


def loadable_path():
    """The extension library in this package, without its suffix (SQLite adds it)."""
    return os.path.join(_HERE, "lineage")


def load(con):
    """Load sqlite-lineage into the sqlite3 connection con.

    Extension loading is turned on for the call only and off again after.
    """
    path = loadable_path()
    if not any(os.path.exists(path + s) for s in _SUFFIXES):
        raise FileNotFoundError(
            "sqlite_lineage: the extension library is not in this package (%s.so): "
            "install the package with pip, which builds it" % path)
    if not hasattr(con, "enable_load_extension"):
        raise RuntimeError(
            "sqlite_lineage: this Python's sqlite3 module cannot load extensions "
            "(built without it); use a Python that can, e.g. Debian's /usr/bin/python3")
    con.enable_load_extension(True)
    try:
        con.load_extension(path)
    finally:
        con.enable_load_extension(False)
