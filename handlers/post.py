"""/dangtin (/post): a province admin drafts outreach content, previews it, and sends it for approval.

Another province admin approves (now or at a time) or rejects it with a reason, from buttons
on the notice; only approved content is ever expanded into deliveries. /trangthai shows the
figures; /dungtin stops a running broadcast and /huytin cancels a scheduled one.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.core.buttons import button_data
from bot.core.errors import UserFacingError
from bot.core.formatting import local_time
from bot.core.forms import Question
from bot.core.messages import Choice, Document, Incoming, Outgoing, Photo
from bot.core.numbers import typed_id
from bot.services.people.reachable import Reachable, account_of
from bot.services.people.units import fold, unit_by_code
from broadcasts import approval as service
from broadcasts.audience import Audience
from broadcasts.summary import build_summary
from broadcasts.text import clean_html, has_formatting, html_to_text
from handlers import post_texts as t
from handlers import settled
from handlers.answers import InvalidAnswer, OneOf, Text
from handlers.broadcast_texts import STATUS_NAMES, summary_text
from handlers.flow import Context, Flow, FlowEngine, Goto, Step
from handlers.questions import QuestionAnswer
from handlers.todo_texts import SETTLED
from handlers.unit_answer import UNIT_PREFIX, UnitAnswer
from storage.models import Broadcast, BroadcastStatus, Role, Unit

MAX_TEXT = 4000
CHATS = "chats"
PAGES = "pages"  # the linked Facebook Pages
ROLE_LABELS = {
    Role.OFFICER: t.POST["role_officer"],
    Role.UNIT_ADMIN: t.POST["role_unit_admin"],
    Role.MEMBER: t.POST["role_member"],
    Role.CITIZEN: t.POST["role_citizen"],
}
# Polls go to people and chats (their options are buttons); content may also go to Facebook Pages.
CHAT_AUDIENCE = Question(
    key="roles", type="multi_choice", prompt=t.POST["ask_roles"], label="",
    options=(*(Choice(role.value, label) for role, label in ROLE_LABELS.items()), Choice(CHATS, t.POST["role_chats"])),
)
AUDIENCE = Question(
    key="roles", type="multi_choice", prompt=t.POST["ask_roles"], label="",
    options=(*CHAT_AUDIENCE.options, Choice(PAGES, t.POST["role_pages"])),
)
SUBMIT, REWRITE, DROP, NO_MEDIA = "submit", "rewrite", "drop", "no-media"
# Actions of the buttons on an approver's notice (data: `<prefix>:<broadcast id>`).
APPROVE_NOW, APPROVE_LATER, REJECT_BUTTON = "bc:ok", "bc:later", "bc:no"


def audience_of(answers: dict[str, Any]) -> Audience:
    chosen = answers["q:roles"]
    return Audience(
        units=(answers["unit"],), roles=tuple(r for r in chosen if r not in (CHATS, PAGES)),
        include_linked_chats=CHATS in chosen, include_pages=PAGES in chosen,
    )


def describe_roles(roles: list[str]) -> str:
    labels = {c.value: c.label for c in AUDIENCE.options}
    return ", ".join(_lower_first(labels[r]) for r in roles)


def _lower_first(label: str) -> str:
    """"Các Trang Facebook đã liên kết" reads "các Trang Facebook đã liên kết" mid-sentence."""
    return label[:1].lower() + label[1:]


async def _unit_name(ctx: Context, code: str) -> str:
    return (await unit_by_code(ctx.session, code)).name


async def _preview(ctx: Context, answers: dict[str, Any]) -> str:
    """Shown under the content itself (sent just before, exactly as recipients will get it)."""
    count = await service.preview_audience(ctx.session, audience_of(answers))
    foot = t.POST["preview_foot"].format(
        topic=t.POST[answers["topic"]], unit=await _unit_name(ctx, answers["unit"]),
        roles=describe_roles(answers["q:roles"]), count=count,
    )
    return f"{t.POST['preview_head']}\n{foot}\n\n{t.POST['ask_confirm']}"


async def content_of(ctx: Context, answers: dict[str, Any]) -> Outgoing:
    """The content as recipients will get it: formatted text, and the photo or file, if any."""
    text = answers.get("html") or answers["text"]
    media = answers.get("media")
    if media is None or ctx.config.fetch_file is None:
        return Outgoing(text, html=bool(answers.get("html")))
    data = await ctx.config.fetch_file(media["platform"], media["file_id"])
    if media["kind"] == "photo":
        return Outgoing(text, photo=Photo(data, "anh.jpg"), html=bool(answers.get("html")))
    return Outgoing(text, document=Document(data, media["name"] or "tep-dinh-kem"), html=bool(answers.get("html")))


class MediaAnswer:
    """One photo or document to send along, or none."""

    def options(self, answers: dict[str, Any]) -> tuple[Choice, ...]:
        return (Choice(NO_MEDIA, t.POST["no_media"]),)

    async def parse(self, incoming: Incoming, answers: dict[str, Any], ctx: Context) -> dict[str, Any] | None:
        if incoming.choice == NO_MEDIA or fold(incoming.text or "") == fold(t.POST["no_media"]):
            return None
        for attachment in incoming.attachments:
            return {"platform": incoming.platform, "kind": attachment.kind, "file_id": attachment.file_id,
                    "name": attachment.file_name}
        raise InvalidAnswer("need_media")


async def roots_of(ctx: Context, answers: dict[str, Any]) -> list[Unit]:
    return ctx.actor.units_with(Role.PROVINCE_ADMIN)


def offered_roots(answers: dict[str, Any]) -> list[Choice]:
    return [Choice(UNIT_PREFIX + code, name) for code, name in answers["_roots"]]


def check_pages_on(ctx: Context, audience: Audience) -> None:
    """Content for the Pages needs a deployment that can publish there (PAGE_TOKEN_KEY): refused
    while it is composed, not failed after approval."""
    if audience.include_pages and ctx.config.page_box is None:
        raise UserFacingError("broadcast_pages_off")


async def _on_answer(ctx: Context, step: str, value: Any, answers: dict[str, Any]) -> Goto | None:
    if step == "text":  # keep the author's bold, italics and links
        answers["html"] = ctx.incoming.html
    if step == "q:roles":  # the content itself first, exactly as recipients will get it
        check_pages_on(ctx, audience_of(answers))
        return Goto("confirm", before=(await content_of(ctx, answers),))
    if step == "confirm" and value == REWRITE:
        return Goto("text")
    return None


async def _finish(ctx: Context, answers: dict[str, Any]) -> list[Outgoing]:
    if answers.get("confirm") != SUBMIT:
        return [Outgoing(t.POST["dropped"])]
    content = await content_of(ctx, answers)
    return await submit_content(ctx, content, topic=answers["topic"], audience=audience_of(answers),
                                text=answers["text"])


async def submit_content(ctx: Context, content: Outgoing, *, topic: str, audience: Audience,
                         text: str) -> list[Outgoing]:
    """Content as recipients will get it goes for approval (the last step of /dangtin).

    `text` is the content's words as the approvers' notice quotes them."""
    check_pages_on(ctx, audience)
    broadcast = await service.create(
        ctx.session, ctx.actor, text=content.text, audience=audience, now=ctx.now,
        topic=topic, photo=content.photo, document=content.document, html=content.html,
    )
    return await send_for_approval(ctx, broadcast, text)


async def send_for_approval(ctx: Context, broadcast: Broadcast, text: str) -> list[Outgoing]:
    """Submit a draft: the other province admins get it with their buttons, or, where the
    province allows self-approval and nobody else could approve, it goes out at once."""
    await service.submit(ctx.session, ctx.actor, broadcast.id, now=ctx.now)
    if ctx.config.allow_self_approval and not await _other_approvers(ctx):
        await service.approve(ctx.session, ctx.actor, broadcast.id, now=ctx.now, allow_self_approval=True)
        count = await service.expand(ctx.session, broadcast, now=ctx.now, actor_id=ctx.actor.person.id)
        ctx.after_commit.append(ctx.config.wake_outbox)
        return [Outgoing(t.POST["self_approved"].format(id=broadcast.id, count=count))]
    await ask_approvers(ctx, broadcast.id, Audience.from_json(broadcast.audience), text)
    return [Outgoing(t.POST["submitted"].format(id=broadcast.id))]


async def save_draft(ctx: Context, *, text: str, topic: str, audience: Audience,
                     media: Photo | Document | None = None, keep_media: bool = False,
                     draft_id: int | None = None) -> tuple[Broadcast, list[Outgoing]]:
    """The web console's draft: `text` may carry Telegram's formatting as HTML, cleaned here as
    Telegram will take it; a new draft, or the author's draft `draft_id` rewritten."""
    check_pages_on(ctx, audience)
    cleaned = clean_html(text)
    formatted = has_formatting(cleaned)
    plain = html_to_text(cleaned)
    if len(plain) > MAX_TEXT:
        raise UserFacingError("broadcast_too_long", length=len(plain), maximum=MAX_TEXT)
    photo = media if isinstance(media, Photo) else None
    document = media if isinstance(media, Document) else None
    stored = cleaned if formatted else plain
    if draft_id is None:
        broadcast = await service.create(ctx.session, ctx.actor, text=stored, audience=audience, now=ctx.now,
                                         topic=topic, photo=photo, document=document, html=formatted)
    else:
        broadcast = await service.revise(ctx.session, ctx.actor, draft_id, text=stored, audience=audience,
                                         now=ctx.now, topic=topic, photo=photo, document=document,
                                         keep_media=keep_media, html=formatted)
    return broadcast, [Outgoing(t.POST["draft_saved"].format(id=broadcast.id))]


async def submit_draft(ctx: Context, broadcast_id: int) -> list[Outgoing]:
    """The author sends their draft for approval (the web console's "Gửi duyệt")."""
    broadcast = await service.get(ctx.session, broadcast_id)
    if broadcast.author_id != ctx.actor.person_id:
        raise UserFacingError("broadcast_not_allowed")
    text = html_to_text(broadcast.text) if broadcast.html else broadcast.text
    return await send_for_approval(ctx, broadcast, text)


def audience_roles(audience: Audience) -> list[str]:
    """The audience's roles (and linked chats and Pages) as the /dangtin question's values, in its order."""
    chosen = {*audience.roles, *([CHATS] if audience.include_linked_chats else []),
              *([PAGES] if audience.include_pages else [])}
    return [option.value for option in AUDIENCE.options if option.value in chosen]


async def ask_approvers(ctx: Context, broadcast_id: int, audience: Audience, text: str) -> None:
    """The other province admins get the content with approve / schedule / reject buttons."""
    names = [await _unit_name(ctx, code) for code in audience.units]
    notice = t.POST["to_approver"].format(
        id=broadcast_id, author=ctx.actor.person.full_name or "—",
        count=await service.preview_audience(ctx.session, audience),
        unit=", ".join(names), roles=describe_roles(audience_roles(audience)), text=text,
    )
    choices = approval_choices(broadcast_id)
    for identity in await _other_approvers(ctx):
        ctx.notices.append(Outgoing(notice, choices=choices, chat_id=identity.chat_id, platform=identity.platform,
                                    about=("broadcast", broadcast_id)))


def approval_choices(broadcast_id: int) -> tuple[Choice, ...]:
    return (
        Choice(button_data(APPROVE_NOW, broadcast_id), t.POST["approve_now"]),
        Choice(button_data(APPROVE_LATER, broadcast_id), t.POST["approve_later"]),
        Choice(button_data(REJECT_BUTTON, broadcast_id), t.POST["reject"]),
    )


async def decided_note(ctx: Context, broadcast_id: int) -> list[Outgoing] | None:
    """An old approval button of content another admin already approved or rejected: say so."""
    broadcast = await service.get(ctx.session, broadcast_id)
    if broadcast.status == BroadcastStatus.REJECTED:
        return await settled.note(ctx, "broadcast", "rejected", None, broadcast.updated_at)
    if broadcast.approved_at is None:  # still waiting, or cancelled before anyone decided
        return None
    return await settled.note(ctx, "broadcast", "approved", broadcast.approved_by, broadcast.approved_at)


async def _settle_copies(ctx: Context, broadcast_id: int, verb: str) -> None:
    await settled.update_copies(ctx, ("broadcast", broadcast_id), SETTLED["broadcast"].format(id=broadcast_id), verb)


async def _other_approvers(ctx: Context) -> list[Reachable]:
    return await service.other_approvers(ctx.session, ctx.actor)


POST = Flow(
    name="post",
    steps=(
        Step("text", t.POST["ask_text"].format(maximum=MAX_TEXT), Text(maximum=MAX_TEXT, minimum=5)),
        Step("media", t.POST["ask_media"], MediaAnswer()),
        Step("topic", t.POST["ask_topic"], OneOf((Choice("focal", t.POST["focal"]), Choice("regular", t.POST["regular"])))),
        Step("unit", t.POST["ask_unit"], UnitAnswer(roots_of, offered=offered_roots)),
        Step("q:roles", t.POST["ask_roles"], QuestionAnswer(AUDIENCE)),
        Step("confirm", _preview, OneOf((Choice(SUBMIT, t.POST["submit"]), Choice(REWRITE, t.POST["rewrite"]),
                                        Choice(DROP, t.POST["drop"])))),
    ),
    finish=_finish,
    on_answer=_on_answer,
    jumps={"q:roles": ("confirm",), "confirm": ("text", None)},
)


async def post_command(ctx: Context, engine: FlowEngine) -> list[Outgoing]:
    service.require_province_admin(ctx.actor)
    roots = [[u.code, u.name] for u in ctx.actor.units_with(Role.PROVINCE_ADMIN)]
    return await engine.start(ctx, POST.name, {"_roots": roots})


# --------------------------------------------------------------------------- approval buttons

async def _author_notice(ctx: Context, broadcast, text: str) -> None:
    author = await account_of(ctx.session, broadcast.author_id)
    if author is not None:
        ctx.notices.append(Outgoing(text, chat_id=author.chat_id, platform=author.platform))


async def approve_now_action(ctx: Context, engine: FlowEngine, broadcast_id: int) -> list[Outgoing]:
    service.require_province_admin(ctx.actor)
    if (decided := await decided_note(ctx, broadcast_id)) is not None:
        return decided
    broadcast = await service.approve(ctx.session, ctx.actor, broadcast_id, now=ctx.now,
                                      allow_self_approval=ctx.config.allow_self_approval)
    count = await service.expand(ctx.session, broadcast, now=ctx.now, actor_id=ctx.actor.person.id)
    ctx.after_commit.append(ctx.config.wake_outbox)
    await _author_notice(ctx, broadcast, t.POST["to_author_approved"].format(id=broadcast.id))
    await _settle_copies(ctx, broadcast.id, "approved")
    return [Outgoing(t.POST["approved_sending"].format(id=broadcast.id, count=count))]


async def approve_later_action(ctx: Context, engine: FlowEngine, broadcast_id: int) -> list[Outgoing]:
    broadcast = await service.get(ctx.session, broadcast_id)
    service.require_province_admin(ctx.actor)
    if (decided := await decided_note(ctx, broadcast_id)) is not None:
        return decided
    return await engine.start(ctx, SCHEDULE.name, {"_id": broadcast.id})


async def reject_action(ctx: Context, engine: FlowEngine, broadcast_id: int) -> list[Outgoing]:
    broadcast = await service.get(ctx.session, broadcast_id)
    service.require_province_admin(ctx.actor)
    if (decided := await decided_note(ctx, broadcast_id)) is not None:
        return decided
    return await engine.start(ctx, REJECT.name, {"_id": broadcast.id})


async def _finish_reject(ctx: Context, answers: dict[str, Any]) -> list[Outgoing]:
    return await reject_content(ctx, answers["_id"], answers["reason"])


async def reject_content(ctx: Context, broadcast_id: int, reason: str) -> list[Outgoing]:
    """Reject content with a reason: the author is told, the other admins' copies settled."""
    service.require_province_admin(ctx.actor)
    if (decided := await decided_note(ctx, broadcast_id)) is not None:
        return decided
    broadcast = await service.reject(ctx.session, ctx.actor, broadcast_id, reason, now=ctx.now)
    await _author_notice(ctx, broadcast, t.POST["to_author_rejected"].format(id=broadcast.id, reason=reason))
    await _settle_copies(ctx, broadcast.id, "rejected")
    return [Outgoing(t.POST["rejected"].format(id=broadcast.id))]


REJECT = Flow(
    name="post_reject",
    steps=(Step("reason", lambda ctx, a: t.POST["ask_reason"].format(id=a["_id"]), Text(maximum=500, minimum=3)),),
    finish=_finish_reject,
)

_WHEN = re.compile(r"^\s*([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})\s+([0-9]{1,2})[:hg]([0-9]{2})\s*$")


class LocalTime:
    """A date and time typed the Vietnamese way ('27/11/2026 07:30'), stored as UTC ISO text."""

    def options(self, answers: dict[str, Any]) -> tuple[Choice, ...]:
        return ()

    async def parse(self, incoming: Incoming, answers: dict[str, Any], ctx: Context) -> str:
        text = (incoming.text or "").strip()
        match = _WHEN.match(text)
        try:
            day, month, year, hour, minute = (int(g) for g in match.groups()) if match else (0,) * 5
            moment = datetime(year, month, day, hour, minute, tzinfo=ZoneInfo(ctx.config.tz_name))
        except ValueError:
            raise InvalidAnswer("bad_time", text=text[:40]) from None
        if moment <= ctx.now:
            raise InvalidAnswer("past_time")
        return moment.isoformat()


async def _finish_schedule(ctx: Context, answers: dict[str, Any]) -> list[Outgoing]:
    return await approve_at(ctx, answers["_id"], datetime.fromisoformat(answers["when"]))


async def approve_at(ctx: Context, broadcast_id: int, send_at: datetime) -> list[Outgoing]:
    """Approve content to go out at `send_at`: the author is told, the other admins' copies settled."""
    service.require_province_admin(ctx.actor)
    if (decided := await decided_note(ctx, broadcast_id)) is not None:
        return decided
    broadcast = await service.approve(ctx.session, ctx.actor, broadcast_id, now=ctx.now,
                                      allow_self_approval=ctx.config.allow_self_approval)
    await service.schedule(ctx.session, ctx.actor, broadcast.id, send_at, now=ctx.now)
    when = local_time(send_at, ctx.config.tz_name)
    await _settle_copies(ctx, broadcast.id, "approved")
    await _author_notice(ctx, broadcast, t.POST["to_author_scheduled"].format(id=broadcast.id, when=when))
    return [Outgoing(t.POST["scheduled"].format(id=broadcast.id, when=when))]


SCHEDULE = Flow(
    name="post_schedule",
    steps=(Step("when", lambda ctx, a: t.POST["ask_time"].format(id=a["_id"]), LocalTime()),),
    finish=_finish_schedule,
)

ACTIONS = {APPROVE_NOW: approve_now_action, APPROVE_LATER: approve_later_action, REJECT_BUTTON: reject_action}


# --------------------------------------------------------------------------- status, stop, cancel

def _broadcast_id(ctx: Context, command: str) -> int | None:
    if not ctx.incoming.args:
        return None
    broadcast_id = typed_id(ctx.incoming.args[0])
    if broadcast_id is None:
        raise UserFacingError("broadcast_gone", id=ctx.incoming.args[0][:12])
    return broadcast_id


async def status_command(ctx: Context, engine: FlowEngine) -> list[Outgoing]:
    service.require_province_admin(ctx.actor)
    broadcast_id = _broadcast_id(ctx, "trangthai")
    if broadcast_id is None:
        latest = await service.recent(ctx.session)
        if not latest:
            return [Outgoing(t.POST["none"])]
        lines = [t.POST["recent"]] + [
            t.POST["recent_line"].format(id=b.id, status=STATUS_NAMES.get(b.status, b.status),
                                         text=b.text[:60] + ("…" if len(b.text) > 60 else ""))
            for b in latest
        ]
        return [Outgoing("\n".join(lines))]
    await service.get(ctx.session, broadcast_id)
    return [Outgoing(summary_text(await build_summary(ctx.session, broadcast_id)))]


async def stop_command(ctx: Context, engine: FlowEngine) -> list[Outgoing]:
    broadcast_id = _broadcast_id(ctx, "dungtin")
    if broadcast_id is None:
        return [Outgoing(t.POST["ask_id"].format(command="dungtin"))]
    return await stop_broadcast(ctx, broadcast_id)


async def stop_broadcast(ctx: Context, broadcast_id: int) -> list[Outgoing]:
    """Stop a running broadcast (/dungtin N): what was sent stays sent, the rest is cancelled."""
    await service.stop(ctx.session, ctx.actor, broadcast_id, now=ctx.now)
    ctx.after_commit.append(lambda: ctx.config.outbox_stopped(broadcast_id))
    return [Outgoing(t.POST["stopped"].format(id=broadcast_id))]


async def cancel_command(ctx: Context, engine: FlowEngine) -> list[Outgoing]:
    broadcast_id = _broadcast_id(ctx, "huytin")
    if broadcast_id is None:
        return [Outgoing(t.POST["ask_id"].format(command="huytin"))]
    return await cancel_broadcast(ctx, broadcast_id)


async def cancel_broadcast(ctx: Context, broadcast_id: int) -> list[Outgoing]:
    """Withdraw a broadcast before it goes out (/huytin N): nothing is sent."""
    await service.cancel(ctx.session, ctx.actor, broadcast_id, now=ctx.now)
    return [Outgoing(t.POST["cancelled"].format(id=broadcast_id))]


