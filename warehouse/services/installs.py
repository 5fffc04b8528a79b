"""fact_install and its dimensions, loaded from attribution exports and callbacks.

One row format everywhere (files, callbacks, the demo generator): the keys in INSTALL_FIELDS.
Rows are validated in Python (`clean_install_row`), then loaded in batches: COPY into a
per-connection staging table, then set-based INSERT … ON CONFLICT into dim_client, dim_channel
and the fact table. The fact is keyed by install_id and never updated, so loading the same
rows again changes nothing. The same statement keeps the channel reports' pre-aggregates
for the installs it inserts: fact_user_acquisition (each user's earliest install) and
fact_install_day (install counts per day, channel and OS). The callback's single install
takes a shorter path (`upsert_install`): one statement for dimensions, fact and marts.
"""

import contextlib
import csv
import datetime as dt
import functools
import io
import json
import multiprocessing
import operator
import pickle
import queue
import re
import socket
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import IO, Any, NamedTuple

from django.db import connection, transaction
from django.utils import timezone

from warehouse import sql_files
from warehouse.calendar import date_sk, day_of_date_sk, reporting_time_zone
from warehouse.install_format import INSTALL_FIELDS, REQUIRED_FIELDS  # noqa: F401  (re-exported)
from warehouse.models import DimChannel, DimClient, FactInstall
from warehouse.services import change_set
from warehouse.services.dim_date import dim_date_fill_params
from warehouse.services.marts import funnel_users_calls, refresh_marts

# Plain text fields: everything but the timestamp and the IP address, which are parsed.
_TEXT_FIELDS = tuple(name for name in INSTALL_FIELDS if name not in ("installed_at", "ip_address"))
_MAX_LENGTHS = {
    **{f.name: f.max_length for f in FactInstall._meta.concrete_fields if f.max_length},
    **{f.name: f.max_length for f in DimClient._meta.concrete_fields if f.max_length},
    **{f.name: f.max_length for f in DimChannel._meta.concrete_fields if f.max_length},
}
_TEXT_LIMITS = tuple((name, _MAX_LENGTHS[name]) for name in _TEXT_FIELDS)
_REQUIRED_TEXT_FIELDS = tuple(name for name in REQUIRED_FIELDS if name in _TEXT_FIELDS)
# For the common row (see _clean_plain_row): the text fields at once, in _TEXT_FIELDS order,
# the positions of the required ones and of the country code, and the shortest length limit
# but the country code's (any text no longer than it fits every field but that one).
_text_values = operator.itemgetter(*_TEXT_FIELDS)
_required_texts = operator.itemgetter(*(_TEXT_FIELDS.index(n) for n in _REQUIRED_TEXT_FIELDS))
_COUNTRY_CODE_POSITION = _TEXT_FIELDS.index("country_code")
_SHORTEST_TEXT_LIMIT = min(limit for name, limit in _TEXT_LIMITS if name != "country_code")
# Control characters (a newline in an id breaks admin links and log lines, NUL is refused
# by PostgreSQL) and lone surrogates (JSON "\ud800" decodes to one; not encodable as UTF-8).
_UNSTORABLE = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")
# Timestamps outside this window are typos, and would fill dim_date with centuries of days.
EARLIEST_INSTALL = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
FUTURE_TOLERANCE = dt.timedelta(days=1)
# Rows per transaction. The install marts' cells (day x channel x OS: tens of thousands) are
# upserted once per batch whatever its size, so small batches update the same cells over and
# over; big ones amortise that and the per-batch statements. Memory does not grow with it:
# a batch is copied to the server in chunks of COPY_CHUNK_SIZE rows as they are parsed.
DEFAULT_BATCH_SIZE = 100_000
COPY_CHUNK_SIZE = 5000
# Bytes per read of a chunk's COPY text (a chunk is about 1.2 MB): a few reads per chunk.
COPY_READ_SIZE = 1 << 20


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
    if value.isdigit() and len(value) >= 9:
        return dt.datetime.fromtimestamp(int(value), tz=dt.UTC)
    if len(value) < 16:  # a date alone, or a truncated value: not a moment
        raise ValueError
    moment = dt.datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment


def normalise_ip_address(value: str) -> str:
    """The canonical text of an IPv4 or IPv6 address; ValueError for anything else."""
    # inet_pton is strict (no CIDR suffix, no octal-looking octets) and much faster than
    # the ipaddress module, which matters at a million rows.
    family = socket.AF_INET6 if ":" in value else socket.AF_INET
    try:
        return socket.inet_ntop(family, socket.inet_pton(family, value))
    except OSError:
        raise ValueError(value) from None


def clean_install_row(raw: Mapping[str, Any], *, now: dt.datetime | None = None) -> dict:
    """Validate one install row. Returns the cleaned row, or raises InvalidInstallRow.

    Unknown keys are ignored (attribution callbacks send many more); missing optional keys
    are empty strings. `installed_at` becomes an aware datetime, `ip_address` a normalised
    address or None, `country_code` upper case.
    """
    now = now or timezone.now()
    plain = _clean_plain_row(raw, now)
    if plain is None:
        return _clean_any_row(raw, now)
    cleaned = dict(zip(_TEXT_FIELDS, plain.texts.split("\t"), strict=True))
    cleaned["installed_at"] = plain.installed_at
    cleaned["ip_address"] = plain.ip_address
    return cleaned


class _PlainRow(NamedTuple):
    """A cleaned row as the import stages it: its text fields in _TEXT_FIELDS order, joined
    by tabs. From _clean_plain_row they hold no control character (so no tab of their own)
    and are not escaped; from _plain_row they are escaped for COPY text already."""

    texts: str
    installed_at: dt.datetime
    ip_address: str | None
    escaped: bool = False


def _clean_plain_row(raw: Mapping[str, Any], now: dt.datetime) -> _PlainRow | None:
    """clean_install_row for the common row, in a few whole-row checks: every key present,
    every value a printable ASCII string without surrounding spaces, nothing wrong. None for
    any other row, which _clean_any_row then checks field by field (with the reasons). It
    accepts a subset of what _clean_any_row accepts and cleans it the same way, so which of
    the two ran never shows; a million rows spend most of their Python time here, hence
    whole-row checks in C (join, isascii, isprintable, substring tests) and no per-field
    loop in Python."""
    try:
        texts = _text_values(raw)
        flat = "".join(texts)  # TypeError unless every value is a string
        installed_at_text = raw["installed_at"].strip()
        ip_text = raw["ip_address"]
        ip_text = "" if ip_text is None else ip_text.strip()
    except (KeyError, AttributeError, TypeError):
        return None
    # ASCII and printable: no control character (tab included) and no lone surrogate; then
    # the only whitespace is the space, so a field needs no strip unless one starts or ends
    # its tab-joined text.
    if not (flat.isascii() and flat.isprintable()):
        return None
    joined = "\t".join(texts)
    if (
        " \t" in joined
        or "\t " in joined
        or joined.startswith(" ")
        or joined.endswith(" ")
        or max(map(len, texts)) > _SHORTEST_TEXT_LIMIT
        or not all(_required_texts(texts))
        or not installed_at_text
    ):
        return None
    country_code = texts[_COUNTRY_CODE_POSITION]
    if country_code:
        if not (len(country_code) == 2 and country_code.isascii() and country_code.isalpha()):
            return None
        if not country_code.isupper():
            texts = list(texts)
            texts[_COUNTRY_CODE_POSITION] = country_code.upper()
            joined = "\t".join(texts)
    try:
        installed_at = parse_installed_at(installed_at_text)
        ip_address = normalise_ip_address(ip_text) if ip_text else None
    except (ValueError, OverflowError, OSError):
        return None
    if not EARLIEST_INSTALL <= installed_at <= now + FUTURE_TOLERANCE:
        return None
    return _PlainRow(joined, installed_at, ip_address)


def _clean_any_row(raw: Mapping[str, Any], now: dt.datetime) -> dict:
    """clean_install_row field by field: any row, with every field's error."""
    cleaned: dict[str, Any] = {}
    errors: dict[str, str] = {}
    get = raw.get
    for name, max_length in _TEXT_LIMITS:
        value = get(name)
        if value.__class__ is str:
            value = value.strip()
        else:
            try:
                value = _text(value)
            except TypeError:
                errors[name] = "must be a string"
                continue
        if len(value) > max_length:
            errors[name] = f"must be at most {max_length} characters"
        cleaned[name] = value
    # One search over all the text for the rare bad row; then find the fields to name.
    if _UNSTORABLE.search("".join(cleaned.values())):
        for name, value in cleaned.items():
            if _UNSTORABLE.search(value):
                errors[name] = "must not contain control characters or lone surrogates"

    country_code = cleaned.get("country_code", "")
    if country_code:
        country_code = country_code.upper()
        if not (len(country_code) == 2 and country_code.isascii() and country_code.isalpha()):
            errors["country_code"] = "must be a two-letter ISO 3166-1 code"
        cleaned["country_code"] = country_code

    installed_at_value = get("installed_at")
    if isinstance(installed_at_value, dt.datetime):  # from Python callers, such as a generator
        installed_at_value = installed_at_value.isoformat()
    try:
        installed_at_text = _text(installed_at_value)
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
            if not EARLIEST_INSTALL <= installed_at <= now + FUTURE_TOLERANCE:
                errors["installed_at"] = f"timestamp {installed_at_text[:40]!r} is out of range"
            cleaned["installed_at"] = installed_at
    elif installed_at_text is not None:
        errors["installed_at"] = "is required"

    try:
        ip_text = _text(get("ip_address"))
    except TypeError:
        errors["ip_address"] = "must be a string"
        ip_text = ""
    cleaned["ip_address"] = None
    if ip_text:
        try:
            cleaned["ip_address"] = normalise_ip_address(ip_text)
        except ValueError:
            errors["ip_address"] = f"not an IPv4 or IPv6 address: {ip_text[:60]!r}"

    for name in _REQUIRED_TEXT_FIELDS:
        if not cleaned.get(name, True):
            errors[name] = "is required"
    if errors:
        raise InvalidInstallRow(
            dict(sorted(errors.items(), key=lambda item: INSTALL_FIELDS.index(item[0])))
        )
    return cleaned


# --- reading files -------------------------------------------------------------------------


class SourceRow(NamedTuple):
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


def _is_utf8(record: list[str]) -> bool:
    # Bytes that are not UTF-8 were decoded as lone surrogates, which cannot be re-encoded.
    try:
        for value in record:
            value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def read_csv_rows(binary_file: IO[bytes]) -> Iterator[SourceRow]:
    """Stream the records of a CSV export with a header row (line numbers count the header)."""
    text_file = io.TextIOWrapper(
        binary_file, encoding="utf-8-sig", errors="surrogateescape", newline=""
    )
    try:
        reader = csv.reader(text_file, strict=True)
        try:
            header = [name.strip() for name in next(reader)]
        except StopIteration:
            return
        missing = [name for name in REQUIRED_FIELDS if name not in header]
        if missing:
            raise InstallFileError(
                f"line 1: the header lacks the required column(s) {', '.join(missing)}"
            )
        width = len(header)
        last_line = reader.line_num
        while True:
            try:
                for record in reader:
                    first_line, last_line = last_line + 1, reader.line_num
                    if not record:  # a blank line
                        continue
                    if len(record) != width:
                        yield SourceRow(
                            first_line, None, f"expected {width} columns, found {len(record)}"
                        )
                    elif all(map(str.isascii, record)) or _is_utf8(record):
                        yield SourceRow(first_line, dict(zip(header, record, strict=True)))
                    else:
                        yield SourceRow(first_line, None, "not valid UTF-8")
                return
            except csv.Error as exc:
                first_line, last_line = last_line + 1, reader.line_num
                yield SourceRow(first_line, None, f"malformed CSV: {exc}")
    finally:
        text_file.detach()  # leave the caller's file open


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


@dataclass
class _PreparedBatch:
    """Validated rows of one batch as COPY text for install_stage, with the rows rejected on
    the way."""

    read: int = 0
    size: int = 0
    staged_lines: list[str] = field(default_factory=list)
    staged_text: str | None = None
    first_day: int | None = None
    last_day: int | None = None
    rejections: list[Rejection] = field(default_factory=list)

    def stage(self, line_number: int, row: _PlainRow, tz) -> None:
        """Add a cleaned row as one line of COPY text in install_stage_copy's column order.

        Cleaned text holds no control characters (tab, newline), so only backslashes need
        escaping; an empty field is '' and \\N is NULL (ip_address)."""
        installed_at = row.installed_at
        day = date_sk(installed_at.astimezone(tz))
        texts = row.texts
        if not row.escaped and "\\" in texts:
            texts = texts.replace("\\", "\\\\")
        self.staged_lines.append(
            f"{line_number}\t{texts}\t{installed_at.isoformat()}\t{day}\t"
            f"{row.ip_address or NULL_IN_COPY_TEXT}\n"
        )
        self.size += 1
        if self.first_day is None or day < self.first_day:
            self.first_day = day
        if self.last_day is None or day > self.last_day:
            self.last_day = day

    def seal(self) -> "_PreparedBatch":
        """Join the staged lines into one text (one object instead of one per row, while the
        chunk waits in the parser's queue)."""
        self.staged_text = "".join(self.staged_lines)
        self.staged_lines = []
        return self

    def copy_text(self) -> io.StringIO:
        return io.StringIO(
            self.staged_text if self.staged_text is not None else "".join(self.staged_lines)
        )


NULL_IN_COPY_TEXT = "\\N"


# COPY text's escapes; a cleaned value has none of these but the backslash, yet upsert_install
# also stores rows from Python callers as given (such as ids stored before validation).
_COPY_TEXT_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _plain_row(cleaned: dict) -> _PlainRow:
    texts = "\t".join(value.translate(_COPY_TEXT_ESCAPES) for value in _text_values(cleaned))
    return _PlainRow(texts, cleaned["installed_at"], cleaned["ip_address"], escaped=True)


def _prepare_batches(
    rows: Iterable[SourceRow | Mapping[str, Any]], batch_size: int, now: dt.datetime
) -> Iterator[_PreparedBatch]:
    tz = reporting_time_zone()
    batch = _PreparedBatch()
    for ordinal, item in enumerate(rows, start=1):
        batch.read += 1
        if item.__class__ is SourceRow:
            line_number, values = item.line_number, item.values
            if values is None:
                batch.rejections.append(Rejection(line_number, item.error))
                continue
        else:
            line_number, values = ordinal, item
        row = _clean_plain_row(values, now)
        if row is None:
            try:
                row = _plain_row(_clean_any_row(values, now))
            except InvalidInstallRow as exc:
                batch.rejections.append(Rejection(line_number, str(exc)))
                # Bounded memory even when a whole file is bad.
                if len(batch.rejections) >= batch_size:
                    yield batch.seal()
                    batch = _PreparedBatch()
                continue
        batch.stage(line_number, row, tz)
        if batch.size >= batch_size:
            yield batch.seal()
            batch = _PreparedBatch()
    if batch.read:
        yield batch.seal()


@functools.cache
def _statements(*names: str) -> str:
    """Statements sent as one query string: one round trip instead of several
    (a callback stores one install at a time, so its round trips are most of its time); the
    cursor then holds the last statement's result."""
    return ";\n".join(sql_files.load(name) for name in names)


def _start_stage(cursor) -> None:
    """Create (once per session) and empty install_stage, in the current transaction."""
    cursor.execute(_statements("install_stage_create", "install_stage_empty"))


def _copy_to_stage(cursor, chunk: _PreparedBatch) -> None:
    if chunk.size:
        # In reads of COPY_READ_SIZE, not psycopg2's default 8 kB: each read takes the GIL,
        # which a parser thread (_in_background, where the platform cannot fork) holds for up
        # to a switch interval (5 ms) each time; a 100,000-row batch is about 3,000 small reads.
        cursor.copy_expert(
            sql_files.load("install_stage_copy"), chunk.copy_text(), size=COPY_READ_SIZE
        )


def _store_stage(cursor, first_day: int, last_day: int, *, bulk: bool) -> int:
    """Store what install_stage holds (the calendar days first_day..last_day, the dimensions,
    the facts, the install marts and the channel funnel's users); returns how many installs
    were new. `bulk`: a big stage (an import batch), whose statements run with more work_mem
    and no JIT (install_load_settings)."""
    names = ("install_load_settings",) if bulk else ()
    names += (
        # dim_date_fill is ensure_dim_dates' statement, sent with the others
        "dim_date_fill",
        # dimension rows only for installs that will be inserted (not for replays)
        "install_stage_drop_known",
        "install_stage_dim_client",
        "install_stage_dim_channel",
        # also adds the inserted installs to the install marts
        "install_stage_facts",
    )
    cursor.execute(
        _statements(*names),
        {"first_day": day_of_date_sk(first_day), "last_day": day_of_date_sk(last_day)},
    )
    (inserted,) = cursor.fetchone()
    if inserted:
        # the channel funnel's users' delta (the staged rows left are the new installs)
        cursor.execute("select array_agg(distinct user_id) from install_stage")
        refresh_marts({change_set.INSTALL_USERS: cursor.fetchone()[0]})
    return inserted


def _load_batch(batch: _PreparedBatch) -> int:
    """Store a prepared batch in one transaction; returns how many installs were new."""
    if not batch.size:
        return 0
    with transaction.atomic(), connection.cursor() as cursor:
        _start_stage(cursor)
        _copy_to_stage(cursor, batch)
        return _store_stage(cursor, batch.first_day, batch.last_day, bulk=False)


class _Failure:
    def __init__(self, exception: BaseException):
        self.exception = exception


def _in_background(items: Iterator, depth: int = 2) -> Iterator:
    """Run an iterator in a thread, a few items ahead of the consumer.

    Parsing (Python) then overlaps with loading (PostgreSQL; psycopg2 releases the GIL while
    it waits), which nearly halves the time of a big import. Exceptions reach the consumer.
    """
    handoff: queue.Queue = queue.Queue(maxsize=depth)
    stopped = threading.Event()
    finished = object()

    def put(item) -> bool:
        while not stopped.is_set():
            try:
                handoff.put(item, timeout=0.2)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not put(item):
                    return
        except BaseException as exc:  # handed over to the consumer, which re-raises it
            put(_Failure(exc))
        put(finished)

    producer = threading.Thread(target=produce, name="install-import-parser", daemon=True)
    producer.start()
    try:
        while (item := handoff.get()) is not finished:
            if isinstance(item, _Failure):
                raise item.exception
            yield item
    finally:
        stopped.set()
        producer.join(timeout=5)


def _in_child_process(items: Iterator, depth: int = 2) -> Iterator:
    """Run an iterator in a forked child process, a few items ahead of the consumer.

    As _in_background, but the parser has a core and an interpreter of its own: in a thread
    it shared the GIL with the loader, whose COPY of each chunk then waited for the parser's
    switch intervals (about 2 of every 7 seconds of a big import went to that wait). Items
    and exceptions are pickled across; the child never touches the database (it inherits
    the connection's socket but leaves it alone: a forked child exits without closing it).
    Memory stays bounded: at most `depth` items wait in the pipe.
    """
    context = multiprocessing.get_context("fork")
    handoff = context.Queue(maxsize=depth)

    def produce() -> None:
        # Pickled here, not by the queue's feeder thread, whose pickling errors are only
        # printed: an item lost that way would be rows silently missing.
        try:
            for item in items:
                handoff.put(pickle.dumps(item))
        except BaseException as exc:  # handed over to the consumer, which re-raises it
            try:
                failure = pickle.dumps(_Failure(exc))
            except Exception:  # an exception that cannot be pickled: its text then
                failure = pickle.dumps(_Failure(InstallFileError(f"{type(exc).__name__}: {exc}")))
            handoff.put(failure)
        handoff.put(_FINISHED)

    producer = context.Process(target=produce, name="install-import-parser", daemon=True)
    producer.start()
    try:
        while True:
            try:
                item = handoff.get(timeout=1.0)
            except queue.Empty:
                if producer.is_alive():
                    continue
                raise InstallFileError(
                    f"the parser process ended without finishing (exit code {producer.exitcode})"
                ) from None
            if item == _FINISHED:
                break
            item = pickle.loads(item)
            if isinstance(item, _Failure):
                raise item.exception
            yield item
    finally:
        if producer.is_alive():
            producer.terminate()
        producer.join(timeout=5)
        handoff.close()


_FINISHED = b"install-import-parser: finished"  # never a pickle (those start with 0x80)
_CAN_FORK = "fork" in multiprocessing.get_all_start_methods()


def upsert_install(cleaned: dict) -> bool:
    """Store one cleaned install (see clean_install_row). True if it was new, False if its
    install_id was already present (the stored row is then left unchanged).

    One install per call (the attribution callback): one round trip of five statements, the
    day's dim_date row, install_upsert_one (dimensions, fact and install marts, prepared once
    per connection), the channel funnel's users' delta (its locks, then the move: a no-op for
    a replayed install) and install_upsert_counts (install_upsert_one's counts), which is
    also the transaction when no caller's is open, instead of the batch path's staging table
    and its statements, whose parsing and planning were most of a callback's cost. Values
    are bound as given (no COPY text)."""
    day = date_sk(cleaned["installed_at"].astimezone(reporting_time_zone()))
    params = {name: cleaned[name] for name in _TEXT_FIELDS}
    params["installed_at"] = cleaned["installed_at"]
    params["ip_address"] = cleaned["ip_address"]
    params["date_sk"] = day
    install_day = day_of_date_sk(day)
    connection.ensure_connection()
    # Outside a transaction (a request: the callback), the statements go as one string in
    # autocommit mode, which PostgreSQL runs as one implicit transaction and commits: one
    # round trip instead of three (BEGIN, the statements, COMMIT), and the funnel's delta
    # commits with the install. Inside a caller's transaction they join it.
    own_transaction = connection.get_autocommit() and not connection.in_atomic_block
    with transaction.atomic() if not own_transaction else contextlib.nullcontext():
        counts = sql_files.fetch_one(
            "install_upsert_counts",
            {},
            before=[
                ("dim_date_fill", dim_date_fill_params(install_day, install_day)),
                # every value bound at EXECUTE: one prepared statement per session
                # (sql_files.py)
                ("install_upsert_one", params, True),
                # each in its own statement, so its snapshot follows the locks (marts.py)
                *funnel_users_calls([params["user_id"]]),
            ],
            prepared=True,
        )
        if counts["new_installs"] == counts["inserted_installs"]:
            return counts["inserted_installs"] == 1
    # New at the statement's start but not inserted: a concurrent writer committed its
    # install_id, or its client or channel, meanwhile (see install_upsert_one.sql). The
    # batch path's statements each see what is committed when they start.
    batch = _PreparedBatch(read=1)
    batch.stage(1, _plain_row(cleaned), reporting_time_zone())
    return _load_batch(batch) == 1


def refresh_install_aggregates() -> None:
    """Recompute fact_user_acquisition and fact_install_day from all of fact_install.

    The write path keeps both current; this is for installs written around it (bulk loads
    such as the benchmark generator) and for repairs.
    """
    refresh_marts({change_set.INSTALLS: None})


def import_install_rows(
    rows: Iterable[SourceRow | Mapping[str, Any]],
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    on_reject: Callable[[Rejection], None] | None = None,
    on_batch: Callable[[ImportSummary], None] | None = None,
    parse_in_background: bool = False,
) -> ImportSummary:
    """Validate and store install rows in batches; bad rows are skipped and reported.

    `rows` are SourceRow records (from read_csv_rows / read_jsonl_rows) or plain mappings
    (numbered from 1). Each rejected row goes to `on_reject`, or, without it, to
    summary.rejections. `on_batch` sees the running summary after each stored batch. Each
    batch commits on its own, so memory stays bounded and an interrupted import can simply
    be run again. With `parse_in_background`, `rows` is consumed in a separate process (or
    thread; only for iterables that do not touch the database, such as the file readers).
    """
    summary = ImportSummary()
    chunks = _prepare_batches(rows, min(batch_size, COPY_CHUNK_SIZE), timezone.now())
    if parse_in_background:
        # a whole batch ahead: the parser keeps going while the batch before is stored; in a
        # child process where the platform can fork one, else in a thread
        ahead = _in_child_process if _CAN_FORK else _in_background
        chunks = ahead(chunks, depth=max(2, -(-batch_size // COPY_CHUNK_SIZE)))
    try:
        _store_in_batches(chunks, batch_size, summary, on_reject, on_batch)
    finally:
        if hasattr(chunks, "close"):
            chunks.close()  # stops the background parser on an error
    return summary


def _store_in_batches(chunks, batch_size, summary, on_reject, on_batch) -> None:
    exhausted = False
    while not exhausted:
        # One transaction per batch: its chunks are copied to install_stage as they are
        # parsed, then stored together (a chunk's memory goes before the next is parsed).
        staged = read = 0
        first_day = last_day = None
        with transaction.atomic(), connection.cursor() as cursor:
            _start_stage(cursor)
            while staged < batch_size:
                chunk = next(chunks, None)
                if chunk is None:
                    exhausted = True
                    break
                read += chunk.read
                summary.read += chunk.read
                summary.rejected += len(chunk.rejections)
                for rejection in chunk.rejections:
                    if on_reject is None:
                        summary.rejections.append(rejection)
                    else:
                        on_reject(rejection)
                if chunk.size:
                    _copy_to_stage(cursor, chunk)
                    staged += chunk.size
                    first_day = min(first_day or chunk.first_day, chunk.first_day)
                    last_day = max(last_day or chunk.last_day, chunk.last_day)
                del chunk
            inserted = _store_stage(cursor, first_day, last_day, bulk=True) if staged else 0
        if not read:
            break
        summary.inserted += inserted
        summary.already_present += staged - inserted
        if on_batch is not None:
            on_batch(summary)
