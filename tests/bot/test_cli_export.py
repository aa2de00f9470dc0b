"""`python -m bot export reports`, run as a real subprocess against the test database."""

from __future__ import annotations

import csv

import pytest
from openpyxl import load_workbook

from tests.bot.test_cli import cli
from tests.services.reporting.test_rollup import seed_reports


@pytest.fixture
async def seeded(db_url, session_factory, now) -> str:
    imported = cli(db_url, "units", "import", "--province", "86")
    assert imported.returncode == 0, imported.stderr
    await seed_reports(session_factory, "86", now)
    return db_url


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
async def test_export_reports_writes_one_row_per_unit(seeded, tmp_path, fmt):
    out = tmp_path / f"bao-cao-2026-10.{fmt}"
    result = cli(seeded, "export", "reports", "--period", "2026-10", "--unit", "86", "--format", fmt, "-o", str(out))

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"124 rows written to {out}"
    if fmt == "xlsx":
        rows = list(load_workbook(out).active.iter_rows(values_only=True))
    else:
        with out.open(encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.reader(handle))
    assert rows[0][0] == "Mã đơn vị"
    assert len(rows) == 1 + 124 + 1
    assert rows[-1][0] == "Tổng cộng"


async def test_format_follows_the_file_suffix(seeded, tmp_path):
    out = tmp_path / "bao-cao.csv"
    result = cli(seeded, "export", "reports", "--period", "2026-10", "--unit", "86", "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert out.read_bytes().startswith("\ufeffMã đơn vị".encode())


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--period", "2026-10", "--unit", "99999"], "no unit with code 99999"),
        (["--period", "2026-13", "--unit", "86"], "not a period: '2026-13'"),
        (["--period", "tháng 10", "--unit", "86"], "not a period"),
    ],
)
async def test_unknown_unit_or_period_is_one_line_error(seeded, tmp_path, args, message):
    out = tmp_path / "x.xlsx"
    result = cli(seeded, "export", "reports", *args, "-o", str(out))
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert message in result.stderr
    assert not out.exists()


async def test_missing_folder_is_one_line_error(seeded, tmp_path):
    out = tmp_path / "no-such-folder" / "x.xlsx"
    result = cli(seeded, "export", "reports", "--period", "2026-10", "--unit", "86", "-o", str(out))
    assert result.returncode == 2
    assert result.stderr.strip() == f"error: cannot write {out}: folder {out.parent} does not exist"
