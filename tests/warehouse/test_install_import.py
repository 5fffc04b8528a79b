"""`import_installs`: CSV and JSON-lines files into fact_install and its dimensions."""

import csv
import datetime as dt
import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command, execute_from_command_line
from django.core.management.base import CommandError

from tests.factories import utc
from warehouse.models import DimChannel, DimClient, DimDate, FactInstall
from warehouse.services import installs

pytestmark = pytest.mark.django_db

SAMPLE_CSV = Path(__file__).resolve().parents[2] / "docs" / "sample_installs.csv"
HEADER = [
    "install_id",
    "user_id",
    "device_id",
    "installed_at",
    "os_name",
    "app_name",
    "app_version",
    "device_name",
    "channel_name",
    "channel_group",
    "channel_label",
    "country_code",
    "network_name",
    "campaign_name",
    "adgroup_name",
    "creative_name",
    "campaign_id",
    "adgroup_id",
    "creative_id",
    "ip_address",
]


def install_row(install_id, **overrides):
    row = dict.fromkeys(HEADER, "")
    row.update(
        install_id=install_id,
        user_id="user-1",
        installed_at="2025-03-01T12:00:00+00:00",
        os_name="Android",
        app_name="fitapp",
        app_version="1.0",
        device_name="Pixel 8",
        channel_name="organic",
        channel_group="organic",
        channel_label="Organic",
        country_code="DE",
        ip_address="203.0.113.1",
    )
    row.update(overrides)
    return row


def write_csv(path, rows, header=HEADER):
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for row in rows:
            writer.writerow([row[name] for name in header] if isinstance(row, dict) else row)
    return path


def run_import(path, *args):
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("import_installs", str(path), *args, stdout=out, stderr=err)
    except CommandError as exc:
        return out.getvalue(), err.getvalue(), exc
    return out.getvalue(), err.getvalue(), None


def stored_installs():
    return {
        install.install_id: (
            install.user_id,
            install.device_id,
            install.installed_at,
            install.date_id,
            install.client.os_name,
            install.client.app_name,
            install.client.app_version,
            install.client.device_name,
            install.channel.channel_name,
            install.channel.channel_group,
            install.channel.channel_label,
            install.country_code,
            install.network_name,
            install.campaign_name,
            install.adgroup_name,
            install.creative_name,
            install.campaign_id,
            install.adgroup_id,
            install.creative_id,
            install.ip_address,
        )
        for install in FactInstall.objects.select_related("client", "channel")
    }


def test_sample_csv_imports_every_row_with_its_dimensions():
    with SAMPLE_CSV.open(newline="") as handle:
        source = list(csv.DictReader(handle))

    out, err, error = run_import(SAMPLE_CSV)

    assert error is None, err
    assert f"read {len(source)}, inserted {len(source)}, already present 0, rejected 0" in out
    stored = stored_installs()
    assert set(stored) == {row["install_id"] for row in source}
    expected_clients = {
        (r["os_name"], r["app_name"], r["app_version"], r["device_name"]) for r in source
    }
    assert (
        set(DimClient.objects.values_list("os_name", "app_name", "app_version", "device_name"))
        == expected_clients
    )
    expected_channels = {
        (r["channel_name"], r["channel_group"], r["channel_label"]) for r in source
    }
    assert (
        set(DimChannel.objects.values_list("channel_name", "channel_group", "channel_label"))
        == expected_channels
    )
    # Spot checks written out by hand from the file.
    paid_search = stored["ins_0002"]
    assert paid_search[2] == utc(2025, 3, 1, 8, 41, 37)  # 09:41:37+01:00
    assert paid_search[3] == 20250301
    assert paid_search[8:11] == ("paid_search", "paid", "Paid search")
    assert paid_search[12:19] == (
        "Google Ads",
        "spring_sale",
        "running",
        "banner_a",
        "cmp-881",
        "adg-12",
        "cr-3",
    )
    assert stored["ins_0003"][19] == "2001:db8::17"
    naive_web = stored["ins_0005"]
    assert naive_web[2] == utc(2025, 3, 2, 12, 0)  # a naive timestamp is UTC
    assert naive_web[1] == "" and naive_web[19] is None  # optional fields left empty
    assert stored["ins_0006"][2] == utc(2025, 3, 2, 23, 30)
    assert DimDate.objects.filter(date_sk__in=[20250301, 20250302]).count() == 2


def test_reimporting_the_same_file_changes_nothing():
    run_import(SAMPLE_CSV)
    before = (
        stored_installs(),
        list(DimClient.objects.values_list()),
        list(DimChannel.objects.values_list()),
    )

    out, err, error = run_import(SAMPLE_CSV)

    assert error is None, err
    assert "read 6, inserted 0, already present 6, rejected 0" in out
    after = (
        stored_installs(),
        list(DimClient.objects.values_list()),
        list(DimChannel.objects.values_list()),
    )
    assert after == before


def test_jsonl_import_accepts_numbers_nulls_and_missing_optional_keys(tmp_path):
    lines = [
        {
            "install_id": "j-1",
            "user_id": "u-1",
            "installed_at": "2025-04-01T10:00:00Z",
            "os_name": "iOS",
            "channel_name": "paid_social",
            "campaign_id": 881,
            "ip_address": None,
            "country_code": "fr",
        },
        {
            "install_id": "j-2",
            "user_id": "u-2",
            "installed_at": "2025-04-02T10:00:00+02:00",
            "os_name": "web",
            "channel_name": "referral",
            "channel_group": "owned",
            "extra_key_from_provider": "ignored",
        },
    ]
    path = tmp_path / "installs.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n\n")

    out, err, error = run_import(path)

    assert error is None, err
    assert "read 2, inserted 2, already present 0, rejected 0" in out
    first = FactInstall.objects.select_related("client", "channel").get(install_id="j-1")
    assert (first.campaign_id, first.ip_address, first.country_code) == ("881", None, "FR")
    assert (first.client.os_name, first.client.app_name, first.channel.channel_name) == (
        "iOS",
        "",
        "paid_social",
    )
    second = FactInstall.objects.get(install_id="j-2")
    assert second.installed_at == utc(2025, 4, 2, 8, 0)
    assert second.channel.channel_group == "owned"


def test_format_option_overrides_the_extension(tmp_path):
    path = write_csv(tmp_path / "export.txt", [install_row("x-1")])
    _, _, error = run_import(path)
    assert error is not None and "--format" in str(error)
    out, err, error = run_import(path, "--format", "csv")
    assert error is None, err
    assert FactInstall.objects.filter(install_id="x-1").exists()


def test_each_kind_of_bad_csv_row_is_reported_with_its_line_and_skipped(tmp_path):
    rows = [
        install_row("good-1"),  # line 2
        install_row("bad-ts", installed_at="01/03/2025 12:00"),  # line 3
        install_row("bad-ip", ip_address="300.1.2.3"),  # line 4
        install_row(""),  # line 5
        install_row("no-user", user_id=""),  # line 6
        install_row("no-os", os_name="  "),  # line 7
        install_row("no-channel", channel_name=""),  # line 8
        install_row("no-time", installed_at=""),  # line 9
        ["short-row", "user-9"],  # line 10
        install_row("bad-country", country_code="Germany"),  # line 11
        install_row("good-2", installed_at="2025-03-01 13:00:00"),  # line 12
    ]
    path = write_csv(tmp_path / "installs.csv", rows)

    out, err, error = run_import(path)

    assert isinstance(error, CommandError) and error.returncode == 1
    assert "read 11, inserted 2, already present 0, rejected 9" in out
    expected = {
        3: "installed_at: unparseable timestamp",
        4: "ip_address: not an IPv4 or IPv6 address",
        5: "install_id: is required",
        6: "user_id: is required",
        7: "os_name: is required",
        8: "channel_name: is required",
        9: "installed_at: is required",
        10: "expected 20 columns, found 2",
        11: "country_code: must be a two-letter",
    }
    reported = [line for line in err.splitlines() if "rejected:" in line]
    assert len(reported) == len(expected)
    for line_number, reason in expected.items():
        assert any(
            f"line {line_number}: rejected: " in line and reason in line for line in reported
        ), line_number
    assert set(FactInstall.objects.values_list("install_id", flat=True)) == {
        "good-1",
        "good-2",
    }


def test_bad_jsonl_lines_are_reported_with_their_line_numbers(tmp_path):
    path = tmp_path / "installs.jsonl"
    good = install_row("good-1")
    path.write_text(
        json.dumps(good)
        + "\n"  # line 1
        + '{"install_id": "broken",\n'  # line 2
        + "\n"  # line 3 (blank: ignored)
        + json.dumps(["not", "an", "object"])
        + "\n"  # line 4
        + json.dumps(install_row("bad-ts", installed_at="yesterday"))
        + "\n"  # line 5
        + json.dumps(install_row("bad-ip", ip_address="10.0.0"))
        + "\n"  # line 6
    )

    out, err, error = run_import(path)

    assert error is not None and error.returncode == 1
    assert "read 5, inserted 1, already present 0, rejected 4" in out
    assert "line 2: rejected: invalid JSON" in err
    assert "line 4: rejected: expected a JSON object" in err
    assert "line 5: rejected: installed_at: unparseable timestamp" in err
    assert "line 6: rejected: ip_address: not an IPv4 or IPv6 address" in err
    assert list(FactInstall.objects.values_list("install_id", flat=True)) == ["good-1"]


def test_undecodable_bytes_reject_only_their_row(tmp_path):
    path = write_csv(tmp_path / "installs.csv", [install_row("good-1"), install_row("latin-1")])
    path.write_bytes(path.read_bytes().replace(b"latin-1,user-1", b"latin-1,user-\xe9"))

    out, err, error = run_import(path)

    assert error is not None
    assert "line 3: rejected: not valid UTF-8" in err
    assert list(FactInstall.objects.values_list("install_id", flat=True)) == ["good-1"]


def test_process_exit_status_is_non_zero_when_a_row_is_rejected(tmp_path, capsys):
    path = write_csv(
        tmp_path / "installs.csv", [install_row("good-1"), install_row("bad", ip_address="x")]
    )
    with pytest.raises(SystemExit) as exited:
        execute_from_command_line(["manage.py", "import_installs", str(path)])
    assert exited.value.code == 1
    assert "line 3: rejected: ip_address" in capsys.readouterr().err


def test_missing_required_column_stops_before_storing_anything(tmp_path):
    header = [name for name in HEADER if name != "channel_name"]
    path = write_csv(tmp_path / "installs.csv", [install_row("good-1")], header=header)

    _, _, error = run_import(path)

    assert error is not None and "channel_name" in str(error) and "nothing imported" in str(error)
    assert not FactInstall.objects.exists()


def test_batches_and_duplicates_within_a_file_are_counted_once(tmp_path):
    ids = ["a", "a", "b", "c", "b", "d", "a", "e"]
    rows = [install_row(i, user_id=f"user-{i}-{position}") for position, i in enumerate(ids)]
    path = write_csv(tmp_path / "installs.csv", rows)

    out, err, error = run_import(path, "--batch-size", "2")

    assert error is None, err
    unique = len(set(ids))
    assert (
        f"read {len(ids)}, inserted {unique}, already present {len(ids) - unique}, rejected 0"
        in out
    )
    assert FactInstall.objects.count() == unique
    # The first occurrence wins, whether the repeat is in the same batch or a later one.
    assert FactInstall.objects.get(install_id="a").user_id == "user-a-0"
    assert FactInstall.objects.get(install_id="b").user_id == "user-b-2"


def test_channel_keeps_group_and_label_of_its_first_row(tmp_path):
    rows = [
        install_row("1", channel_name="tiktok", channel_group="paid", channel_label="TikTok"),
        install_row("2", channel_name="tiktok", channel_group="other", channel_label="Tik Tok"),
    ]
    run_import(write_csv(tmp_path / "first.csv", rows))
    run_import(
        write_csv(
            tmp_path / "second.csv", [install_row("3", channel_name="tiktok", channel_label="X")]
        )
    )
    channel = DimChannel.objects.get(channel_name="tiktok")
    assert (channel.channel_group, channel.channel_label) == ("paid", "TikTok")
    assert channel.installs.count() == 3


@pytest.mark.parametrize(
    ("time_zone", "installed_at", "expected_date_sk"),
    [
        ("UTC", "2025-03-01T23:59:59+00:00", 20250301),
        ("Europe/Berlin", "2025-03-01T23:30:00+00:00", 20250302),  # 00:30 on the 2nd in Berlin
        ("Europe/Berlin", "2025-03-01T22:59:59+00:00", 20250301),  # 23:59:59 on the 1st
        ("America/New_York", "2025-03-02T03:30:00+00:00", 20250301),  # 22:30 on the 1st in New York
        ("America/New_York", "2025-03-01T23:30:00-05:00", 20250301),  # its own offset, the same day
        ("Asia/Tokyo", "2024-12-31T15:00:00+00:00", 20250101),  # midnight on New Year in Tokyo
    ],
)
def test_date_sk_is_the_day_in_the_reporting_time_zone(
    settings, tmp_path, time_zone, installed_at, expected_date_sk
):
    settings.TIME_ZONE = time_zone
    path = write_csv(tmp_path / "installs.csv", [install_row("tz-1", installed_at=installed_at)])

    _, err, error = run_import(path)

    assert error is None, err
    install = FactInstall.objects.select_related("date").get(install_id="tz-1")
    assert install.date_id == expected_date_sk
    assert install.date.date == dt.date(
        expected_date_sk // 10000, expected_date_sk // 100 % 100, expected_date_sk % 100
    )


def test_import_install_rows_accepts_plain_mappings_and_collects_rejections():
    summary = installs.import_install_rows(
        [install_row("m-1"), install_row("m-2", installed_at="nope"), install_row("m-1")]
    )
    assert (summary.read, summary.inserted, summary.already_present, summary.rejected) == (
        3,
        1,
        1,
        1,
    )
    assert [(r.line_number, r.reason.split(":")[0]) for r in summary.rejections] == [
        (2, "installed_at")
    ]


def test_upsert_install_reports_whether_the_install_was_new():
    cleaned = installs.clean_install_row(install_row("u-1"))
    assert installs.upsert_install(cleaned) is True
    assert installs.upsert_install({**cleaned, "user_id": "someone-else"}) is False
    assert FactInstall.objects.get(install_id="u-1").user_id == "user-1"


class TestCleanInstallRow:
    def test_collects_every_field_error(self):
        with pytest.raises(installs.InvalidInstallRow) as invalid:
            installs.clean_install_row(
                {"install_id": "", "installed_at": "2025-13-01T00:00:00", "ip_address": "::g"}
            )
        assert set(invalid.value.errors) == {
            "install_id",
            "user_id",
            "installed_at",
            "os_name",
            "channel_name",
            "ip_address",
        }
        assert invalid.value.errors["install_id"] == "is required"

    def test_unix_seconds_and_naive_timestamps_are_utc(self):
        assert installs.clean_install_row(install_row("1", installed_at="1740832496"))[
            "installed_at"
        ] == utc(2025, 3, 1, 12, 34, 56)
        assert installs.clean_install_row(install_row("1", installed_at="2025-03-01T12:34:56"))[
            "installed_at"
        ] == utc(2025, 3, 1, 12, 34, 56)

    @pytest.mark.parametrize(
        "value",
        ["2025-03-01", "20250301", "1999-12-31T23:59:59+00:00", "2999-01-01T00:00:00+00:00"],
    )
    def test_rejects_dates_without_time_and_implausible_years(self, value):
        with pytest.raises(installs.InvalidInstallRow) as invalid:
            installs.clean_install_row(install_row("1", installed_at=value))
        assert set(invalid.value.errors) == {"installed_at"}

    def test_rejects_overlong_values_nul_characters_and_structures(self):
        with pytest.raises(installs.InvalidInstallRow) as invalid:
            installs.clean_install_row(
                install_row("1", user_id="u" * 256, device_id="a\x00b", campaign_name={"a": 1})
            )
        assert set(invalid.value.errors) == {"user_id", "device_id", "campaign_name"}

    def test_accepts_datetime_objects_from_python_callers(self):
        aware = dt.datetime(2025, 3, 1, 13, 0, tzinfo=dt.timezone(dt.timedelta(hours=1)))
        assert installs.clean_install_row(install_row("1", installed_at=aware))[
            "installed_at"
        ] == utc(2025, 3, 1, 12, 0)
        naive = dt.datetime(2025, 3, 1, 12, 0)
        assert installs.clean_install_row(install_row("1", installed_at=naive))[
            "installed_at"
        ] == utc(2025, 3, 1, 12, 0)

    def test_normalises_ip_addresses(self):
        assert (
            installs.clean_install_row(install_row("1", ip_address="2001:DB8:0:0::1"))["ip_address"]
            == "2001:db8::1"
        )


# Rows whose cleaning is not a plain copy: each must be stored as field-by-field cleaning says.
AWKWARD_VALUES = [
    {"campaign_name": "back\\slash \\N", "adgroup_name": "\\", "creative_name": "\\."},
    {"campaign_name": "  padded  ", "user_id": " user-7", "channel_name": "organic "},
    {"country_code": "de", "network_name": "Ünïcödé — ads", "device_name": "Pixel\u00a08"},
    {"campaign_name": "tab\tinside", "ip_address": ""},
    {"app_version": "v" * 64, "campaign_id": "c" * 255},
    {"installed_at": " 1740832496 ", "ip_address": " 2001:DB8::1 "},
]


@pytest.mark.parametrize("overrides", AWKWARD_VALUES)
def test_awkward_values_are_stored_as_cleaned(tmp_path, overrides):
    row = install_row("awkward-1", **overrides)
    expected = {}
    for name in HEADER:  # the cleaning rules, independently: strip; country upper case
        value = row[name].strip()
        expected[name] = value.upper() if name == "country_code" else value
    path = write_csv(tmp_path / "awkward.csv", [row])

    out, err, error = run_import(path)

    if "\t" in row["campaign_name"]:  # a control character: rejected with its field
        assert error is not None and "line 2: rejected: campaign_name" in err
        assert not FactInstall.objects.exists()
        return
    assert error is None, err
    ((install_id, stored),) = stored_installs().items()
    # stored_installs' columns: every field but install_id (the key), date_sk after installed_at
    columns = [name for name in HEADER if name != "install_id"]
    columns.insert(columns.index("installed_at") + 1, "date_sk")
    stored = dict(zip(columns, stored, strict=True))
    text_fields = [
        name for name in columns if name not in ("installed_at", "date_sk", "ip_address")
    ]
    assert install_id == expected["install_id"]
    assert {name: stored[name] for name in text_fields} == {
        name: expected[name] for name in text_fields
    }
    if overrides.get("installed_at"):
        assert stored["installed_at"] == utc(2025, 3, 1, 12, 34, 56)
        assert stored["ip_address"] == "2001:db8::1"


def test_plain_and_field_by_field_cleaning_agree(tmp_path):
    """The whole-row fast path gives what the field-by-field path gives, on generated rows
    and on awkward ones (where it may decline, never differ)."""
    now = dt.datetime.now(dt.UTC)
    rows = [install_row(f"p-{n}", user_id=f"user-{n}", campaign_name=f"c{n}") for n in range(50)]
    rows += [install_row("awkward", **overrides) for overrides in AWKWARD_VALUES]
    taken = 0
    for row in rows:
        plain = installs._clean_plain_row(row, now)
        try:
            full = installs._clean_any_row(row, now)
        except installs.InvalidInstallRow:
            assert plain is None
            continue
        if plain is not None:
            taken += 1
            assert plain.texts.split("\t") == [full[name] for name in installs._TEXT_FIELDS]
            assert (plain.installed_at, plain.ip_address) == (
                full["installed_at"],
                full["ip_address"],
            )
        assert installs.clean_install_row(row, now=now) == full
    assert taken >= 50


def test_progress_is_printed_while_importing(tmp_path, monkeypatch):
    from warehouse.management.commands import import_installs as command_module

    monkeypatch.setattr(command_module, "PROGRESS_EVERY_ROWS", 2)
    path = write_csv(tmp_path / "installs.csv", [install_row(f"p-{n}") for n in range(5)])

    out, err, error = run_import(path, "--batch-size", "2")

    assert error is None, err
    progress = [line for line in out.splitlines() if line.startswith("…")]
    assert [line.split(" (")[0] for line in progress] == [
        "… read 2, inserted 2, already present 0, rejected 0",
        "… read 4, inserted 4, already present 0, rejected 0",
    ]
    assert out.splitlines()[-1].startswith(
        "Imported installs.csv: read 5, inserted 5, already present 0, rejected 0 in "
    )


# --- parsing ahead of the loader (a child process, or a thread where fork is unavailable) ---

PARSE_AHEAD = [
    pytest.param(installs._in_child_process, id="child-process"),
    pytest.param(installs._in_background, id="thread"),
]


def _numbers_with_their_pid(count):
    import os

    for number in range(count):
        yield number, os.getpid()


@pytest.mark.parametrize("parse_ahead", PARSE_AHEAD)
def test_parse_ahead_yields_every_item_in_order(parse_ahead):
    import os

    received = list(parse_ahead(_numbers_with_their_pid(50), depth=3))

    assert [number for number, _ in received] == list(range(50))
    producer_pids = {pid for _, pid in received}
    if parse_ahead is installs._in_child_process:
        assert producer_pids != {os.getpid()} and len(producer_pids) == 1
    else:
        assert producer_pids == {os.getpid()}


class _Unpicklable(Exception):
    def __init__(self, message):
        super().__init__(message)
        self.lock = __import__("threading").Lock()  # a lock cannot be pickled


def _failing_after(count, exception):
    yield from range(count)
    raise exception


@pytest.mark.parametrize("parse_ahead", PARSE_AHEAD)
def test_parse_ahead_hands_the_parser_s_exception_to_the_consumer(parse_ahead):
    received = []
    with pytest.raises(installs.InstallFileError, match="missing required column"):
        for item in parse_ahead(
            _failing_after(3, installs.InstallFileError("missing required column x")), depth=2
        ):
            received.append(item)
    assert received == [0, 1, 2]


def test_a_child_s_exception_that_cannot_be_pickled_arrives_as_its_text():
    with pytest.raises(installs.InstallFileError, match="_Unpicklable: bad row"):
        list(installs._in_child_process(_failing_after(2, _Unpicklable("bad row")), depth=2))


def _exiting_after(count):
    import os

    yield from range(count)
    os._exit(3)  # the parser process dies without a word (killed, out of memory)


def test_a_parser_process_that_dies_is_an_error_not_a_hang():
    received = []
    with pytest.raises(installs.InstallFileError, match="exit code 3"):
        for item in installs._in_child_process(_exiting_after(2), depth=2):
            received.append(item)
    # what the dead process had not yet written to the pipe is lost with it: the import
    # stops there (with the batches before committed), and a re-run completes it
    assert received == [0, 1][: len(received)]


def _counted(count, produced):
    for number in range(count):
        with produced.get_lock():
            produced.value += 1
        yield number


def test_the_parser_process_stays_at_most_depth_items_ahead_and_stops_with_the_consumer():
    import multiprocessing
    import time

    produced = multiprocessing.get_context("fork").Value("i", 0)
    items = installs._in_child_process(_counted(1000, produced), depth=4)
    assert next(items) == 0
    time.sleep(0.5)  # time enough to run far ahead, were it unbounded
    # taken 1, at most 4 waiting in the pipe, one being put, one in the feeder's hands
    assert produced.value <= 1 + 4 + 2
    parsers = [p for p in multiprocessing.active_children() if p.name == "install-import-parser"]
    assert len(parsers) == 1
    items.close()
    assert not parsers[0].is_alive()
    assert produced.value < 1000
