"""What the Zalo adapter itself adds to messages, in Vietnamese, for review in one place.

Zalo has no buttons: options become a numbered list answered by typing the number (or the
option's words), and files Zalo cannot receive become links.
"""

from __future__ import annotations

ZALO = {
    "choose_number": "Gõ số để chọn.",
    # A notice with options that came while the person had a question open: the numbers stay
    # the question's; the notice waits in the to-do list.
    "notice_waits": "Việc này đang chờ bạn xử lý. Trả lời xong câu hỏi đang dở, gõ /viec để mở việc này.",
    # The same, for an option that runs a command (a reminder's "Làm báo cáo ngay"): what to type.
    "notice_command": "{label}: trả lời xong câu hỏi đang dở, gõ {command}",
    # A poll the outbox delivers while the person has a question open: it comes without its
    # numbers, which stay the question's; /khaosat N shows the poll again, numbered.
    "poll_waits": "Bạn đang trả lời dở một câu hỏi khác. Để trả lời khảo sát này, gõ /khaosat {poll}",
    "choose_words": "Bạn có thể gõ câu trả lời, hoặc gõ đúng chữ của một lựa chọn ở trên.",
    "document_link": "📎 Tải tệp {name}: {url}",
    "photo_unavailable": "(Ảnh kèm theo chưa gửi được qua Zalo; bạn có thể xem trên Telegram hoặc hỏi quản trị viên.)",
    "document_unavailable": "(Tệp {name} chưa gửi được qua Zalo; bạn có thể nhận trên Telegram hoặc hỏi quản trị viên.)",
}
