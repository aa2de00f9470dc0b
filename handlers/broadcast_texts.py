"""What people read about broadcasts, in Vietnamese, in one place for review.

`ERRORS` holds the refusals of `broadcasts.approval` (keys of `UserFacingError`); the
error boundary looks them up next to the other catalogues (merged into `handlers.texts.ERRORS`).
The feature passes statuses and actions as keys; `STATUS_NAMES` and `ACTIONS` word them.
"""

from __future__ import annotations

from broadcasts.store import NO_SENDER
from broadcasts.summary import BroadcastSummary, PageResult
from handlers.page_texts import SUMMARY as PAGE_SUMMARY

ERRORS = {
    "broadcast_not_allowed": "Chỉ quản trị viên cấp tỉnh mới soạn, duyệt và phát tin.",
    "broadcast_gone": "Không tìm thấy tin số {id}.",
    "broadcast_wrong_status": "Tin số {id} đang ở trạng thái “{status}”, không thể {action}.",
    "broadcast_self_approval": "Bạn không thể tự duyệt tin do chính mình soạn. Vui lòng nhờ một quản trị viên cấp tỉnh khác duyệt.",
    "broadcast_empty": "Nội dung tin đang trống. Bạn vui lòng nhập nội dung.",
    "broadcast_too_long": "Nội dung tin dài {length} ký tự, vượt quá {maximum} ký tự cho phép.",
    "broadcast_media_too_large": "Tệp đính kèm quá lớn ({size} MB); tối đa {maximum} MB.",
    "broadcast_no_audience": "Bạn chưa chọn đối tượng nhận tin (đơn vị và vai trò, hoặc nhóm/kênh đã liên kết).",
    "broadcast_unknown_unit": "Không có đơn vị mã “{code}”.",
    "broadcast_unknown_role": "Không có vai trò “{role}”.",
    "broadcast_past_time": "Thời điểm gửi phải ở tương lai.",
    "broadcast_reason_required": "Bạn vui lòng ghi lý do từ chối.",
    "chat_unknown": "Bot chưa được thêm vào nhóm/kênh này.",
    "chat_not_allowed": "Bạn chỉ liên kết được nhóm/kênh với đơn vị mình quản lý.",
    "share_not_for_you": "Tin số {id} không được gửi tới bạn để chia sẻ vào nhóm Zalo (chỉ cán bộ và quản trị viên đơn vị nhận tin mới báo chia sẻ).",
    "share_count": "Số nhóm phải từ 0 đến {maximum}.",
    "broadcast_pages_off": (
        "Chức năng Trang Facebook chưa được bật trên máy chủ (thiếu PAGE_TOKEN_KEY), nên tin không đăng được "
        "lên Trang. Bạn hãy bỏ chọn “Các Trang Facebook đã liên kết”, hoặc nhờ người quản trị máy chủ bật chức năng này."
    ),
}

# The share loop (`handlers/shares.py`): officers say into how many Zalo groups they forwarded a broadcast.
SHARE = {
    "offer": "Đã chia sẻ vào nhóm Zalo",
    "ask": "Tin số {id}: bạn đã chia sẻ vào bao nhiêu nhóm Zalo (của {unit})? Chọn số nhóm, hoặc gõ một số từ 0 đến {maximum} (0 nếu chưa chia sẻ).",
    "previous": "Bạn đã báo {count} nhóm; trả lời lại để sửa.",
    "count_option": "{count} nhóm",
    "recorded": "Đã ghi nhận: tin số {id} được chia sẻ vào {count} nhóm Zalo. Cảm ơn bạn! Nếu chia sẻ thêm, gõ /chiase {id} để sửa số nhóm.",
    "changed": "Đã sửa: tin số {id} được chia sẻ vào {count} nhóm Zalo (trước đó {previous} nhóm).",
    "none": "Đã ghi nhận: bạn chưa chia sẻ tin số {id} vào nhóm Zalo nào.",
    "ask_id": "Bạn gõ /{command} kèm số tin, ví dụ /{command} 12.",
}

STATUS_NAMES = {
    "draft": "bản nháp",
    "pending_approval": "chờ duyệt",
    "approved": "đã duyệt",
    "rejected": "bị từ chối",
    "scheduled": "đã hẹn giờ",
    "sending": "đang gửi",
    "completed": "đã gửi xong",
    "stopped": "đã dừng",
    "cancelled": "đã hủy",
}

ACTIONS = {
    "submit": "gửi duyệt",
    "approve": "duyệt",
    "reject": "từ chối",
    "schedule": "hẹn giờ",
    "send": "phát",
    "cancel": "hủy",
    "stop": "dừng",
    "expand": "phát",
    "revise": "sửa",
}

FAILURE_REASONS = {
    "rejected": "nền tảng từ chối nội dung",
    "transient": "lỗi mạng/máy chủ lặp lại nhiều lần",
    "error": "lỗi hệ thống",
    "no_sender": "máy chủ chưa được cấu hình để gửi qua nền tảng này",
}

SUMMARY = {
    "finished": "Tin số {id} đã gửi xong.",
    "stopped": "Tin số {id} đã dừng gửi.",
    "status": "Tin số {id} – {status}.",
    "sent": "Đã gửi: {count}",
    "pending": "Đang chờ gửi: {count}",
    "failed": "Không gửi được: {count}",
    "failed_reason": "  – {reason}: {count}",
    "unreachable": "Không liên lạc được (đã chặn bot, xóa tài khoản hoặc bot bị mời ra khỏi nhóm): {count}",
    "cancelled": "Đã hủy (không gửi): {count}",
    "total": "Tổng số người/nhóm nhận: {count}",
    "shares": "Chia sẻ vào nhóm Zalo: {groups} nhóm, {people}/{offered} cán bộ đã báo",
    "shares_none": "Chia sẻ vào nhóm Zalo: chưa có cán bộ nào báo (mời {offered} cán bộ; xem lại bằng /trangthai {id})",
    "shares_unit": "  – {unit}: {groups} nhóm ({people} cán bộ)",
    "shares_more": "  – và {count} đơn vị khác: {groups} nhóm",
}
SHARES_LISTED = 10  # units listed by name in the figures; the rest are summed on one line


def summary_text(summary: BroadcastSummary) -> str:
    """The figures of one broadcast, for /trangthai and for the author when it finishes."""
    broadcast_id, status, counts = summary.broadcast_id, summary.status, summary.counts
    if status == "completed":
        head = SUMMARY["finished"].format(id=broadcast_id)
    elif status == "stopped":
        head = SUMMARY["stopped"].format(id=broadcast_id)
    else:
        head = SUMMARY["status"].format(id=broadcast_id, status=STATUS_NAMES.get(status, status))
    lines = [head, SUMMARY["total"].format(count=counts.total), SUMMARY["sent"].format(count=counts.sent)]
    if counts.pending:
        lines.append(SUMMARY["pending"].format(count=counts.pending))
    lines.append(SUMMARY["failed"].format(count=counts.failed_total))
    for reason, count in sorted(counts.failed.items()):
        lines.append(SUMMARY["failed_reason"].format(reason=FAILURE_REASONS.get(reason, reason), count=count))
    lines.append(SUMMARY["unreachable"].format(count=counts.unreachable))
    if counts.cancelled:
        lines.append(SUMMARY["cancelled"].format(count=counts.cancelled))
    if summary.pages:
        lines.append(PAGE_SUMMARY["head"])
        lines.extend(_page_line(page) for page in summary.pages)
    return "\n".join(lines + _share_lines(summary))


def _page_line(page: PageResult) -> str:
    """One Page's line: its post id once posted, else why not."""
    key = {"sent": "posted", "unreachable": "broken"}.get(page.status, page.status)
    if key == "failed" and page.failure == NO_SENDER:  # nothing came from Facebook: Pages are off here
        key = "off"
    return PAGE_SUMMARY.get(key, PAGE_SUMMARY["pending"]).format(
        title=page.title or page.page_id, post_id=page.post_id, reason=page.reason or "—"
    )


def _share_lines(summary: BroadcastSummary) -> list[str]:
    """Officers' shares into Zalo groups, per unit, for content that offered the option."""
    shared = summary.shares
    if not shared.offered:
        return []
    if not shared.units:
        return [SUMMARY["shares_none"].format(offered=shared.offered, id=summary.broadcast_id)]
    lines = [SUMMARY["shares"].format(groups=shared.groups, people=shared.people, offered=shared.offered)]
    listed, rest = shared.units[:SHARES_LISTED], shared.units[SHARES_LISTED:]
    lines += [SUMMARY["shares_unit"].format(unit=u.unit_name, groups=u.groups, people=u.people) for u in listed]
    if rest:
        lines.append(SUMMARY["shares_more"].format(count=len(rest), groups=sum(u.groups for u in rest)))
    return lines
