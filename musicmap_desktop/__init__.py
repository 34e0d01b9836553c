"""musicmap-desktop: an offline explorer that draws a music library as a clustered map."""

__version__ = "0.1.0"
APP_NAME = "musicmap-desktop"
# Qt's organisation name and domain: they decide where QSettings keep the window state
# (system.paths.settings_location computes it without Qt).
ORGANIZATION = "musicmap"
ORGANIZATION_DOMAIN = "musicmap.github.io"
