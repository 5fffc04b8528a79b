"""fact_user_first_install and its dimensions, loaded from attribution exports and callbacks.

One row format everywhere (files, callbacks, the demo generator): the keys in INSTALL_FIELDS.
Rows are validated in Python (`clean_install_row`), then loaded in batches: COPY into a
per-connection staging table, then set-based INSERT … ON CONFLICT into dim_client, dim_channel
and the fact table. The fact is keyed by install_id and never updated, so loading the same
rows again changes nothing.
"""

import csv
import datetime as dt
import io
import ipaddress
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import IO, Any

from django.db import connection, transaction
from django.utils import timezone

from warehouse import sql
from warehouse.models import DimChannel, DimClient, FactUserFirstInstall
from warehouse.services.calendar import ensure_dim_dates, reporting_time_zone

INSTALL_FIELDS = (
    "install_id", "user_id", "device_id", "installed_at",
    "os_name", "app_name", "app_version", "device_name",
    "channel_name", "channel_group", "channel_label",
    "country_code", "network_name", "campaign_name", "adgroup_name", "creative_name",
    "campaign_id", "adgroup_id", "creative_id", "ip_address",
)
REQUIRED_FIELDS = ("install_id", "user_id", "installed_at", "os_name", "channel_name")
# Plain text fields: everything but the timestamp and the IP address, which are parsed.
_TEXT_FIELDS = tuple(name for name in INSTALL_FIELDS if name not in ("installed_at", "ip_address"))
_MAX_LENGTHS = {
    **{f.name: f.max_length for f in FactUserFirstInstall._meta.concrete_fields if f.max_length},
    **{f.name: f.max_length for f in DimClient._meta.concrete_fields if f.max_length},
    **{f.name: f.max_length for f in DimChannel._meta.concrete_fields if f.max_length},
}
# Timestamps outside this window are typos, and would fill dim_date with centuries of days.
EARLIEST_INSTALL = dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc)
FUTURE_TOLERANCE = dt.timedelta(days=1)
DEFAULT_BATCH_SIZE = 5000


class InvalidInstallRow(ValueError):
    """A row that cannot be stored; `errors` maps each bad field to the reason."""

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__("; ".join(f"{name}: {reason}" for name, reason in errors.items()))


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    raise TypeError


def parse_installed_at(value: str) -> dt.datetime:
    """ISO 8601 (a naive value is UTC), or Unix seconds as attribution callbacks send them."""
    if value.replace(".", "", 1).isdigit() and len(value.split(".")[0]) >= 9:
        return dt.datetime.fromtimestamp(float(value), tz=dt.timezone.utc)
    if len(value) < 16:  # a date alone, or a truncated value: not a moment
        raise ValueError
    moment = dt.datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment


def clean_install_row(raw: Mapping[str, Any], *, now: dt.datetime | None = None) -> dict:
    """Validate one install row. Returns the cleaned row, or raises InvalidInstallRow.

    Unknown keys are ignored (attribution callbacks send many more); missing optional keys
    are empty strings. `installed_at` becomes an aware datetime, `ip_address` a normalised
    address or None, `country_code` upper case.
    """
    cleaned: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name in _TEXT_FIELDS:
        try:
            value = _text(raw.get(name))
        except TypeError:
            errors[name] = "must be a string"
            continue
        if len(value) > _MAX_LENGTHS[name]:
            errors[name] = f"must be at most {_MAX_LENGTHS[name]} characters"
        elif "\x00" in value:
            errors[name] = "must not contain NUL characters"
        cleaned[name] = value

    country_code = cleaned.get("country_code", "").upper()
    if country_code and not (len(country_code) == 2 and country_code.isascii() and country_code.isalpha()):
        errors["country_code"] = "must be a two-letter ISO 3166-1 code"
    cleaned["country_code"] = country_code

    try:
        installed_at_text = _text(raw.get("installed_at"))
    except TypeError:
        errors["installed_at"] = "must be a string"
        installed_at_text = None
    if installed_at_text:
        try:
            installed_at = parse_installed_at(installed_at_text)
        except (ValueError, OverflowError, OSError):
            errors["installed_at"] = (
                f"unparseable timestamp {installed_at_text[:40]!r}: expected ISO 8601 such as "
                "2025-03-01T12:34:56+00:00"
            )
        else:
            now = now or timezone.now()
            if not EARLIEST_INSTALL <= installed_at <= now + FUTURE_TOLERANCE:
                errors["installed_at"] = f"timestamp {installed_at_text[:40]!r} is out of range"
            cleaned["installed_at"] = installed_at

    try:
        ip_text = _text(raw.get("ip_address"))
    except TypeError:
        errors["ip_address"] = "must be a string"
        ip_text = ""
    cleaned["ip_address"] = None
    if ip_text:
        try:
            cleaned["ip_address"] = str(ipaddress.ip_address(ip_text))
        except ValueError:
            errors["ip_address"] = f"not an IPv4 or IPv6 address: {ip_text[:60]!r}"

    for name in REQUIRED_FIELDS:
        if name not in errors and not (cleaned.get(name) if name != "installed_at" else installed_at_text):
            errors[name] = "is required"
    if errors:
        raise InvalidInstallRow(dict(sorted(errors.items(), key=lambda item: INSTALL_FIELDS.index(item[0]))))
    return cleaned


# --- reading files -------------------------------------------------------------------------


@dataclass(frozen=True)
class SourceRow:
    """One record of an install file: its values, or why it could not be read."""

    line_number: int
    values: Mapping[str, Any] | None
    error: str = ""


def _decoded_lines(binary_file: IO[bytes], undecodable: set[int]) -> Iterator[str]:
    for line_number, raw in enumerate(binary_file, start=1):
        if line_number == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError:
            undecodable.add(line_number)
            yield raw.decode("utf-8", "replace")


class InstallFileError(ValueError):
    """The file as a whole cannot be imported (for example, a required column is missing)."""


def read_csv_rows(binary_file: IO[bytes]) -> Iterator[SourceRow]:
    """Stream the records of a CSV export with a header row (line numbers count the header)."""
    undecodable: set[int] = set()
    lines = _decoded_lines(binary_file, undecodable)
    reader = csv.reader(lines, strict=True)
    try:
        header = [name.strip() for name in next(reader)]
    except StopIteration:
        return
    missing = [name for name in REQUIRED_FIELDS if name not in header]
    if missing:
        raise InstallFileError(f"line 1: the header lacks the required column(s) {', '.join(missing)}")
    width = len(header)
    last_line = reader.line_num
    while True:
        first_line = last_line + 1
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            last_line = reader.line_num
            yield SourceRow(first_line, None, f"malformed CSV: {exc}")
            continue
        last_line = reader.line_num
        if not record:  # a blank line
            continue
        if undecodable and any(n in undecodable for n in range(first_line, last_line + 1)):
            yield SourceRow(first_line, None, "not valid UTF-8")
        elif len(record) != width:
            yield SourceRow(first_line, None, f"expected {width} columns, found {len(record)}")
        else:
            yield SourceRow(first_line, dict(zip(header, record)))


def read_jsonl_rows(binary_file: IO[bytes]) -> Iterator[SourceRow]:
    """Stream the records of a JSON-lines export: one JSON object per line."""
    undecodable: set[int] = set()
    for line_number, line in enumerate(_decoded_lines(binary_file, undecodable), start=1):
        if not line.strip():
            continue
        if line_number in undecodable:
            yield SourceRow(line_number, None, "not valid UTF-8")
            continue
        try:
            values = json.loads(line)
        except ValueError as exc:
            yield SourceRow(line_number, None, f"invalid JSON: {exc}")
            continue
        if not isinstance(values, dict):
            yield SourceRow(line_number, None, "expected a JSON object")
        else:
            yield SourceRow(line_number, values)


FILE_READERS: dict[str, Callable[[IO[bytes]], Iterator[SourceRow]]] = {
    "csv": read_csv_rows,
    "jsonl": read_jsonl_rows,
}


# --- loading -------------------------------------------------------------------------------


@dataclass
class Rejection:
    line_number: int
    reason: str


@dataclass
class ImportSummary:
    read: int = 0
    inserted: int = 0
    already_present: int = 0
    rejected: int = 0
    rejections: list[Rejection] = field(default_factory=list)

    def __str__(self):
        return (
            f"read {self.read}, inserted {self.inserted}, already present {self.already_present}, "
            f"rejected {self.rejected}"
        )


def _stage_line(line_number: int, row: dict, tz) -> tuple:
    installed_at = row["installed_at"]
    local_day = installed_at.astimezone(tz).date()
    return (
        line_number, row["install_id"], row["user_id"], row["device_id"],
        installed_at.isoformat(), local_day.year * 10000 + local_day.month * 100 + local_day.day,
        row["os_name"], row["app_name"], row["app_version"], row["device_name"],
        row["channel_name"], row["channel_group"], row["channel_label"],
        row["country_code"], row["network_name"], row["campaign_name"], row["adgroup_name"],
        row["creative_name"], row["campaign_id"], row["adgroup_id"], row["creative_id"],
        row["ip_address"] or "",
    )


def _load_batch(batch: list[tuple[int, dict]]) -> int:
    """Store a batch of cleaned rows in one transaction; returns how many installs were new."""
    tz = reporting_time_zone()
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    first_day = last_day = None
    for line_number, row in batch:
        line = _stage_line(line_number, row, tz)
        writer.writerow(line)
        day = line[5]
        if first_day is None or day < first_day:
            first_day = day
        if last_day is None or day > last_day:
            last_day = day
    buffer.seek(0)
    with transaction.atomic(), connection.cursor() as cursor:
        ensure_dim_dates(_sk_to_date(first_day), _sk_to_date(last_day))
        cursor.execute(sql.load("install_stage_create"))
        cursor.execute("truncate install_stage")
        cursor.copy_expert(sql.load("install_stage_copy"), buffer)
        cursor.execute(sql.load("install_stage_dim_client"))
        cursor.execute(sql.load("install_stage_dim_channel"))
        cursor.execute(sql.load("install_stage_facts"))
        return cursor.rowcount


def _sk_to_date(date_sk: int) -> dt.date:
    return dt.date(date_sk // 10000, date_sk // 100 % 100, date_sk % 100)


def upsert_install(cleaned: dict) -> bool:
    """Store one cleaned install (see clean_install_row). True if it was new, False if its
    install_id was already present (the stored row is then left unchanged)."""
    return _load_batch([(1, cleaned)]) == 1


def import_install_rows(
    rows: Iterable[SourceRow | Mapping[str, Any]],
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    on_reject: Callable[[Rejection], None] | None = None,
    on_batch: Callable[[ImportSummary], None] | None = None,
) -> ImportSummary:
    """Validate and store install rows in batches; bad rows are skipped and reported.

    `rows` are SourceRow records (from read_csv_rows / read_jsonl_rows) or plain mappings
    (numbered from 1). Each rejected row goes to `on_reject`, or, without it, to
    summary.rejections. `on_batch` sees the running summary after each stored batch. Each
    batch commits on its own, so memory stays bounded and an interrupted import can simply
    be run again.
    """
    summary = ImportSummary()
    now = timezone.now()
    batch: list[tuple[int, dict]] = []

    def reject(line_number: int, reason: str) -> None:
        summary.rejected += 1
        rejection = Rejection(line_number, reason)
        if on_reject is None:
            summary.rejections.append(rejection)
        else:
            on_reject(rejection)

    def flush() -> None:
        inserted = _load_batch(batch)
        summary.inserted += inserted
        summary.already_present += len(batch) - inserted
        batch.clear()
        if on_batch is not None:
            on_batch(summary)

    for ordinal, item in enumerate(rows, start=1):
        summary.read += 1
        if isinstance(item, SourceRow):
            line_number, values = item.line_number, item.values
            if values is None:
                reject(line_number, item.error)
                continue
        else:
            line_number, values = ordinal, item
        try:
            batch.append((line_number, clean_install_row(values, now=now)))
        except InvalidInstallRow as exc:
            reject(line_number, str(exc))
            continue
        if len(batch) >= batch_size:
            flush()
    if batch:
        flush()
    return summary
