"""The audit log in words (the web console's "Nhật ký"): one Vietnamese label per action code,
grouped as the page's filter shows them, and how each kind of target and detail reads.

Every code a feature records (`audit.record(session, "<code>", ...)`) has a label here;
`tests/handlers/test_audit_texts.py` fails when one is missing.
"""

from __future__ import annotations

ACTION_GROUPS: tuple[tuple[str, dict[str, str]], ...] = (
    ("Trang quản lý", {
        "console.link": "Lấy liên kết đăng nhập",
        "console.link_refused": "Liên kết đăng nhập bị từ chối",
        "console.sign_in": "Đăng nhập",
        "console.sign_out": "Đăng xuất",
    }),
    ("Người dùng", {
        "person.register": "Đăng ký",
        "role.grant": "Được cấp vai trò",
        "invite.create": "Tạo mã mời",
        "invite.redeem": "Dùng mã mời",
        "link.create": "Tạo mã liên kết tài khoản",
        "identity.link": "Liên kết tài khoản Telegram và Zalo",
        "person.preferred_platform": "Chọn nền tảng nhận tin",
        "code.lockout": "Bị khóa tạm vì nhập sai mã nhiều lần",
        "person.forget": "Xóa dữ liệu cá nhân",
        "unit.email": "Đặt, bỏ hộp thư điện tử của đơn vị",
    }),
    ("Báo cáo", {
        "report.answer": "Nhập câu trả lời báo cáo",
        "report.submit": "Gửi báo cáo",
        "report.accept": "Chấp nhận báo cáo",
        "report.return": "Trả lại báo cáo",
    }),
    ("Tin bài, khảo sát", {
        "broadcast.create": "Soạn tin",
        "broadcast.revise": "Sửa bản nháp tin",
        "broadcast.submit": "Gửi duyệt tin",
        "broadcast.approve": "Duyệt tin",
        "broadcast.reject": "Từ chối tin",
        "broadcast.schedule": "Hẹn giờ gửi tin",
        "broadcast.release": "Bắt đầu gửi tin",
        "broadcast.stop": "Dừng gửi tin",
        "broadcast.cancel": "Hủy tin đã hẹn giờ",
        "poll.create": "Tạo khảo sát",
        "poll.close": "Kết thúc khảo sát",
    }),
    ("Nhóm, kênh, Trang Facebook", {
        "chat.added": "Bot được thêm vào nhóm, kênh",
        "chat.removed": "Bot bị xóa khỏi nhóm, kênh",
        "chat.link": "Liên kết nhóm, kênh với đơn vị",
        "chat.migrate": "Nhóm chuyển thành siêu nhóm",
        "page.link": "Liên kết Trang Facebook với đơn vị",
        "page.unlink": "Gỡ liên kết Trang Facebook",
        "page.broken": "Trang Facebook hỏng liên kết (mã truy cập hết hạn)",
    }),
    ("Phản ánh, vụ việc", {
        "feedback.answer": "Trả lời phản ánh",
        "issue.raise": "Báo vụ việc khẩn",
        "issue.acknowledged": "Tiếp nhận vụ việc khẩn",
        "issue.reply": "Trả lời vụ việc khẩn",
        "issue.resolved": "Giải quyết vụ việc khẩn",
    }),
)
ACTIONS: dict[str, str] = {code: label for _, group in ACTION_GROUPS for code, label in group.items()}

# What an entry acted on; {label} is a name or reference, {key} its id, {unit} a report's unit.
TARGETS = {
    "unit": "{label}",
    "report": "Báo cáo {label} – {unit}",
    "issue": "Vụ việc khẩn {label} – {unit}",
    "feedback": "Phản ánh {label} – {unit}",
    "person": "{label}",
    "broadcast": "Tin số {key}",
    "poll": "Khảo sát số {key}",
    "chat": "Nhóm, kênh “{label}”",
    "account": "Một tài khoản {label}",
}
TARGET_UNKNOWN = {  # the target no longer exists (erased on request), or never had a name
    "person": "Người dân (không lưu tên) hoặc người đã xóa dữ liệu",
    "unit": "Đơn vị {key}",
    "report": "Báo cáo số {key}",
    "issue": "Vụ việc số {key}",
    "feedback": "Phản ánh số {key}",
    "chat": "Nhóm, kênh số {key}",
}

ACTORS = {
    "system": "Hệ thống",
    "citizen": "Người dân (không lưu tên)",
    "forgotten": "Người đã xóa dữ liệu",
}

# Details worth showing, by key; other details stay in the database only.
DETAILS = {
    "role": "Vai trò",
    "unit": "Đơn vị",
    "count": "Số mã",
    "reason": "Lý do",
    "recipients": "Số người nhận",
    "cancelled": "Số tin hủy",
    "wrong_tries": "Số lần nhập sai",
    "late": "Nộp muộn",
    "platform": "Nền tảng",
}
WHY = {"unknown": "liên kết không đúng", "used": "liên kết đã dùng", "expired": "liên kết đã hết hạn",
       "role": "không còn là quản trị viên"}
YES, NO = "có", "không"
