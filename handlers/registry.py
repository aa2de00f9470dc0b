"""The commands and flows KetNoi knows, assembled in one place."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.messages import Outgoing
from bot.core.meter import NO_METER, Meter
from handlers import (
    account,
    chats,
    deadlines,
    desk,
    feedback,
    invite,
    link,
    mailbox,
    pages,
    polls,
    post,
    progress,
    report,
    review,
    shares,
    start,
    texts,
    todo,
)
from handlers.catalogue import EVERYONE, REGISTERED, Catalogue, Command
from handlers.dispatch import Dispatcher
from handlers.flow import Context, Flow, FlowEngine, HandlerConfig
from storage.models import Role


async def _cancel(ctx: Context, engine: FlowEngine) -> list[Outgoing]:
    conv, _ = await engine.current(ctx)
    if conv is None:
        return [Outgoing(texts.FLOW["nothing_to_cancel"])]
    return await engine.cancel(ctx, conv)


async def _back(ctx: Context, engine: FlowEngine) -> list[Outgoing]:
    conv, _ = await engine.current(ctx)
    if conv is None:
        return [Outgoing(texts.FLOW["nothing_to_cancel"])]
    return await engine.back(ctx, conv)


D = texts.COMMANDS
ADMINS = frozenset({Role.PROVINCE_ADMIN, Role.UNIT_ADMIN})
FILERS = frozenset({Role.OFFICER, Role.UNIT_ADMIN})
PROVINCE = frozenset({Role.PROVINCE_ADMIN})
POLLED = frozenset(post.ROLE_LABELS)  # the roles a broadcast (and so a poll) can be sent to


def build_catalogue(feedback_deps: feedback.FeedbackDeps | None = None) -> Catalogue:
    """Every command; the feedback command counts against `feedback_deps`' limit (the root's)."""
    feedback_deps = feedback_deps or feedback.FeedbackDeps.from_config()
    return Catalogue(
        [
            Command("start", "batdau", EVERYONE, start.start_command, D["start"], manages_flow=True,
                    phrases=("bắt đầu", "đăng ký")),
            Command("help", "trogiup", EVERYONE, account.help_command, D["help"], phrases=("trợ giúp", "hướng dẫn")),
            Command("report", "baocao", FILERS, report.report_command, D["report"], manages_flow=True,
                    phrases=("báo cáo", "làm báo cáo", "nộp báo cáo")),
            Command("feedback", "phananh", EVERYONE, feedback.feedback_command(feedback_deps), D["feedback"], manages_flow=True,
                    phrases=("phản ánh", "góp ý")),
            Command("observe", "ghinhan", FILERS, feedback.observe_command, D["observe"], manages_flow=True),
            Command("urgent", "khancap", FILERS, feedback.urgent_command, D["urgent"], manages_flow=True),
            Command("sentiment", "duluan", ADMINS, feedback.sentiment_command, D["sentiment"]),
            Command("deadlines", "hannop", FILERS | ADMINS, deadlines.deadlines_command, D["deadlines"],
                    phrases=("hạn nộp",)),
            Command("progress", "tiendo", ADMINS, progress.progress_command, D["progress"], manages_flow=True,
                    phrases=("tiến độ",)),
            Command("export", "xuat", ADMINS, progress.export_command, D["export"], manages_flow=True,
                    phrases=("xuất báo cáo", "xuất excel")),
            Command("post", "dangtin", PROVINCE, post.post_command, D["post"], manages_flow=True,
                    phrases=("đăng tin",)),
            Command("poll", "thamdo", PROVINCE, polls.poll_command, D["poll"], manages_flow=True),
            Command("results", "ketqua", PROVINCE, polls.results_command, D["results"]),
            Command("closepoll", "dongthamdo", PROVINCE, polls.close_command, D["close_poll"]),
            Command("vote", polls.COMMAND, POLLED, polls.answer_command, D["vote"], phrases=("khảo sát",),
                    own_question=True),
            Command("share", shares.service.COMMAND, FILERS, shares.share_command, D["share"], manages_flow=True,
                    in_menu=False),
            Command("status", "trangthai", PROVINCE, post.status_command, D["status"]),
            Command("stop", "dungtin", PROVINCE, post.stop_command, D["stop"]),
            Command("mailbox", mailbox.COMMAND, PROVINCE, mailbox.mailbox_command, D["mailbox"]),
            Command("unsend", "huytin", PROVINCE, post.cancel_command, D["unsend"]),
            Command("linkchat", "lienketnhom", ADMINS, chats.link_chat_command, D["linkchat"], manages_flow=True),
            Command("pages", "fanpage", PROVINCE, pages.pages_command, D["pages"]),
            Command("invite", "moi", ADMINS, invite.invite_command, D["invite"], manages_flow=True,
                    phrases=("tạo mã mời",)),
            Command("home", "noio", frozenset({Role.CITIZEN}), start.home_command, D["home"], manages_flow=True,
                    phrases=("đổi nơi ở", "nơi ở")),
            Command("todo", todo.COMMAND, ADMINS, todo.todo_command, D["todo"],
                    phrases=("việc cần làm", "việc"), own_question=True),
            Command("web", desk.COMMAND, ADMINS, desk.web_command, D["web"],
                    phrases=("trang quản lý", "quản lý")),
            Command("me", "toi", REGISTERED, account.me_command, D["me"], phrases=("thông tin của tôi",)),
            Command("link", "lienket", EVERYONE, link.link_command, D["link"], manages_flow=True,
                    phrases=("liên kết", "liên kết tài khoản")),
            Command("forget", "xoadulieu", REGISTERED, account.forget_command, D["forget"], manages_flow=True,
                    phrases=("xóa dữ liệu",)),
            Command("back", "quaylai", EVERYONE, _back, D["back"], manages_flow=True,
                    phrases=("quay lại",), in_flows=True),
            Command("cancel", "huy", EVERYONE, _cancel, D["cancel"], manages_flow=True,
                    phrases=("hủy", "hủy bỏ"), in_flows=True),
        ]
    )


def build_flows(feedback_deps: feedback.FeedbackDeps | None = None) -> list[Flow]:
    feedback_deps = feedback_deps or feedback.FeedbackDeps.from_config()
    return [start.REGISTER, start.HOME, account.FORGET, invite.INVITE, review.RETURN, progress.PROGRESS, progress.EXPORT,
            link.CHOOSE_PLATFORM, post.POST, post.REJECT, post.SCHEDULE, polls.POLL, chats.LINK_CHAT, shares.SHARE,
            feedback.feedback_flow(feedback_deps), feedback.OBSERVE, feedback.URGENT, feedback.REPLY, feedback.ANSWER,
            *report.report_flows()]


def build_dispatcher(
    session_factory: async_sessionmaker[AsyncSession],
    config: HandlerConfig,
    clock: Callable[[], datetime],
    feedback_deps: feedback.FeedbackDeps | None = None,
    meter: Meter = NO_METER,
) -> Dispatcher:
    """Everything the chat knows, wired together (used by the app and by tests alike).

    The feedback command and flow share one limiter: the root's, or a fresh one from the config.
    """
    feedback_deps = feedback_deps or feedback.FeedbackDeps.from_config()
    return Dispatcher(
        session_factory, FlowEngine(build_flows(feedback_deps)), build_catalogue(feedback_deps), config, clock,
        actions={**review.ACTIONS, **feedback.ACTIONS, **post.ACTIONS, **polls.ACTIONS}, meter=meter,
    )
