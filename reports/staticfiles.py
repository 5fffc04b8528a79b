"""plotly.js as a static file, compressed and cached for good, served by WhiteNoise.

- `PlotlyFinder` finds the plotly.min.js of the installed `plotly` package as
  `vendor/plotly-<version>/plotly.min.js` (the version in the URL lets it be cached as
  immutable; nothing is copied into the repository).
- `IncrementalCompressedStaticFilesStorage`: collectstatic writes Brotli and gzip copies
  (WhiteNoise's compressor), recompressing only files changed since their copies were made.
- `WhiteNoiseMiddleware` serves the collected (compressed) copy of a file while it is as new as
  its source, and the source through the finders otherwise, so an edited file is never stale.
"""

import os
from pathlib import Path

import plotly
from django.contrib.staticfiles.finders import BaseFinder
from django.core.files.storage import FileSystemStorage
from whitenoise.middleware import WhiteNoiseMiddleware as BaseWhiteNoiseMiddleware
from whitenoise.storage import CompressedStaticFilesStorage

PLOTLY_DIR = Path(plotly.__file__).resolve().parent / "package_data"
PLOTLY_FILE = "plotly.min.js"
PLOTLY_PREFIX = f"vendor/plotly-{plotly.__version__}"
PLOTLY_STATIC_PATH = f"{PLOTLY_PREFIX}/{PLOTLY_FILE}"


class PlotlyFinder(BaseFinder):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.storage = FileSystemStorage(location=PLOTLY_DIR)
        self.storage.prefix = PLOTLY_PREFIX

    def check(self, **kwargs):
        return []

    def find(self, path, find_all=False, **kwargs):
        if path != PLOTLY_STATIC_PATH:
            return [] if find_all else None
        found = str(PLOTLY_DIR / PLOTLY_FILE)
        return [found] if find_all else found

    def list(self, ignore_patterns):
        yield PLOTLY_FILE, self.storage


class IncrementalCompressedStaticFilesStorage(CompressedStaticFilesStorage):
    def post_process(self, paths, dry_run=False, **options):
        changed = {path: value for path, value in paths.items() if not self._compressed(path)}
        yield from super().post_process(changed, dry_run=dry_run, **options)

    def _compressed(self, path: str) -> bool:
        source = self.path(path)
        copies = [source + ".gz", source + ".br"]
        existing = [copy for copy in copies if os.path.exists(copy)]
        return bool(existing) and all(
            os.path.getmtime(copy) >= os.path.getmtime(source) for copy in existing
        )


class WhiteNoiseMiddleware(BaseWhiteNoiseMiddleware):
    def add_files_from_finders(self):
        collected = dict(self.files)
        super().add_files_from_finders()
        for url, static_file in collected.items():
            found = self.files.get(url)
            if found is not static_file and self._is_current_copy(url):
                self.files[url] = static_file

    def _is_current_copy(self, url: str) -> bool:
        from django.contrib.staticfiles import finders

        relative = url[len(self.static_prefix) :]
        source = finders.find(relative)
        copy = os.path.join(self.static_root, relative)
        try:
            source_stat, copy_stat = os.stat(source), os.stat(copy)
        except (OSError, TypeError):
            return False
        return (
            source_stat.st_size == copy_stat.st_size and copy_stat.st_mtime >= source_stat.st_mtime
        )
