"""How the embedded PostgreSQL is found: from postmaster.pid, without asking pgserver."""

import os

import pytest

from stripe_dwh import embedded_postgres


def write_pid_file(data_dir, pid, status, socket_dir="/tmp/sockets"):
    data_dir.mkdir(exist_ok=True)
    (data_dir / "postmaster.pid").write_text(
        f"{pid}\n{data_dir}\n1700000000\n5432\n{socket_dir}\n\n  1234  5\n{status}\n"
    )


def test_a_ready_live_server_is_found_by_its_socket_dir(tmp_path):
    write_pid_file(tmp_path / "pgdata", os.getpid(), "ready")

    assert embedded_postgres.running_socket_dir(tmp_path / "pgdata") == "/tmp/sockets"


def test_a_server_still_starting_is_not_used(tmp_path):
    write_pid_file(tmp_path / "pgdata", os.getpid(), "starting")

    assert embedded_postgres.running_socket_dir(tmp_path / "pgdata") is None


def test_a_stale_pid_file_is_not_a_running_server(tmp_path):
    dead_pid = 2**22 + 12345  # above the kernel's pid_max default: no such process
    write_pid_file(tmp_path / "pgdata", dead_pid, "ready")

    assert embedded_postgres.running_socket_dir(tmp_path / "pgdata") is None


def test_no_pid_file_means_no_server(tmp_path):
    assert embedded_postgres.running_socket_dir(tmp_path / "missing") is None


GIB = 2**30


@pytest.mark.parametrize(
    ("memory", "expected"),
    [
        # shared_buffers = memory / 16 (128 MB .. 1 GB), work_mem = memory / 512 (8 .. 64 MB),
        # effective_cache_size = memory / 2 (512 MB .. 16 GB), jit off at any size
        (
            1 * GIB,
            {
                "shared_buffers": "128MB",
                "work_mem": "8MB",
                "effective_cache_size": "512MB",
                "jit": "off",
            },
        ),
        (
            8 * GIB,
            {
                "shared_buffers": "512MB",
                "work_mem": "16MB",
                "effective_cache_size": "4096MB",
                "jit": "off",
            },
        ),
        (
            16 * GIB,
            {
                "shared_buffers": "1024MB",
                "work_mem": "32MB",
                "effective_cache_size": "8192MB",
                "jit": "off",
            },
        ),
        (
            64 * GIB,
            {
                "shared_buffers": "1024MB",
                "work_mem": "64MB",
                "effective_cache_size": "16384MB",
                "jit": "off",
            },
        ),
    ],
)
def test_analytics_settings_grow_with_memory_within_their_bounds(memory, expected):
    assert embedded_postgres.analytics_settings(memory) == expected
