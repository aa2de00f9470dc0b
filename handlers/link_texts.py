"""What /lienket (/link) says: linking a Telegram and a Zalo account, choosing where messages go."""

from __future__ import annotations

LINK = {
    "code": (
        "Mã liên kết của bạn:\n\n{code}\n\n"
        "Trên {other}, bạn nhắn cho bot Kết Nối: /lienket {code}\n"
        "Mã dùng một lần, hết hạn lúc {expires}. Bạn đừng đưa mã này cho người khác."
    ),
    "how_unregistered": (
        "Nếu bạn đã đăng ký Kết Nối trên Telegram hoặc Zalo, hãy gõ /lienket trên tài khoản đó để lấy mã, "
        "rồi gõ /lienket kèm mã ở đây. Nếu chưa đăng ký, bạn gõ /start."
    ),
    "linked": "Đã liên kết tài khoản {platform} này với tài khoản Kết Nối của {name}. Bạn dùng được mọi lệnh như trên {other}.",
    "you": "bạn",
    "already_both": "Tài khoản Telegram và Zalo của bạn đã được liên kết. Thông báo hiện gửi qua {platform}.",
    "ask_platform": "Bạn muốn nhận thông báo và nhắc việc qua đâu? Mỗi thông báo chỉ gửi cho bạn một lần.",
    "platform_set": "Từ nay Kết Nối gửi thông báo cho bạn qua {platform}.",
    "notice_linked": (
        "Tài khoản {platform} vừa được liên kết với tài khoản Kết Nối của bạn. "
        "Nếu không phải bạn làm, bạn hãy báo ngay cho quản trị viên."
    ),
}
