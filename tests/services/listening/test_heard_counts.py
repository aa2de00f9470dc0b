"""What the web console's overview counts of listening: the week's feedback and observations by
category and tone (counted in the database), and the urgent issues not resolved yet."""

from __future__ import annotations

from datetime import timedelta

from bot.services.listening.sentiment import heard_counts, items_in, open_issues
from bot.services.people.units import get_unit_by_code
from storage.models import Feedback, Observation, UrgentIssue
from tests.services.reporting.test_rollup import import_tra_vinh, units_below


async def test_counts_agree_with_the_items_and_keep_to_the_subtree_and_the_days(session_factory, now):
    await import_tra_vinh(session_factory, now)
    async with session_factory() as session:
        below = await units_below(session, "84")
        inside = next(u for u in below if u.code == "842")
        commune_inside = next(u for u in below if u.parent_id == inside.id)
        outside = next(u for u in below if u.level == 2 and not u.path.startswith(inside.path))
        rows = [
            (commune_inside, 1, "datdai", "negative"), (commune_inside, 2, "datdai", None),
            (inside, 3, "yte", "positive"), (outside, 1, "datdai", "negative"),
            (commune_inside, 8, "giaca", "negative"),  # before the week
        ]
        for n, (unit, days, category, tone) in enumerate(rows):
            session.add(Feedback(reference=f"PA-{n}", unit_id=unit.id, category=category, tone=tone, text="…",
                                 created_at=now - timedelta(days=days)))
        session.add(Observation(unit_id=commune_inside.id, category="yte", tone="neutral", text="…",
                                people_count=3, created_at=now - timedelta(days=1)))
        await session.commit()
        start = now - timedelta(days=7)
        district = await get_unit_by_code(session, "842")
        heard = await heard_counts(session, district, start, now)
        items = await items_in(session, district, start, now)
        province = await heard_counts(session, await get_unit_by_code(session, "84"), start, now)

    assert heard.total == len(items) == 4
    assert heard.by_category == {"datdai": 2, "yte": 2}
    assert heard.by_tone == {"negative": 1, "unknown": 1, "positive": 1, "neutral": 1}
    assert province.total == 5 and province.by_category["datdai"] == 3


async def test_open_issues_are_those_not_resolved_oldest_first(session_factory, now):
    await import_tra_vinh(session_factory, now)
    async with session_factory() as session:
        below = await units_below(session, "84")
        district = await get_unit_by_code(session, "842")
        mine = [u for u in below if u.path.startswith(district.path)]
        other = next(u for u in below if not u.path.startswith(district.path))
        for n, (unit, status, hours) in enumerate([
            (mine[1], "open", 1), (mine[2], "acknowledged", 5), (mine[1], "resolved", 9), (other, "open", 2),
            (mine[0], "open", 3),
        ]):
            session.add(UrgentIssue(reference=f"KC-{n}", unit_id=unit.id, category="khac", text="…", status=status,
                                    created_at=now - timedelta(hours=hours)))
        await session.commit()
        count, oldest = await open_issues(session, district, limit=2)
        everywhere, _ = await open_issues(session, await get_unit_by_code(session, "84"))
    assert count == 3 and [i.reference for i in oldest] == ["KC-1", "KC-4"]
    assert everywhere == 4
