from datetime import timedelta

from sqlalchemy import func, select

from bot.services.people.housekeeping import prune
from storage.models import CodeTry, Conversation, ProcessedUpdate


async def test_old_update_ids_finished_conversations_and_old_wrong_codes_are_pruned(session_factory, now):
    async with session_factory() as session, session.begin():
        session.add_all([
            ProcessedUpdate(platform="telegram", update_id="old", processed_at=now - timedelta(days=8)),
            ProcessedUpdate(platform="telegram", update_id="new", processed_at=now - timedelta(hours=1)),
            CodeTry(platform="zalo", external_id="z1", at=now - timedelta(minutes=61)),  # no longer counts
            CodeTry(platform="zalo", external_id="z1", at=now - timedelta(minutes=59)),
        ])
        for status, age in (("completed", 31), ("completed", 1), ("waiting", 60)):
            session.add(Conversation(
                platform="telegram", user_id="1", chat_id="1", flow="register", step="consent", answers={},
                history=[], status=status, created_at=now - timedelta(days=age),
                updated_at=now - timedelta(days=age), expires_at=now,
            ))
    async with session_factory() as session, session.begin():
        pruned = await prune(session, now)
    assert (pruned.update_ids, pruned.conversations, pruned.code_tries) == (1, 1, 1)
    async with session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(ProcessedUpdate)) == 1
        assert await session.scalar(select(func.count()).select_from(Conversation)) == 2
        assert await session.scalar(select(func.count()).select_from(CodeTry)) == 1
