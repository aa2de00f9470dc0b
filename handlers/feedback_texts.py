"""Vietnamese wording of feedback, observations, urgent issues, sentiment summaries and polls."""

from __future__ import annotations

FEEDBACK = {
    "consent": (
        "Gửi ý kiến, phản ánh tới Mặt trận Tổ quốc.\n\n"
        "Mục đích: để Mặt trận nắm tâm tư, nguyện vọng của Nhân dân và chuyển tới nơi có trách nhiệm giải quyết.\n"
        "Chúng tôi lưu: nội dung, lĩnh vực, xã/phường bạn chọn và ảnh (nếu có).\n"
        "• Gửi có tên: lưu thêm tài khoản của bạn để Mặt trận có thể trả lời.\n"
        "• Gửi ẩn danh: không lưu bất cứ thông tin nào về bạn; sẽ không ai biết người gửi. "
        "Vì vậy ý kiến ẩn danh không thể được trả lời và không tra cứu được.\n\n"
        "Bạn muốn gửi thế nào?"
    ),
    "named": "Gửi có tên",
    "anonymous": "Gửi ẩn danh",
    "no": "Không gửi",
    "anonymous_only": "(Bạn chưa đăng ký nên chỉ gửi ẩn danh được. Muốn gửi có tên, hãy gõ /start để đăng ký.)",
    "ask_category": "Ý kiến của bạn thuộc lĩnh vực nào?",
    "ask_place": "Việc này ở xã, phường nào? Gõ tên (ví dụ: Cái Nhum) hoặc mã đơn vị.",
    "ask_place_home": "Việc này ở đâu? Chọn “{unit}” (nơi bạn ở), hoặc gõ tên, mã xã, phường khác.",
    "place_chosen": "Nơi xảy ra: {place}. (Nếu chưa đúng, gõ /quaylai để chọn lại.)",
    "ask_text": "Bạn vui lòng viết nội dung ý kiến, phản ánh (tối đa {maximum} ký tự).",
    "ask_photo": "Gửi ảnh kèm theo nếu có (tối đa {maximum} ảnh), xong thì chọn “Xong”. Không có thì chọn “Bỏ qua”.",
    "ask_tone": "Bạn cảm thấy thế nào về việc này? (có thể bỏ qua)",
    "declined": "Đã hủy, không có gì được lưu.",
    "thanks": (
        "Cảm ơn bạn! Ý kiến về việc tại {place} đã được ghi nhận với số tham chiếu {reference}. "
        "Khi Mặt trận trả lời, bạn sẽ nhận được tin nhắn tại đây. "
        "Để xem tình trạng, gõ /phananh {reference} hoặc chọn “{view}”."
    ),
    "thanks_anonymous": (
        "Cảm ơn bạn! Ý kiến về việc tại {place} đã được ghi nhận ẩn danh với số tham chiếu {reference}. "
        "Chúng tôi không lưu thông tin nào về người gửi, nên ý kiến này không thể được trả lời và không tra cứu được."
    ),
    "view": "Xem phản ánh của tôi",
    "notice": "Ý kiến mới {reference} – {unit}\nLĩnh vực: {category}\nThái độ: {tone}\nNgười gửi: {sender}\n\n{text}",
    "sender_anonymous": "ẩn danh (không thể trả lời)",
    "sender_named": "{name} – {unit}",
    "citizen_no_name": "Người dân (không lưu tên)",
    "to_urgent": "Chuyển thành vụ việc khẩn",
    "answer": "Trả lời",
    "ask_answer": "Gõ nội dung trả lời cho người gửi ý kiến {reference}:\n\n“{text}”",
    "ask_answer_confirm": "Câu trả lời cho ý kiến {reference}:\n\n{answer}\n\nGửi câu trả lời này tới người gửi?",
    "send_answer": "Gửi trả lời",
    "answer_cancelled": "Đã hủy, câu trả lời chưa được gửi.",
    "answered": "Đã gửi câu trả lời tới người gửi ý kiến {reference}.",
    "already_answered": "Ý kiến {reference} đã được {who} trả lời lúc {when}, nên không gửi thêm.",
    "someone": "quản trị viên khác",
    "to_sender": "Mặt trận trả lời ý kiến {reference} của bạn:\n\n{answer}\n\n({who}, {when})",
    "status_title": "Ý kiến {reference} ({when}) – {category}, {unit}:\n“{text}”",
    "status_received": "Tình trạng: đã tiếp nhận, đang chờ xem xét.",
    "status_escalated": "Tình trạng: đã được chuyển thành vụ việc khẩn để giải quyết.",
    "status_answered": "Tình trạng: đã trả lời lúc {when}.\nTrả lời: {answer}",
}

OBSERVE = {
    "ask_category": "Tình hình dư luận bạn ghi nhận thuộc lĩnh vực nào?",
    "ask_tone": "Tâm trạng chung của người dân về việc này?",
    "ask_text": "Mô tả ngắn gọn tình hình (tối đa {maximum} ký tự).",
    "ask_count": "Ước tính khoảng bao nhiêu người liên quan? (gõ số, không rõ thì gõ 0)",
    "saved": "Đã ghi nhận tình hình dư luận tại {unit}. Cảm ơn bạn!",
}

URGENT = {
    "ask_category": "Vụ việc khẩn thuộc lĩnh vực nào?",
    "ask_text": "Mô tả vụ việc: ở đâu, việc gì, bao nhiêu người, đã xử lý thế nào (tối đa {maximum} ký tự).",
    "ask_confirm": "Gửi báo cáo khẩn này ngay tới Ban Thường trực tỉnh và cấp trên?",
    "send": "Gửi ngay",
    "raised": "Đã gửi vụ việc khẩn {reference}. Tỉnh và cấp trên đã được báo ngay; bạn sẽ nhận được phản hồi tại đây.",
    "alert": "VỤ VIỆC KHẨN {reference} – {unit}\nLĩnh vực: {category}\nNgười báo: {reporter}\n\n{text}",
    "realert": "NHẮC LẠI (lần {count}): vụ việc khẩn {reference} – {unit} chưa được tiếp nhận.\n\n{text}",
    "ack": "Đã tiếp nhận",
    "reply": "Trả lời",
    "resolve": "Đã giải quyết",
    "acked": "Đã ghi nhận: bạn tiếp nhận vụ việc {reference}.",
    "resolved": "Đã ghi nhận: vụ việc {reference} đã được giải quyết.",
    "to_officer_acked": "Vụ việc khẩn {reference} đã được {who} tiếp nhận.",
    "to_officer_resolved": "Vụ việc khẩn {reference} đã được {who} đánh dấu là đã giải quyết.",
    "ask_reply": "Gõ nội dung trả lời cho đơn vị báo vụ việc {reference}:",
    "replied": "Đã chuyển câu trả lời tới đơn vị báo vụ việc {reference}.",
    "to_officer_reply": "Trả lời về vụ việc khẩn {reference} từ {who}:\n\n{text}",
    "someone": "cấp trên",
}

SENTIMENT = {
    "title": "Tình hình dư luận {period} – {unit}",
    "total": "Tổng số ý kiến, ghi nhận: {total} (kỳ trước: {previous}, {change})",
    "by_category": "Theo lĩnh vực:",
    "by_tone": "Theo thái độ:",
    "by_unit": "Theo đơn vị:",
    "line": "- {label}: {count}{change}",
    "latest": "Mới nhất:",
    "latest_line": "- {when} · {unit} · {category}: {text}",
    "none": "Chưa có ý kiến hay ghi nhận nào trong kỳ.",
    "open_issues": "Vụ việc khẩn chưa giải quyết: {count}",
    "ask_period": "Bạn muốn xem tình hình dư luận kỳ nào?",
}

POLL = {
    "ask_question": "Câu hỏi khảo sát là gì? (tối đa {maximum} ký tự)",
    "ask_options": "Gõ các phương án trả lời, mỗi phương án một dòng (từ 2 đến 6 phương án).",
    "submitted": "Đã tạo khảo sát số {poll} (tin số {id}) và gửi duyệt. Sau khi được duyệt, khảo sát sẽ được gửi đi.",
    "voted": "Đã ghi nhận lựa chọn của bạn: “{option}”. Bạn có thể chọn lại để đổi ý trước khi khảo sát kết thúc.",
    "results_title": "Kết quả khảo sát số {poll}: {question}",
    "results_line": "- {option}: {count} ({share})",
    "results_total": "Tổng số lượt trả lời: {total}{closed}",
    "closed_mark": " (đã kết thúc)",
    "by_unit": "Theo đơn vị:",
    "unit_line": "- {unit}: {counts}",
    "closed": "Đã kết thúc khảo sát số {poll}. Các lựa chọn sau đó không được tính.",
    "ask_id": "Bạn vui lòng gõ kèm số khảo sát, ví dụ: /{command} 3",
    # /khaosat: a poll shown again to someone it was sent to, or the list of those still open.
    "show": "Khảo sát số {poll}: {question}",
    "chosen": "Bạn đã chọn “{option}”. Bạn có thể chọn lại để đổi ý trước khi khảo sát kết thúc.",
    "open_title": "Các khảo sát đang mở gửi tới bạn. Chọn một khảo sát để xem và trả lời:",
    "listed": "Số {poll}: {question}",
    "none_open": "Hiện không có khảo sát nào đang mở gửi tới bạn.",
}
