"""Load the warehouse's `.sql` files (one query per file, beside the code that runs them)."""

from functools import cache
from pathlib import Path

SQL_DIR = Path(__file__).resolve().parent / "sql"


@cache
def load(name: str) -> str:
    return (SQL_DIR / f"{name}.sql").read_text()
