"""Vietnamese wording of the e-mails to units' mailboxes (rendered by `handlers.mail`)."""

from __future__ import annotations

MAIL = {
    "issue_subject": "[KetNoi] Vụ việc khẩn {reference} – {unit}",
    "issue_body": (
        "Kính gửi đơn vị,\n\n"
        "Hệ thống Kết Nối vừa ghi nhận một vụ việc khẩn cần được xử lý:\n\n"
        "Mã vụ việc: {reference}\n"
        "Đơn vị báo cáo: {unit}\n"
        "Lĩnh vực: {category}\n"
        "Thời gian: {time}\n\n"
        "Nội dung:\n{text}\n\n"
        "Vui lòng vào Kết Nối (Telegram hoặc Zalo, lệnh /{todo}) để tiếp nhận và cập nhật tình hình xử lý."
    ),
    "digest_subject": "[KetNoi] Tổng hợp tuần {week} – {unit}",
    "digest_body": "Kính gửi đơn vị,\n\nBản tổng hợp tuần của hệ thống Kết Nối:\n\n{digest}",
    "export_subject": "[KetNoi] Báo cáo {period} – {unit}",
    "export_body": (
        "Kính gửi đơn vị,\n\n"
        "Hạn nộp báo cáo {period} đã qua ({deadline}). Đính kèm là bảng tổng hợp báo cáo của "
        "{rows} đơn vị thuộc {unit} (tệp Excel).\n\n"
        "Báo cáo nộp muộn vẫn được nhận; bảng mới nhất có thể tải bằng lệnh /xuat hoặc trên trang quản lý."
    ),
    "signature": "\n\n--\nThư gửi tự động từ hệ thống Kết Nối. Vui lòng không trả lời thư này.",
    "failed": "Không gửi được thư điện tử đến hộp thư của {unit} ({what}): {reason}. Vui lòng kiểm tra địa chỉ thư của đơn vị và cấu hình máy chủ thư.",
    "kind_issue": "vụ việc khẩn",
    "kind_digest": "tổng hợp tuần",
    "kind_export": "báo cáo cuối kỳ",
}

MAILBOX = {
    "list_title": "Hộp thư điện tử của các đơn vị:",
    "list_line": "- {unit} ({code}): {address}",
    "list_none": "Chưa đơn vị nào có hộp thư điện tử.",
    "usage": (
        "Vụ việc khẩn, bản tổng hợp tuần và báo cáo cuối kỳ (tệp Excel) được gửi cả đến hộp thư của đơn vị.\n"
        "Đặt hộp thư: /{command} <mã đơn vị> <địa chỉ thư>\n"
        "Bỏ hộp thư: /{command} <mã đơn vị> {clear}"
    ),
    "set": "Đã đặt hộp thư của {unit} ({code}): {address}. Vụ việc khẩn, tổng hợp tuần và báo cáo cuối kỳ sẽ được gửi cả đến địa chỉ này.",
    "cleared": "Đã bỏ hộp thư của {unit} ({code}); đơn vị không nhận thư điện tử nữa.",
    "unchanged": "{unit} ({code}) không có hộp thư nào để bỏ.",
    "bad_address": "“{address}” không phải là địa chỉ thư điện tử hợp lệ (ví dụ: vanphong@mttq.vinhlong.gov.vn).",
    "unknown_unit": "Không tìm thấy đơn vị có mã {code} trong phạm vi của bạn. Gõ /{command} để xem hướng dẫn.",
}
