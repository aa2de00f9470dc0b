"""The unit tree on a real database: import from both sources, moves, errors and queries."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from vietnam_provinces import Province

from bot.services.people.units import (
    ImportResult,
    UnitImportError,
    UnitRow,
    children,
    fold,
    get_unit_by_code,
    import_units,
    is_in_subtree,
    rows_from_csv,
    rows_from_vietnam_provinces,
    search_units,
    subtree_ids,
)
from storage.models import Unit

TRA_VINH_CSV = Path(__file__).resolve().parents[2] / "data" / "tra-vinh-2022.csv"
VINH_LONG = 86


async def _import(session_factory, rows, now) -> ImportResult:
    async with session_factory() as session:
        result = await import_units(session, rows, now=now)
        await session.commit()
    return result


async def _all_units(session_factory) -> dict[str, Unit]:
    async with session_factory() as session:
        return {unit.code: unit for unit in await session.scalars(select(Unit))}


def _write_csv(tmp_path: Path, text: str, name: str = "tree.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# --------------------------------------------------------------------------- vietnam-provinces


def test_vinh_long_rows_province_first_with_prefixed_name():
    rows = rows_from_vietnam_provinces(VINH_LONG)
    assert len(rows) == 125
    assert rows[0] == UnitRow(code="86", name="Tỉnh Vĩnh Long", kind="tỉnh", parent_code=None)
    assert {row.parent_code for row in rows[1:]} == {"86"}
    assert Counter(row.kind for row in rows[1:]) == {"xã": 105, "phường": 19}
    assert any(row.name == "Xã Cái Nhum" and row.code == "29641" for row in rows)


def test_city_names_are_not_prefixed_twice_and_codes_are_padded():
    rows = rows_from_vietnam_provinces(1)
    assert rows[0] == UnitRow(
        code="01", name="Thành phố Hà Nội", kind="thành phố trung ương", parent_code=None
    )
    assert all(len(row.code) == 5 and row.parent_code == "01" for row in rows[1:])


def test_unknown_province_code():
    with pytest.raises(UnitImportError, match="unknown province code 99"):
        rows_from_vietnam_provinces(99)


async def test_import_vinh_long(session_factory, now):
    result = await _import(session_factory, rows_from_vietnam_provinces(VINH_LONG), now)

    assert result == ImportResult(added=125, updated=0, unchanged=0)
    units = await _all_units(session_factory)
    assert len(units) == 125
    province = units["86"]
    assert (province.level, province.path, province.parent_id) == (0, "/86/", None)
    assert province.created_at == now and province.updated_at == now
    cai_nhum = units["29641"]
    assert (cai_nhum.name, cai_nhum.level, cai_nhum.path) == ("Xã Cái Nhum", 1, "/86/29641/")
    assert cai_nhum.parent_id == province.id
    assert Counter(unit.level for unit in units.values()) == {0: 1, 1: 124}


async def test_import_twice_changes_nothing(session_factory, now):
    rows = rows_from_vietnam_provinces(VINH_LONG)
    await _import(session_factory, rows, now)

    again = await _import(session_factory, rows, now + timedelta(days=1))

    assert again == ImportResult(added=0, updated=0, unchanged=125)
    units = await _all_units(session_factory)
    assert len(units) == 125
    assert {unit.updated_at for unit in units.values()} == {now}


async def test_renamed_unit_is_updated_and_missing_unit_stays(session_factory, now):
    rows = rows_from_vietnam_provinces(VINH_LONG)
    await _import(session_factory, rows, now)
    later = now + timedelta(days=30)
    renamed = [replace(row, name="Xã Cái Nhum Mới") if row.code == "29641" else row for row in rows]
    without_last = renamed[:-1]

    result = await _import(session_factory, without_last, later)

    assert result == ImportResult(added=0, updated=1, unchanged=123)
    units = await _all_units(session_factory)
    assert len(units) == 125
    assert units["29641"].name == "Xã Cái Nhum Mới"
    assert units["29641"].updated_at == later
    assert units["29641"].created_at == now
    assert rows[-1].code in units


async def test_whole_country_imports_and_reimports_unchanged(session_factory, now):
    rows = [
        row for province in Province.iter_all() for row in rows_from_vietnam_provinces(int(province.code))
    ]
    assert len(rows) == 34 + 3321

    result = await _import(session_factory, rows, now)

    assert result.added == len(rows)
    again = await _import(session_factory, rows, now)
    assert (again.added, again.updated) == (0, 0)


# --------------------------------------------------------------------------- CSV, three tiers


async def test_tra_vinh_csv_three_levels(session_factory, now):
    rows = rows_from_csv(TRA_VINH_CSV)
    assert len(rows) == 114

    result = await _import(session_factory, rows, now)

    assert result.added == 114
    units = await _all_units(session_factory)
    assert Counter(unit.level for unit in units.values()) == {0: 1, 1: 9, 2: 104}
    ward = units["29236"]
    assert (ward.path, ward.level, ward.parent_id) == ("/84/842/29236/", 2, units["842"].id)
    for unit in units.values():
        parent_path = units[unit.path.strip("/").split("/")[-2]].path if unit.level else "/"
        assert unit.path == f"{parent_path}{unit.code}/"


async def test_rows_in_any_order(session_factory, now):
    rows = list(reversed(rows_from_csv(TRA_VINH_CSV)))

    result = await _import(session_factory, rows, now)

    assert result.added == 114
    assert (await _all_units(session_factory))["29236"].path == "/84/842/29236/"


async def test_children_can_join_an_existing_parent(session_factory, now):
    rows = rows_from_csv(TRA_VINH_CSV)
    await _import(session_factory, [row for row in rows if row.parent_code in (None, "84")], now)

    result = await _import(session_factory, [row for row in rows if row.parent_code not in (None, "84")], now)

    assert result.added == 104
    units = await _all_units(session_factory)
    assert len(units) == 114
    assert units["29236"].path == "/84/842/29236/"


async def test_moving_a_district_moves_its_subtree(session_factory, now):
    await _import(session_factory, rows_from_csv(TRA_VINH_CSV), now)
    await _import(session_factory, [UnitRow("86", "Tỉnh Vĩnh Long", "tỉnh", None)], now)
    later = now + timedelta(hours=1)

    result = await _import(session_factory, [UnitRow("842", "Thành phố Trà Vinh", "thành phố", "86")], later)

    assert result == ImportResult(added=0, updated=1, unchanged=0, relocated=8)
    units = await _all_units(session_factory)
    assert units["842"].parent_id == units["86"].id
    assert (units["842"].path, units["842"].level) == ("/86/842/", 1)
    moved = [unit for unit in units.values() if unit.parent_id == units["842"].id]
    assert len(moved) == 8
    assert all(unit.path == f"/86/842/{unit.code}/" and unit.level == 2 for unit in moved)
    assert all(unit.updated_at == later for unit in moved)
    assert units["29236"].parent_id == units["842"].id


async def test_promoting_a_district_to_a_root(session_factory, now):
    await _import(session_factory, rows_from_csv(TRA_VINH_CSV), now)

    result = await _import(session_factory, [UnitRow("842", "Thành phố Trà Vinh", "thành phố", None)], now)

    assert result.relocated == 8
    units = await _all_units(session_factory)
    assert (units["842"].path, units["842"].level, units["842"].parent_id) == ("/842/", 0, None)
    assert (units["29236"].path, units["29236"].level) == ("/842/29236/", 1)


# --------------------------------------------------------------------------- errors


def test_csv_accepts_bom_and_strips_whitespace(tmp_path):
    path = tmp_path / "tree.csv"
    path.write_bytes("\ufeffcode, name ,kind,parent_code\n 84 , Tỉnh Trà Vinh ,tỉnh, \n".encode())

    assert rows_from_csv(path) == [UnitRow("84", "Tỉnh Trà Vinh", "tỉnh", None)]


def test_csv_missing_column(tmp_path):
    path = _write_csv(tmp_path, "code,name,parent_code\n84,Tỉnh Trà Vinh,\n")

    with pytest.raises(UnitImportError, match=r"tree\.csv line 1: missing column\(s\) kind"):
        rows_from_csv(path)


def test_csv_empty_code_names_the_line(tmp_path):
    path = _write_csv(tmp_path, "code,name,kind,parent_code\n84,Tỉnh Trà Vinh,tỉnh,\n\n ,Xã A,xã,84\n")

    with pytest.raises(UnitImportError, match=r"tree\.csv line 4: empty code"):
        rows_from_csv(path)


def test_csv_duplicate_code(tmp_path):
    text = "code,name,kind,parent_code\n84,Tỉnh Trà Vinh,tỉnh,\n842,Xã A,xã,84\n842,Xã B,xã,84\n"
    path = _write_csv(tmp_path, text)

    with pytest.raises(UnitImportError, match=r"tree\.csv line 4: duplicate code 842 \(first on line 3\)"):
        rows_from_csv(path)


def test_csv_not_utf8(tmp_path):
    path = tmp_path / "tree.csv"
    path.write_bytes("code,name,kind,parent_code\n84,Tỉnh Trà Vinh,tỉnh,\n".encode("cp1258", "replace"))

    with pytest.raises(UnitImportError, match="not UTF-8"):
        rows_from_csv(path)


def test_csv_too_many_fields_and_missing_file(tmp_path):
    path = _write_csv(tmp_path, "code,name,kind,parent_code\n84,Tỉnh Trà Vinh,tỉnh,,extra\n")

    with pytest.raises(UnitImportError, match=r"tree\.csv line 2: 5 fields, header has 4"):
        rows_from_csv(path)
    with pytest.raises(UnitImportError, match="cannot read"):
        rows_from_csv(tmp_path / "absent.csv")


async def test_unknown_parent(session_factory, tmp_path, now):
    path = _write_csv(tmp_path, "code,name,kind,parent_code\n84,Tỉnh Trà Vinh,tỉnh,\n842,Xã A,xã,999\n")

    async with session_factory() as session:
        with pytest.raises(UnitImportError, match="unit 842: unknown parent code 999"):
            await import_units(session, rows_from_csv(path), now=now)


async def test_cycle(session_factory, tmp_path, now):
    path = _write_csv(tmp_path, "code,name,kind,parent_code\n1,A,xã,2\n2,B,xã,3\n3,C,xã,1\n")

    async with session_factory() as session:
        with pytest.raises(UnitImportError, match=r"cycle in parent codes: 1 -> 2 -> 3 -> 1"):
            await import_units(session, rows_from_csv(path), now=now)


async def test_cycle_through_the_database(session_factory, now):
    await _import(session_factory, rows_from_csv(TRA_VINH_CSV), now)

    async with session_factory() as session:
        with pytest.raises(UnitImportError, match="cycle in parent codes: 84 -> 842 -> 84"):
            await import_units(session, [UnitRow("84", "Tỉnh Trà Vinh", "tỉnh", "842")], now=now)


async def test_duplicate_rows_passed_directly(session_factory, now):
    row = UnitRow("84", "Tỉnh Trà Vinh", "tỉnh", None)

    async with session_factory() as session:
        with pytest.raises(UnitImportError, match="duplicate code 84"):
            await import_units(session, [row, row], now=now)


# --------------------------------------------------------------------------- queries


@pytest.fixture
async def tra_vinh(session_factory, now) -> None:
    await _import(session_factory, rows_from_csv(TRA_VINH_CSV), now)


async def test_subtree_ids_of_a_district(session_factory, tra_vinh):
    async with session_factory() as session:
        district = await get_unit_by_code(session, "842")
        assert district is not None
        communes = await children(session, district)
        ids = await subtree_ids(session, district)

    assert len(communes) == 8
    assert sorted(ids) == sorted([district.id, *(unit.id for unit in communes)])


async def test_subtree_of_the_province_is_everything(session_factory, tra_vinh):
    async with session_factory() as session:
        province = await get_unit_by_code(session, "84")
        assert province is not None
        assert len(await subtree_ids(session, province)) == 114
        assert await get_unit_by_code(session, "nope") is None


async def test_is_in_subtree(session_factory, tra_vinh):
    async with session_factory() as session:
        province, district, ward, other = [
            await get_unit_by_code(session, c) for c in ("84", "842", "29236", "844")
        ]

    assert is_in_subtree(province, ward) and is_in_subtree(district, ward) and is_in_subtree(ward, ward)
    assert not is_in_subtree(other, ward) and not is_in_subtree(ward, district)


async def test_children_sorted_naturally(session_factory, tra_vinh):
    async with session_factory() as session:
        district = await get_unit_by_code(session, "842")
        names = [unit.name for unit in await children(session, district)]

    phuong = [name for name in names if name.startswith("Phường ")]
    assert phuong == sorted(phuong, key=lambda name: int(name.split()[-1]))


async def test_search_ignores_case_and_accents(session_factory, now):
    await _import(session_factory, rows_from_vietnam_provinces(VINH_LONG), now)

    async with session_factory() as session:
        province = await get_unit_by_code(session, "86")
        found = await search_units(session, province, "cai nhum")
        upper = await search_units(session, province, "  CÁI   NHUM ")

    assert [unit.code for unit in found] == ["29641"]
    assert [unit.code for unit in upper] == ["29641"]


async def test_search_by_code_and_limit(session_factory, now):
    await _import(session_factory, rows_from_vietnam_provinces(VINH_LONG), now)

    async with session_factory() as session:
        province = await get_unit_by_code(session, "86")
        by_code = await search_units(session, province, "29641")
        many = await search_units(session, province, "xa", limit=3)
        nothing = await search_units(session, province, "   ")

    assert [unit.name for unit in by_code] == ["Xã Cái Nhum"]
    assert len(many) == 3
    assert nothing == []


async def test_search_stays_inside_the_subtree(session_factory, tra_vinh):
    async with session_factory() as session:
        city = await get_unit_by_code(session, "842")
        other_district = await get_unit_by_code(session, "844")
        outside = (await children(session, other_district))[0]

        by_name = await search_units(session, city, fold(outside.name).split(" ", 1)[1])
        by_code = await search_units(session, city, outside.code)
        inside = await search_units(session, city, "phuong 1")

    assert all(is_in_subtree(city, unit) for unit in by_name)
    assert outside.id not in {unit.id for unit in by_name}
    assert by_code == []
    assert inside[0].name == "Phường 1"
    assert all(is_in_subtree(city, unit) for unit in inside)


async def test_count_query_matches(session_factory, tra_vinh):
    async with session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(Unit)) == 114
