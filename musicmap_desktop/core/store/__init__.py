"""The SQLite cache: every SQL statement and every id format lives in this package.

One module per table, each the only code that reads or writes it:
``tracks`` (files, tags, status), ``libraries`` (scanned folders and unreadable
folders), ``windows`` (window features and mean auto-tags per fingerprint, backbone and
plan), ``vectors`` (track vectors per fingerprint and vector model), ``layouts`` (cached
maps). ``db`` opens the cache (WAL, migrations from ``migrations``, transactions, one
connection per thread), ``ids`` spells every key, ``paths`` how paths are stored and shown.
The rest of the app calls these functions and never speaks SQL (tests/test_architecture.py).
"""
