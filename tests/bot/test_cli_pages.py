"""`python -m bot pages …` and `--audience …,pages`, as real subprocesses: tokens go in sealed, never out."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.services.pages.sealing import TokenBox, new_key
from bot.services.people import units
from storage.models import Delivery, PageToken
from tests.bot.test_cli import cli
from tests.bot.test_cli_broadcast import APPROVER, create, province  # noqa: F401 (a fixture)

PAGE, TOKEN = "123456789012345", "EAAGsecret-page-token-from-the-file"


@pytest.mark.timeout(300)  # six CLI processes on a busy machine
async def test_pages_add_refuses_without_a_key_then_links_lists_and_removes(db_url, session_factory, tmp_path, now):
    async with session_factory() as session, session.begin():
        await units.import_units(session, units.rows_from_vietnam_provinces(86), now=now)
    token_file = tmp_path / "page-token.txt"
    token_file.write_text(TOKEN + "\n", encoding="utf-8")
    add = ("pages", "add", "--unit", "29641", "--page-id", PAGE, "--token-file", str(token_file))

    refused = cli(db_url, *add, PAGE_TOKEN_KEY="")
    assert refused.returncode == 2 and "PAGE_TOKEN_KEY is not set" in refused.stderr
    assert "python -m bot pages key" in refused.stderr

    key = cli(db_url, "pages", "key").stdout.strip()
    assert TokenBox(key)  # a usable Fernet key
    linked = cli(db_url, *add, "--name", "MTTQ xã Cái Nhum", PAGE_TOKEN_KEY=key)
    assert linked.returncode == 0, linked.stderr
    assert "stored encrypted" in linked.stdout and TOKEN not in linked.stdout + linked.stderr
    async with session_factory() as session:
        [sealed] = await session.scalars(select(PageToken.token))
    assert TOKEN not in sealed and TokenBox(key).open(sealed) == TOKEN

    listed = cli(db_url, "pages", "list", PAGE_TOKEN_KEY=key)
    assert f"{PAGE}\tMTTQ xã Cái Nhum\t29641 Xã Cái Nhum\tactive" in listed.stdout
    assert TOKEN not in listed.stdout + listed.stderr

    removed = cli(db_url, "pages", "remove", "--page-id", PAGE, PAGE_TOKEN_KEY=key)
    assert removed.returncode == 0 and "unlinked" in removed.stdout
    assert "no Page is linked" in cli(db_url, "pages", "list").stdout


@pytest.mark.timeout(300)
async def test_an_audience_with_pages_gives_each_linked_page_one_delivery(
    db_url, session_factory, province, tmp_path, now  # noqa: F811
):
    key = new_key()
    token_file = tmp_path / "t.txt"
    token_file.write_text(TOKEN, encoding="utf-8")
    for page, code in ((PAGE, "29641"), ("223456789012345", "86")):
        done = cli(db_url, "pages", "add", "--unit", code, "--page-id", page, "--token-file", str(token_file),
                   PAGE_TOKEN_KEY=key)
        assert done.returncode == 0, done.stderr

    off = create(db_url, audience="unit:29641,role:member,chats,pages", PAGE_TOKEN_KEY="")
    assert off.returncode == 2 and "PAGE_TOKEN_KEY is not set" in off.stderr  # nothing here could publish it
    made = create(db_url, audience="unit:29641,role:member,chats,pages", PAGE_TOKEN_KEY=key)
    assert made.returncode == 0, made.stderr
    broadcast_id = made.stdout.strip()
    assert cli(db_url, "broadcast", "approve", broadcast_id, "--as", f"telegram:{APPROVER}").returncode == 0
    sent = cli(db_url, "broadcast", "send", broadcast_id, "--as", f"telegram:{APPROVER}")
    assert sent.returncode == 0, sent.stderr
    async with session_factory() as session:
        rows = (await session.execute(
            select(Delivery.platform, Delivery.chat_id).where(Delivery.broadcast_id == int(broadcast_id))
        )).all()
    assert sorted(chat for platform, chat in rows if platform == "facebook") == [PAGE]  # not the province's
    assert len([1 for platform, _ in rows if platform == "telegram"]) == 3

    bad = create(db_url, audience="unit:29641,page")
    assert bad.returncode == 2 and "pages" in bad.stderr
