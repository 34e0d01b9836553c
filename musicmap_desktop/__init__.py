"""musicmap-desktop: an offline explorer that draws a music library as a clustered map."""

__version__ = "0.1.0"
APP_NAME = "musicmap-desktop"
