"""What people read about Facebook Pages, in Vietnamese, in one place for review."""

from __future__ import annotations

ERRORS = {
    "page_bad_id": "Mã Trang “{page_id}” không hợp lệ: mã Trang Facebook chỉ gồm các chữ số.",
    "page_bad_token": "Mã truy cập Trang (token) không hợp lệ: hãy dán nguyên mã, không có khoảng trắng.",
}

PAGES = {
    "broken": (
        "⚠️ Trang Facebook “{title}” (mã {page_id}) của {unit} đã ngừng nhận tin: Facebook báo mã truy cập "
        "của Trang đã hết hạn, bị thu hồi hoặc thiếu quyền đăng bài (Facebook: {reason}).\n"
        "Cách khắc phục: quản trị viên của Trang lấy mã truy cập Trang mới (có quyền pages_manage_posts và "
        "pages_read_engagement), rồi liên kết lại bằng lệnh /fanpage them {unit_code} {page_id} <mã truy cập> "
        "trong tin nhắn riêng với bot (hoặc trên máy chủ: python -m bot pages add --unit {unit_code} "
        "--page-id {page_id} --token-file <tệp chứa mã>). Các tin sau sẽ được đăng lên Trang như cũ."
    ),
    "list_head": "Các Trang Facebook đã liên kết:",
    "list_line": "• {title} (mã {page_id}) – {unit}: {state}",
    "active": "đang hoạt động",
    "broken_state": "hỏng từ {at} – cần liên kết lại với mã truy cập mới",
    "stopped_state": "không nhận tin – cần liên kết lại với mã truy cập mới",
    "none": "Chưa có Trang Facebook nào được liên kết.",
    "usage": (
        "Liên kết Trang Facebook (Fanpage) với đơn vị, để tin đã duyệt được đăng lên Trang:\n"
        "• /fanpage – xem các Trang đã liên kết\n"
        "• /fanpage them <mã đơn vị> <mã Trang> <mã truy cập> – liên kết (chỉ trong tin nhắn riêng với bot)\n"
        "• /fanpage xoa <mã Trang> – gỡ liên kết\n"
        "Mã truy cập được lưu đã mã hóa và không bao giờ hiện lại."
    ),
    "linked": (
        "Đã liên kết Trang {page_id} với {unit}. Mã truy cập được lưu đã mã hóa, không hiện lại ở đâu."
    ),
    "linked_delete": "Vì an toàn, bạn hãy xóa tin nhắn chứa mã truy cập vừa gửi.",
    "linked_deleted": "Vì an toàn, bot đã xóa tin nhắn chứa mã truy cập bạn vừa gửi.",
    "removed": "Đã gỡ liên kết Trang {page_id}; mã truy cập của Trang đã bị xóa.",
    "not_linked": "Trang {page_id} chưa được liên kết.",
    "private_only": (
        "Mã truy cập Trang là bí mật: hãy gửi lệnh liên kết trong tin nhắn riêng với bot, không gửi trong nhóm. "
        "Nếu đã lỡ gửi, hãy tạo mã truy cập mới cho Trang."
    ),
    "off": "Chức năng Trang Facebook chưa được bật trên máy chủ (thiếu PAGE_TOKEN_KEY).",
    "unknown_unit": "Không có đơn vị mã “{code}”.",
    "not_allowed": "Chỉ quản trị viên cấp tỉnh mới liên kết được Trang Facebook.",
}

SUMMARY = {
    "head": "Trang Facebook:",
    "posted": "  • {title}: đã đăng (mã bài viết {post_id})",
    "pending": "  • {title}: đang chờ đăng",
    "failed": "  • {title}: không đăng được (Facebook báo: {reason})",
    "off": "  • {title}: không đăng được vì chức năng Trang Facebook chưa được bật trên máy chủ (thiếu PAGE_TOKEN_KEY)",
    # The delivery's detail is a developer's English note: the admin is pointed to /fanpage instead.
    "broken": "  • {title}: liên kết hỏng, cần mã truy cập mới, hoặc Trang đã được gỡ liên kết (xem /fanpage)",
    "cancelled": "  • {title}: đã hủy",
}
