"""The static files storage: WhiteNoise's hashed, gzip- and brotli-compressed files, in every mode.

Django links the plain names while DEBUG is on, so `make run` (development, DEBUG on) would serve
what production never serves. Once `collectstatic` has written its manifest, pages link the hashed
names in every mode and WhiteNoise sends them with a far-future, immutable Cache-Control. A file
added since the last collectstatic is linked by its plain name while DEBUG is on (found through the
finders) instead of failing the page.
"""

from django.conf import settings
from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    def url(self, name, force=False):
        if not force and settings.DEBUG and self.hashed_files:
            try:
                return super().url(name, force=True)
            except ValueError:
                pass  # not collected yet
        return super().url(name, force=force)
