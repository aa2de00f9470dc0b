"""`python -m bot broadcast …`: the chat's broadcast rules from the command line, as real subprocesses."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from bot.services.people import people, units
from handlers.broadcast_texts import ERRORS
from storage.models import Broadcast, BroadcastStatus, Delivery, Role, Unit
from tests.bot.test_cli import cli, count

AUTHOR, APPROVER, MEMBER = "101", "102", "201"
MEMBERS = (MEMBER, "202", "203")


@pytest.fixture
async def province(session_factory, now) -> None:
    """Vĩnh Long, two province admins, three members of Xã Cái Nhum (29641)."""
    people_ = [(AUTHOR, "86", Role.PROVINCE_ADMIN), (APPROVER, "86", Role.PROVINCE_ADMIN)]
    people_ += [(member, "29641", Role.MEMBER) for member in MEMBERS]
    async with session_factory() as session, session.begin():
        await units.import_units(session, units.rows_from_vietnam_provinces(86), now=now)
        for user_id, code, role in people_:
            person = await people.register(
                session, platform="telegram", external_id=user_id, chat_id=user_id,
                full_name=f"Người {user_id}", now=now,
            )
            unit = await units.get_unit_by_code(session, code)
            await people.grant_role(session, person, unit, role, granted_by=None, now=now)


async def _person(session, user_id: str, code: str, role: str, now) -> None:
    person = await people.register(
        session, platform="telegram", external_id=user_id, chat_id=user_id,
        full_name=f"Người {user_id}", now=now,
    )
    await people.grant_role(session, person, await units.get_unit_by_code(session, code), role, granted_by=None, now=now)


def refused(result, key: str, **params) -> bool:
    """Exit 2 with the chat's Vietnamese refusal as the one line on stderr."""
    return result.returncode == 2 and result.stderr.strip() == ERRORS[key].format(**params)


def create(db_url: str, user_id: str = AUTHOR, audience: str = "unit:29641,role:member", **env: str):
    return cli(db_url, "broadcast", "create", "--text", "Mời bà con dự họp khu dân cư tối thứ Bảy.",
               "--audience", audience, "--as", f"telegram:{user_id}", **env)


async def test_create_approve_by_another_admin_send_and_status(db_url, session_factory, province):
    made = create(db_url)
    assert made.returncode == 0, made.stderr
    broadcast_id = int(made.stdout.strip())

    own = cli(db_url, "broadcast", "approve", str(broadcast_id), "--as", f"telegram:{AUTHOR}")
    assert refused(own, "broadcast_self_approval")

    approved = cli(db_url, "broadcast", "approve", str(broadcast_id), "--as", f"telegram:{APPROVER}")
    assert approved.returncode == 0, approved.stderr
    sent = cli(db_url, "broadcast", "send", str(broadcast_id), "--as", f"telegram:{APPROVER}")
    assert sent.returncode == 0, sent.stderr
    assert f"broadcast {broadcast_id} released to 3 recipients" in sent.stdout
    deliveries = select(func.count()).select_from(Delivery).where(Delivery.broadcast_id == broadcast_id)
    assert await count(session_factory, deliveries) == len(MEMBERS)

    status = cli(db_url, "broadcast", "status", str(broadcast_id))
    assert status.returncode == 0, status.stderr
    assert f"Tin số {broadcast_id}" in status.stdout
    assert "Đang chờ gửi: 3" in status.stdout and "Tổng số người/nhóm nhận: 3" in status.stdout


async def test_self_approval_when_allowed_and_a_naive_time_is_in_vietnam(db_url, session_factory, province):
    broadcast_id = int(create(db_url).stdout)
    approved = cli(db_url, "broadcast", "approve", str(broadcast_id), "--as", f"telegram:{AUTHOR}",
                   ALLOW_SELF_APPROVAL="true")
    assert approved.returncode == 0, approved.stderr
    scheduled = cli(db_url, "broadcast", "send", str(broadcast_id), "--at", "2030-01-02T07:30",
                    "--as", f"zalo:{AUTHOR}")
    assert scheduled.returncode == 2 and "no one is registered as zalo:101" in scheduled.stderr
    scheduled = cli(db_url, "broadcast", "send", str(broadcast_id), "--at", "2030-01-02T07:30",
                    "--as", f"telegram:{AUTHOR}")
    assert scheduled.returncode == 0, scheduled.stderr
    assert "scheduled for 2030-01-02T07:30+07:00" in scheduled.stdout
    async with session_factory() as session:
        broadcast = await session.get(Broadcast, broadcast_id)
    assert broadcast.status == BroadcastStatus.SCHEDULED
    assert broadcast.send_at.replace(tzinfo=UTC) == datetime(2030, 1, 2, 0, 30, tzinfo=UTC)


async def test_a_member_cannot_create(db_url, session_factory, province):
    result = create(db_url, MEMBER)
    assert refused(result, "broadcast_not_allowed")
    assert await count(session_factory, select(func.count()).select_from(Broadcast)) == 0


async def test_an_unknown_unit_is_refused_in_vietnamese(db_url, province):
    assert refused(create(db_url, audience="unit:99999,role:member"), "broadcast_unknown_unit", code="99999")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--audience", "role:member"], "needs a unit"),
        (["--audience", "chats"], "needs a unit"),
        (["--audience", "unit:86,role:boss"], "bad audience item 'role:boss'"),
        (["--audience", "place:86,chats"], "bad audience item 'place:86'"),
        (["--audience", "unit:86,chats", "--as", "facebook:1"], "bad --as 'facebook:1'"),
    ],
)
def test_bad_audience_or_actor_is_a_one_line_usage_error(db_url, args, message):
    defaults = {"--audience": "unit:86,role:member", "--as": f"telegram:{AUTHOR}"}
    defaults.update(zip(args[::2], args[1::2], strict=True))
    result = cli(db_url, "broadcast", "create", "--text", "Thông báo", *(x for kv in defaults.items() for x in kv))
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert result.stderr.startswith("error: ") and message in result.stderr


async def test_content_from_a_file_with_a_nul_is_stored_cleaned(db_url, session_factory, province, tmp_path):
    """A file may hold characters no database stores; they are cleaned as chat text is."""
    content = tmp_path / "tin.txt"
    content.write_text("Mời bà con\x00 dự họp\r\nkhu dân cư.", encoding="utf-8")
    made = cli(db_url, "broadcast", "create", "--file", str(content), "--audience", "unit:29641,role:member",
               "--as", f"telegram:{AUTHOR}")
    assert made.returncode == 0, made.stderr
    async with session_factory() as session:
        assert (await session.execute(select(Broadcast.text))).scalar_one() == "Mời bà con dự họp\nkhu dân cư."


async def _released_to(db_url: str, session_factory, audience: str) -> tuple[dict, set[str]]:
    """Create, approve and send a broadcast from the command line: its stored audience and recipients."""
    made = create(db_url, audience=audience)
    assert made.returncode == 0, made.stderr
    broadcast_id = int(made.stdout)
    for action in ("approve", "send"):
        done = cli(db_url, "broadcast", action, str(broadcast_id), "--as", f"telegram:{APPROVER}")
        assert done.returncode == 0, done.stderr
    async with session_factory() as session:
        stored = (await session.get(Broadcast, broadcast_id)).audience
        chats = set(await session.scalars(select(Delivery.chat_id).where(Delivery.broadcast_id == broadcast_id)))
    return stored, chats


async def test_a_unit_without_roles_reaches_every_person_of_its_subtree(db_url, session_factory, province, now):
    """`--audience unit:CODE` is everyone in the subtree, whatever their role; `role:` narrows it."""
    officer, unit_admin, citizen, elsewhere = "301", "302", "303", "304"
    async with session_factory() as session, session.begin():
        await _person(session, officer, "29641", Role.OFFICER, now)
        await _person(session, unit_admin, "29641", Role.UNIT_ADMIN, now)
        await _person(session, citizen, "29641", Role.CITIZEN, now)
        other_commune = await session.scalar(
            select(Unit.code).where(Unit.level == 1, Unit.code != "29641").order_by(Unit.code).limit(1)
        )
        await _person(session, elsewhere, other_commune, Role.MEMBER, now)

    stored, chats = await _released_to(db_url, session_factory, "unit:29641")
    assert chats == {*MEMBERS, officer, unit_admin, citizen}
    assert set(stored["roles"]) == {role.value for role in Role} and stored["include_linked_chats"] is False

    _, chats = await _released_to(db_url, session_factory, "unit:86")
    assert chats == {AUTHOR, APPROVER, *MEMBERS, officer, unit_admin, citizen, elsewhere}

    stored, chats = await _released_to(db_url, session_factory, "unit:29641,role:member,chats")
    assert chats == set(MEMBERS)
    assert stored == {"units": ["29641"], "roles": ["member"], "include_linked_chats": True}

    stored, chats = await _released_to(db_url, session_factory, "unit:29641,chats")  # no role: every role, and chats
    assert chats == {*MEMBERS, officer, unit_admin, citizen}
    assert set(stored["roles"]) == {role.value for role in Role} and stored["include_linked_chats"] is True
