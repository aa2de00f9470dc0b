"""The wording of /viec (the to-do list) and of notices settled by someone else."""

from __future__ import annotations

TODO = {
    "title": "Việc cần làm của bạn ({count} việc). Chọn một việc để mở:",
    "empty": "Hiện không có việc nào chờ bạn xử lý.",
    "report": "Duyệt báo cáo {label} – {unit}",
    "broadcast": "Duyệt tin số {id}",
    "issue": "Vụ việc khẩn {reference} – {unit}",
    "feedback": "Phản ánh {reference} – {unit}",
    "open_broadcast": "Tin số {id} đang chờ bạn duyệt.\n\n{text}",
    "open_issue": "Vụ việc khẩn {reference} ở {unit} ({status}):\n{text}",
    "open_feedback": "Phản ánh {reference} ở {unit}:\n{text}",
    "issue_status": {"open": "chưa ai tiếp nhận", "acknowledged": "bạn đã tiếp nhận"},
    "gone": "Việc này không còn chờ bạn nữa. Gõ /viec để xem các việc còn lại.",
}

# What the other admins' copies of a notice become once someone acted (Telegram edits them),
# and the note an old option (on Zalo, a typed number) gets instead of an error.
SETTLED = {
    "report": "Báo cáo {label} của {unit}",
    "broadcast": "Tin số {id}",
    "issue": "Vụ việc khẩn {reference}",
    "feedback": "Phản ánh {reference}",
    "edited": "{what}\nĐã được {who} {verb} lúc {when}.",
    "note_report": "Báo cáo này đã được {who} {verb} lúc {when}.",
    "note_broadcast": "Tin này đã được {who} {verb} lúc {when}.",
    "note_issue": "Vụ việc này đã được {who} {verb} lúc {when}.",
    "note_feedback": "Phản ánh này đã được {who} {verb} lúc {when}.",
    "someone": "một quản trị viên khác",
    "verbs": {
        "accepted": "chấp nhận",
        "returned": "trả lại",
        "approved": "duyệt",
        "rejected": "từ chối",
        "acknowledged": "tiếp nhận",
        "resolved": "xử lý xong",
        "escalated": "chuyển thành vụ việc khẩn",
    },
}
