"""What citizens are told is what is stored: "không lưu họ tên".

A citizen with a distinctive profile name registers, looks at /toi, sends named feedback and
links their account on the other platform; afterwards no table and no column of the database
holds any part of that name.
"""

from __future__ import annotations

import json
import re
from typing import Any

from sqlalchemy import inspect, select

from storage.models import Base
from tests.integration.conftest import ADMIN_ID

CITIZEN = 5005
FAMILY, GIVEN = "Khổngzy", "Xuyenqua"  # on Telegram the last and first name, on Zalo "Khổngzy Xuyenqua"
CODE = re.compile(r"^([A-Z2-9]{10})$", re.MULTILINE)


def strings_in(value: Any) -> list[str]:
    """Every string a stored value holds, JSON looked into (a name could hide in conversation answers)."""
    if isinstance(value, dict):
        return [s for key, item in value.items() for s in [str(key), *strings_in(item)]]
    if isinstance(value, list | tuple):
        return [s for item in value for s in strings_in(item)]
    if isinstance(value, bytes):
        return [value.decode("utf-8", "replace")]
    if isinstance(value, str):
        try:
            decoded = json.loads(value)
        except ValueError:
            return [value]
        return [value, *strings_in(decoded)] if isinstance(decoded, dict | list) else [value]
    return [str(value)]


async def places_holding(session_factory, *words: str) -> list[str]:
    """`table.column` of every stored value that contains one of `words` (case-insensitive)."""
    wanted = [word.casefold() for word in words]
    found = []
    async with session_factory() as session:
        conn = await session.connection()
        tables = set(await conn.run_sync(lambda c: inspect(c).get_table_names())) - {"alembic_version"}
        assert tables <= set(Base.metadata.tables), "a table the models do not describe would not be searched"
        for name in sorted(tables):
            table = Base.metadata.tables[name]
            for row in (await conn.execute(select(table))).mappings():
                for column, value in row.items():
                    if any(word in text.casefold() for text in strings_in(value) for word in wanted):
                        found.append(f"{name}.{column}")
    return found


async def test_a_citizens_profile_name_is_stored_nowhere(platform, harness, start_app, seeded, session_factory):
    await start_app()
    other = "zalo" if platform == "telegram" else "telegram"
    admin = harness.person(ADMIN_ID)
    citizen = harness.person(CITIZEN, f"{FAMILY} {GIVEN}")
    await citizen.say("/start")
    await citizen.choose("Đồng ý")
    welcome = await citizen.say("cai nhum")
    assert "Đăng ký thành công" in welcome[0]["text"]
    me = (await citizen.say("/toi"))[0]["text"]
    assert "Họ tên: (không lưu)" in me and FAMILY not in me

    await citizen.say("/phananh")
    await citizen.choose("Gửi có tên")
    await citizen.choose("Môi trường")
    await citizen.say("cai nhum")
    await citizen.say("Đường ấp 3 ngập nước sau mưa.")
    await citizen.choose("Bỏ qua")
    thanks = await citizen.choose("Tiêu cực (lo lắng, bức xúc)")
    assert "số tham chiếu PA-" in thanks[-1]["text"]
    notice = admin.new_messages()[-1]["text"]
    assert "Người gửi: Người dân (không lưu tên) – Xã Cái Nhum" in notice and FAMILY not in notice

    code = CODE.search((await citizen.say("/lienket"))[0]["text"]).group(1)
    on_other = harness.person(CITIZEN, f"{FAMILY} {GIVEN}", platform=other)
    linked = await on_other.say(f"/lienket {code}")
    assert "Đã liên kết" in linked[0]["text"]

    assert await places_holding(session_factory, FAMILY, GIVEN) == []
