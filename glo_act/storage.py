"""Static files for production: hashed names and gzip, compressed once at build time."""

from __future__ import annotations

from whitenoise.compress import Compressor
from whitenoise.storage import CompressedManifestStaticFilesStorage

__all__ = ["GzipManifestStaticFilesStorage"]


class GzipManifestStaticFilesStorage(CompressedManifestStaticFilesStorage):
    """whitenoise's manifest storage, compressing with gzip only.

    whitenoise adds a Brotli copy of every file whenever the `brotli` module is importable, and
    WeasyPrint's font tools bring it in. Brotli at its default quality is slow on the API
    documentation's large bundles, enough to make the image's build (and its test) slower by
    far; gzip alone is what the image served before.
    """

    def create_compressor(self, **kwargs) -> Compressor:
        return Compressor(use_brotli=False, **kwargs)
