"""Import an attribution provider's install export (CSV or JSON lines) into the warehouse."""

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from warehouse.services import installs

PROGRESS_EVERY_ROWS = 100_000


class Command(BaseCommand):
    help = (
        "Import app installs from a CSV (with header) or JSON-lines file. Idempotent on "
        "install_id; "
        "bad rows are reported with their line number and skipped, and make the exit status "
        "non-zero."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="the export file")
        parser.add_argument(
            "--format",
            dest="file_format",
            choices=sorted(installs.FILE_READERS),
            default=None,
            help="file format (default: from the extension: .csv, or .jsonl/.ndjson/.json)",
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=installs.DEFAULT_BATCH_SIZE,
            help=f"rows per transaction (default {installs.DEFAULT_BATCH_SIZE})",
        )

    def handle(self, *args, path, file_format, batch_size, verbosity, **options):
        file_path = Path(path)
        file_format = file_format or self._format_from_extension(file_path)
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1")
        try:
            binary_file = file_path.open("rb")
        except OSError as exc:
            raise CommandError(f"cannot open {path}: {exc.strerror}") from exc

        started = time.monotonic()
        next_progress = PROGRESS_EVERY_ROWS

        def report_rejection(rejection):
            self.stderr.write(
                f"{file_path.name}: line {rejection.line_number}: rejected: {rejection.reason}"
            )

        def report_progress(summary):
            nonlocal next_progress
            if verbosity >= 1 and summary.read >= next_progress:
                rate = summary.read / max(time.monotonic() - started, 1e-9)
                self.stdout.write(f"… {summary} ({rate:,.0f} rows/s)")
                next_progress = (summary.read // PROGRESS_EVERY_ROWS + 1) * PROGRESS_EVERY_ROWS

        with binary_file:
            try:
                summary = installs.import_install_rows(
                    installs.FILE_READERS[file_format](binary_file),
                    batch_size=batch_size,
                    on_reject=report_rejection,
                    on_batch=report_progress,
                    parse_in_background=True,
                )
            except installs.InstallFileError as exc:
                raise CommandError(f"{file_path.name}: {exc}; nothing imported") from exc

        elapsed = time.monotonic() - started
        self.stdout.write(f"Imported {file_path.name}: {summary} in {elapsed:.1f}s")
        if summary.rejected:
            raise CommandError(f"{summary.rejected} row(s) rejected (reported above)")

    @staticmethod
    def _format_from_extension(file_path: Path) -> str:
        suffix = file_path.suffix.lower()
        if suffix == ".csv":
            return "csv"
        if suffix in (".jsonl", ".ndjson", ".json"):
            return "jsonl"
        raise CommandError(
            f"cannot tell the format of {file_path.name} from its extension; pass --format "
            f"csv|jsonl"
        )
