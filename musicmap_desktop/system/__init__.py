"""Where the app meets this machine (no Qt): the per-user folders (``paths``), logging
(``logs``), crash reports (``crash``), the desktop entry and icons (``desktop``) and
``--reset`` (``reset``)."""
