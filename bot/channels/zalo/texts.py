"""What the Zalo adapter itself adds to messages, in Vietnamese, for review in one place.

Zalo has no buttons: options become a numbered list answered by typing the number (or the
option's words), and files Zalo cannot receive become links.
"""

from __future__ import annotations

ZALO = {
    "choose_number": "Gõ số để chọn.",
    "choose_words": "Bạn có thể gõ câu trả lời, hoặc gõ đúng chữ của một lựa chọn ở trên.",
    "document_link": "📎 Tải tệp {name}: {url}",
    "photo_unavailable": "(Ảnh kèm theo chưa gửi được qua Zalo; bạn có thể xem trên Telegram hoặc hỏi quản trị viên.)",
    "document_unavailable": "(Tệp {name} chưa gửi được qua Zalo; bạn có thể nhận trên Telegram hoặc hỏi quản trị viên.)",
}
