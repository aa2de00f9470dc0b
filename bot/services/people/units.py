"""The administrative unit tree: importing it and querying it.

The tree has any depth (DOMAIN.md, "The administrative tree today"): two tiers from the
official 2025 list in `vietnam-provinces`, three for the 2022 CSV or for member organisations.
Every unit stores its materialized `path` of codes (`/86/29641/`), so "everything under X"
is one `LIKE` query on SQLite and PostgreSQL alike.

Importing only ever adds or updates units, never deletes: people, roles and invites point at
units, and a stale list must not silently wipe them out.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import TextIO

from sqlalchemy import func, insert, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from vietnam_provinces import Province, Ward
from vietnam_provinces.codes import ProvinceCode

from storage.folding import fold
from storage.models import Unit

CSV_COLUMNS = ("code", "name", "kind", "parent_code")
# Column sizes of `units`; checked up front so PostgreSQL and SQLite fail the same, clear way.
_MAX_CODE, _MAX_NAME, _MAX_KIND = 16, 200, 40
# Keep IN (...) lists well under every backend's bound-parameter limit.
_IN_CHUNK = 500
_PROVINCE_PREFIX = {"tỉnh": "Tỉnh", "thành phố trung ương": "Thành phố"}


class UnitImportError(ValueError):
    """A unit list cannot be imported; the message is for an operator and names the culprit."""


@dataclass(frozen=True)
class UnitRow:
    """One unit as read from a source, before it has an id, level or path."""

    code: str
    name: str
    kind: str
    parent_code: str | None


@dataclass(frozen=True)
class ImportResult:
    """What an import did to the rows it was given.

    `relocated` counts units *outside* the rows whose path and level were rewritten because
    an ancestor moved; they are not part of added/updated/unchanged.
    """

    added: int
    updated: int
    unchanged: int
    relocated: int = 0


# --------------------------------------------------------------------------- sources


def rows_from_vietnam_provinces(province_code: int) -> list[UnitRow]:
    """The current (2025) official province and its wards, province first.

    Codes are zero-padded as the GSO writes them (province "01", ward "00004"): unpadded, Cao
    Bằng's province code 4 would collide with Hà Nội's ward 4. Province names in the package
    lack their prefix ("Vĩnh Long"), city names have it ("Thành phố Hà Nội"); the prefix is
    added where missing so names read naturally in messages.
    """
    try:
        province = Province.from_code(ProvinceCode(province_code))
    except ValueError:
        raise UnitImportError(f"unknown province code {province_code}") from None
    kind = province.division_type.value
    code = f"{int(province.code):02d}"
    rows = [UnitRow(code=code, name=_province_name(province.name, kind), kind=kind, parent_code=None)]
    rows.extend(
        UnitRow(code=f"{int(ward.code):05d}", name=ward.name, kind=ward.division_type.value, parent_code=code)
        for ward in Ward.iter_by_province(province.code)
    )
    return rows


def _province_name(name: str, kind: str) -> str:
    prefix = _PROVINCE_PREFIX.get(kind, "")
    if not prefix or name.startswith(tuple(_PROVINCE_PREFIX.values())):
        return name
    return f"{prefix} {name}"


def rows_from_csv(path: Path) -> list[UnitRow]:
    """Read a `code,name,kind,parent_code` CSV; errors name the file and line for the operator."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            return _parse_csv(handle, path.name)
    except UnicodeDecodeError as exc:
        raise UnitImportError(f"{path.name}: not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise UnitImportError(f"{path}: cannot read: {exc.strerror}") from None


def _parse_csv(handle: TextIO, label: str) -> list[UnitRow]:
    reader = csv.reader(handle)
    header = [cell.strip().lower() for cell in next(reader, [])]
    missing = [column for column in CSV_COLUMNS if column not in header]
    if missing:
        raise UnitImportError(f"{label} line 1: missing column(s) {', '.join(missing)}")
    index = {column: header.index(column) for column in CSV_COLUMNS}
    rows: list[UnitRow] = []
    first_line: dict[str, int] = {}
    for record in reader:
        line = reader.line_num  # the physical line, right even after quoted line breaks
        if not any(cell.strip() for cell in record):
            continue
        if len(record) > len(header):
            raise UnitImportError(f"{label} line {line}: {len(record)} fields, header has {len(header)}")
        row = _csv_row(record, index)
        problem = _row_problem(row)
        if problem:
            raise UnitImportError(f"{label} line {line}: {problem}")
        if row.code in first_line:
            raise UnitImportError(
                f"{label} line {line}: duplicate code {row.code} (first on line {first_line[row.code]})"
            )
        first_line[row.code] = line
        rows.append(row)
    return rows


def _csv_row(record: list[str], index: dict[str, int]) -> UnitRow:
    def cell(column: str) -> str:
        position = index[column]
        return record[position].strip() if position < len(record) else ""

    return UnitRow(
        code=cell("code"), name=cell("name"), kind=cell("kind"), parent_code=cell("parent_code") or None
    )


def _row_problem(row: UnitRow) -> str | None:
    """Why a row can never be stored, or None. Shared by the CSV reader and the importer."""
    for field, limit in (("code", _MAX_CODE), ("name", _MAX_NAME), ("kind", _MAX_KIND)):
        value = getattr(row, field)
        if not value:
            return f"empty {field}"
        if len(value) > limit:
            return f"{field} longer than {limit} characters: {value!r}"
    for field in ("code", "parent_code"):
        value = getattr(row, field)
        if value is not None and "/" in value:
            return f"{field} {value!r} contains '/', which paths use as a separator"
    return None


# --------------------------------------------------------------------------- import


async def import_units(session: AsyncSession, rows: Sequence[UnitRow], *, now: datetime) -> ImportResult:
    """Add or update `rows` (in any order) and keep every path and level consistent.

    A row's parent may be another row or a unit already in the database. If a unit moves,
    its whole subtree's paths and levels follow. Nothing is deleted, nothing is committed:
    the caller owns the transaction, so a failed import leaves no half-written tree.
    """
    if now.tzinfo is None:
        raise ValueError("import_units needs a timezone-aware `now`")
    by_code = _index_rows(rows)
    wanted = set(by_code) | {row.parent_code for row in rows if row.parent_code}
    existing = await _load_by_codes(session, wanted)
    _check_parents(rows, by_code, existing)

    tree = _PathResolver(by_code, existing)
    moved = [
        existing[code] for code in by_code if code in existing and existing[code].path != tree.path(code)
    ]
    descendants = await _load_descendants(session, moved, skip=by_code.keys())
    tree.add_existing(descendants)

    added, updated = await _write_rows(session, by_code, existing, tree, now)
    relocated = _relocate(descendants, tree, now)
    await session.flush()
    return ImportResult(
        added=added, updated=updated, unchanged=len(by_code) - added - updated, relocated=relocated
    )


def _index_rows(rows: Sequence[UnitRow]) -> dict[str, UnitRow]:
    by_code: dict[str, UnitRow] = {}
    for row in rows:
        problem = _row_problem(row)
        if problem:
            raise UnitImportError(f"unit {row.code or '(no code)'}: {problem}")
        if row.code in by_code:
            raise UnitImportError(f"duplicate code {row.code}")
        by_code[row.code] = row
    return by_code


async def _load_by_codes(session: AsyncSession, codes: Iterable[str]) -> dict[str, Unit]:
    ordered = sorted(codes)
    found: dict[str, Unit] = {}
    for start in range(0, len(ordered), _IN_CHUNK):
        chunk = ordered[start : start + _IN_CHUNK]
        result = await session.scalars(select(Unit).where(Unit.code.in_(chunk)))
        found.update((unit.code, unit) for unit in result)
    return found


def _check_parents(rows: Sequence[UnitRow], by_code: dict[str, UnitRow], existing: dict[str, Unit]) -> None:
    for row in rows:
        if row.parent_code and row.parent_code not in by_code and row.parent_code not in existing:
            raise UnitImportError(f"unit {row.code}: unknown parent code {row.parent_code}")


async def _load_descendants(
    session: AsyncSession, moved: Sequence[Unit], *, skip: Iterable[str]
) -> list[Unit]:
    """Units under the moved ones (old paths) that the rows don't mention: their paths must follow."""
    if not moved:
        return []
    conditions = [Unit.path.like(_like_prefix(unit.path), escape="\\") for unit in moved]
    result = await session.scalars(select(Unit).where(or_(*conditions)))
    skipped = set(skip)
    return [unit for unit in result if unit.code not in skipped]


class _PathResolver:
    """Computes the new path of every unit the import touches, detecting cycles.

    Each unit's path is its *anchor*'s path plus a tail. For a row, the anchor is its parent.
    For a unit outside the rows, it is the deepest ancestor (from its stored path) that is a
    row, with the rest of the stored path as tail; with no such ancestor the path is unchanged.
    Walking anchors iteratively copes with trees of any depth without recursion limits.
    """

    def __init__(self, rows: dict[str, UnitRow], existing: dict[str, Unit]) -> None:
        self._rows = rows
        self._existing = dict(existing)
        self._paths: dict[str, str] = {}

    def add_existing(self, units: Iterable[Unit]) -> None:
        self._existing.update((unit.code, unit) for unit in units)

    def path(self, code: str) -> str:
        chain: list[str] = []
        seen: set[str] = set()
        current: str | None = code
        while current is not None and current not in self._paths:
            if current in seen:
                raise UnitImportError(f"cycle in parent codes: {' -> '.join([*chain, current])}")
            seen.add(current)
            chain.append(current)
            current = self._anchor(current)[0]
        for link in reversed(chain):
            anchor, tail = self._anchor(link)
            self._paths[link] = (self._paths[anchor] if anchor else "/") + tail
        return self._paths[code]

    def level(self, code: str) -> int:
        return self.path(code).count("/") - 2

    def _anchor(self, code: str) -> tuple[str | None, str]:
        row = self._rows.get(code)
        if row is not None:
            return row.parent_code, f"{code}/"
        segments = self._existing[code].path.strip("/").split("/")
        for position in range(len(segments) - 2, -1, -1):
            if segments[position] in self._rows:
                return segments[position], "/".join(segments[position + 1 :]) + "/"
        return None, "/".join(segments) + "/"


async def _write_rows(
    session: AsyncSession,
    by_code: dict[str, UnitRow],
    existing: dict[str, Unit],
    tree: _PathResolver,
    now: datetime,
) -> tuple[int, int]:
    """Insert or update rows level by level, so each level's parents already have ids.

    New units go in as one multi-row INSERT per level: the ORM would insert a self-referencing
    table row by row, which for the whole country (3,355 units) is several times slower.
    RETURNING gives (code, id) pairs, so the order of returned rows does not matter.
    """
    ids = {code: unit.id for code, unit in existing.items()}
    added = updated = 0
    for level_codes in _by_level(by_code, tree):
        new_units: list[dict[str, object]] = []
        for code in level_codes:
            row = by_code[code]
            values = {
                "name": row.name,
                "kind": row.kind,
                "parent_id": ids[row.parent_code] if row.parent_code else None,
                "path": tree.path(code),
                "level": tree.level(code),
            }
            unit = existing.get(code)
            if unit is None:
                new_units.append({"code": code, **values, "created_at": now, "updated_at": now})
            elif any(getattr(unit, field) != value for field, value in values.items()):
                for field, value in values.items():
                    setattr(unit, field, value)
                unit.updated_at = now
                updated += 1
        if new_units:
            inserted = await session.execute(insert(Unit).returning(Unit.code, Unit.id), new_units)
            ids.update(inserted.tuples().all())
            added += len(new_units)
    return added, updated


def _by_level(by_code: dict[str, UnitRow], tree: _PathResolver) -> list[list[str]]:
    levels: dict[int, list[str]] = {}
    for code in by_code:
        levels.setdefault(tree.level(code), []).append(code)
    return [levels[level] for level in sorted(levels)]


def _relocate(descendants: Sequence[Unit], tree: _PathResolver, now: datetime) -> int:
    relocated = 0
    for unit in descendants:
        path = tree.path(unit.code)
        if path != unit.path:
            unit.path, unit.level, unit.updated_at = path, tree.level(unit.code), now
            relocated += 1
    return relocated


# --------------------------------------------------------------------------- queries


async def get_unit_by_code(session: AsyncSession, code: str) -> Unit | None:
    """The unit with this GSO code, or None."""
    return await session.scalar(select(Unit).where(Unit.code == code.strip()))


async def unit_by_code(session: AsyncSession, code: str) -> Unit:
    """The unit a conversation offered by code; it exists (a missing one is a bug, not a refusal)."""
    return (await session.execute(select(Unit).where(Unit.code == code))).scalar_one()


async def province_of(session: AsyncSession, unit: Unit) -> Unit | None:
    """The root of the unit's path (its province; the unit itself for a province)."""
    return await get_unit_by_code(session, unit.path.strip("/").split("/")[0])


async def unit_by_id(session: AsyncSession, unit_id: int) -> Unit:
    """The unit a conversation carried by id between steps; it exists."""
    return (await session.execute(select(Unit).where(Unit.id == unit_id))).scalar_one()


async def roots(session: AsyncSession) -> list[Unit]:
    """The top units (provinces): where feedback from someone without a unit is sent."""
    return list((await session.execute(select(Unit).where(Unit.parent_id.is_(None)))).scalars())


async def covers_every_root(session: AsyncSession, units: Sequence[Unit]) -> bool:
    """True when these units include every top unit: their subtrees are the whole tree."""
    held = {unit.id for unit in units}
    top = set(await session.scalars(select(Unit.id).where(Unit.parent_id.is_(None))))
    return bool(held) and top <= held


async def first_root(session: AsyncSession) -> Unit | None:
    """The oldest top unit: the province a deployment serves when only one is loaded."""
    return (
        await session.execute(select(Unit).where(Unit.parent_id.is_(None)).order_by(Unit.id).limit(1))
    ).scalar_one_or_none()


async def subtree_ids(session: AsyncSession, unit: Unit) -> list[int]:
    """Ids of `unit` and everything under it, in path order: one indexed LIKE query."""
    result = await session.scalars(
        select(Unit.id).where(Unit.path.like(_like_prefix(unit.path), escape="\\")).order_by(Unit.path)
    )
    return list(result)


async def in_subtrees(session: AsyncSession, roots: Sequence[Unit], limit: int = 500) -> list[Unit]:
    """The units under (and including) `roots`, as a tree reads: each unit followed by the units
    below it, siblings in name order; for a picker, so at most about `limit`: a subtree larger
    than that (the whole country) is cut at the deepest level that keeps it within the limit."""
    if not roots:
        return []
    in_roots = or_(*(Unit.path.like(_like_prefix(root.path), escape="\\") for root in roots))
    per_level = dict((await session.execute(
        select(Unit.level, func.count()).where(in_roots).group_by(Unit.level)
    )).tuples().all())
    deepest, total = min(per_level, default=0), 0
    for level in sorted(per_level):
        total += per_level[level]
        if total > limit and level > min(per_level):
            break
        deepest = level
    found = list(await session.scalars(select(Unit).where(in_roots, Unit.level <= deepest)))
    keys = {unit.code: name_sort_key(unit.name) for unit in found}

    def key(unit: Unit) -> tuple[tuple[tuple[int, int | str], ...], ...]:
        return tuple(keys.get(code, ((0, code),)) for code in unit.path.strip("/").split("/"))

    return sorted(found, key=key)


def is_in_subtree(ancestor: Unit, unit: Unit) -> bool:
    """True if `unit` is `ancestor` or lies under it; no query, just the path prefix."""
    return unit.path.startswith(ancestor.path)


async def children(session: AsyncSession, unit: Unit) -> list[Unit]:
    """Direct children of `unit`, in name order.

    Sorted in Python rather than SQL so the order is the same on SQLite and PostgreSQL
    (whose collations differ) and numbers sort naturally ("Phường 2" before "Phường 10").
    """
    result = await session.scalars(select(Unit).where(Unit.parent_id == unit.id))
    return sorted(result, key=lambda child: name_sort_key(child.name))


async def search_units(session: AsyncSession, within: Unit, query: str, limit: int = 8) -> list[Unit]:
    """Units under `within` matching `query`: an exact code first, else names, ignoring case and accents.

    Matching happens in Python on the subtree's (id, name) pairs, so "cai nhum" finds
    "Xã Cái Nhum" on any backend; a province has at most a few thousand units.
    Best matches come first: whole name, then start of a word, then anywhere; shallower first.
    """
    query = query.strip()
    if not query or limit <= 0:
        return []
    in_subtree = Unit.path.like(_like_prefix(within.path), escape="\\")
    by_code = await session.scalar(select(Unit).where(in_subtree, Unit.code == query))
    if by_code is not None:
        return [by_code]
    needle = fold(query)
    candidates = await session.execute(select(Unit.id, Unit.name, Unit.level).where(in_subtree))
    ranked = sorted(
        (_match_rank(fold(name), needle), level, name_sort_key(name), unit_id)
        for unit_id, name, level in candidates
        if needle in fold(name)
    )
    ids = [entry[-1] for entry in ranked[:limit]]
    if not ids:
        return []
    units = {unit.id: unit for unit in await session.scalars(select(Unit).where(Unit.id.in_(ids)))}
    return [units[unit_id] for unit_id in ids]


def _match_rank(folded_name: str, needle: str) -> int:
    """0: the whole name, with or without its kind ("xa cai nhum" for "cai nhum"); 1: a word start; 2: inside."""
    if folded_name == needle or (
        folded_name.endswith(f" {needle}") and folded_name[: -len(needle)].strip() in _KIND_WORDS
    ):
        return 0
    if folded_name.startswith(needle) or f" {needle}" in folded_name:
        return 1
    return 2


_KIND_WORDS = frozenset(
    {"tinh", "thanh pho", "huyen", "quan", "thi xa", "xa", "phuong", "thi tran", "dac khu"}
)
_DIGITS = re.compile(r"(\d+)")


@lru_cache(maxsize=16384)  # unit names hardly change: a page of the whole country sorts 3,356 of them
def name_sort_key(name: str) -> tuple[tuple[int, int | str], ...]:
    """Names in a natural order, ignoring case and accents ("Phường 2" before "Phường 10")."""
    parts = _DIGITS.split(fold(name))
    return tuple((1, int(part)) if part.isdigit() else (0, part) for part in parts if part)


def _like_prefix(path: str) -> str:
    """A LIKE pattern for everything starting with `path`, escaping LIKE's wildcards."""
    escaped = path.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"{escaped}%"
