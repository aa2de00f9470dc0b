"""Every Vietnamese sentence the foundation shows a person, in one place for review.

Keys are English; values are natural Vietnamese with full diacritics. `{name}` fields are
filled with `str.format`.
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.core.errors import UserFacingError
from handlers.broadcast_texts import ACTIONS, STATUS_NAMES
from handlers.broadcast_texts import ERRORS as BROADCAST_ERRORS
from handlers.page_texts import ERRORS as PAGE_ERRORS

ROLE_NAMES = {
    "province_admin": "Quản trị viên cấp tỉnh",
    "unit_admin": "Quản trị viên đơn vị",
    "officer": "Cán bộ",
    "member": "Hội viên, đoàn viên",
    "citizen": "Người dân",
}

# Who a command is for, as the end of a sentence ("Lệnh /dangtin dành cho quản trị viên cấp tỉnh."),
# in the order of ROLE_NAMES; `registered` when any registered person may use it.
ROLE_AUDIENCE = {
    "province_admin": "quản trị viên cấp tỉnh",
    "unit_admin": "quản trị viên đơn vị",
    "officer": "cán bộ",
    "member": "hội viên, đoàn viên",
    "citizen": "người dân",
    "registered": "người đã đăng ký",
    "and": " và ",
}
NOT_REGISTERED = "Chưa đăng ký"  # the demo page's sidebar, for someone with no role yet

PLATFORM_NAMES = {"telegram": "Telegram", "zalo": "Zalo"}

ERRORS = {
    "invite_unknown": "Mã mời không đúng. Bạn vui lòng kiểm tra lại từng ký tự, hoặc xin người mời một mã mới.",
    "invite_used": "Mã mời này đã được sử dụng. Mỗi mã chỉ dùng được một lần, bạn vui lòng xin người mời một mã mới.",
    "invite_expired": "Mã mời này đã hết hạn. Bạn vui lòng xin người mời một mã mới.",
    "invite_count": "Mỗi lần chỉ tạo được từ 1 đến {maximum} mã mời.",
    "not_allowed": "Bạn không có quyền thực hiện việc này.",
    "stale_button": "Nút bấm hoặc lựa chọn này đã cũ hoặc không còn hợp lệ, nên không thực hiện được. Bạn vui lòng dùng tin nhắn mới nhất.",
    "not_registered": "Bạn chưa đăng ký. Hãy dùng mã mời (gõ /start kèm mã) hoặc gõ /start để đăng ký làm người dân.",
    "role_required": "Lệnh /{command} dành cho {roles}. Gõ /trogiup để xem các lệnh bạn dùng được.",
    "unknown_command": "Không có lệnh /{command}. Gõ /trogiup để xem các lệnh bạn dùng được.",
    "message_too_long": "Tin nhắn quá dài ({length} ký tự). Bạn vui lòng gửi ngắn hơn {maximum} ký tự.",
    "no_units": "Hệ thống chưa có danh sách đơn vị. Bạn vui lòng báo quản trị viên.",
    "not_officer": "Chỉ cán bộ của đơn vị mới gửi được báo cáo. Nếu bạn là cán bộ, hãy xin quản trị viên một mã mời.",
    "period_not_open": "Kỳ {label} hiện không mở để nộp báo cáo. Gõ /hannop để xem các kỳ đang mở.",
    "no_open_period": "Hiện không có kỳ báo cáo nào đang mở cho đơn vị của bạn.",
    "report_locked": "Báo cáo kỳ này đã gửi và đã quá hạn nên không sửa được nữa. Nếu cần sửa, bạn vui lòng đề nghị cấp trên trả lại báo cáo.",
    "report_accepted": "Báo cáo kỳ này đã được cấp trên chấp nhận nên không sửa được nữa.",
    "report_incomplete": "Báo cáo còn {count} mục chưa trả lời.",
    "report_not_submitted": "Báo cáo này không ở trạng thái chờ duyệt (có thể đã được người khác duyệt).",
    "report_gone": "Không tìm thấy báo cáo này.",
    "bad_period": "“{text}” không phải là một kỳ báo cáo. Ví dụ: 2026-10 (tháng), 2026-Q4 (quý), 2026-H2 (6 tháng), 2026 (năm).",
    "feedback_rate": "Bạn đã gửi {count} ý kiến trong một giờ qua. Bạn vui lòng thử lại sau ít phút nhé.",
    "feedback_not_yours": (
        "Không tìm thấy ý kiến “{reference}” của bạn. Bạn chỉ xem được ý kiến mình đã gửi có tên "
        "(ý kiến ẩn danh không tra cứu được). Ví dụ: /phananh PA-0112-7K3Q"
    ),
    "home_only_citizens": "Chọn nơi ở chỉ dành cho người dân. Đơn vị của bạn do người mời xác định.",
    "feedback_anonymous": "Ý kiến này được gửi ẩn danh (hoặc người gửi đã xóa dữ liệu) nên không thể trả lời.",
    "issue_already": "Vụ việc này đã được cập nhật trước đó.",
    "poll_options": "Khảo sát cần từ {minimum} đến {maximum} phương án khác nhau, mỗi phương án một dòng.",
    "poll_option_long": "Mỗi phương án tối đa {maximum} ký tự.",
    "poll_question": "Câu hỏi khảo sát cần có nội dung, tối đa {maximum} ký tự.",
    "poll_gone": "Không tìm thấy khảo sát này.",
    "poll_closed": "Khảo sát này đã kết thúc hoặc chưa được gửi.",
    "poll_not_for_you": "Khảo sát này không được gửi tới bạn nên lựa chọn của bạn không được ghi nhận.",
    "unknown_option": "Phương án này không có trong khảo sát.",
    "not_admin": "Chỉ quản trị viên mới xem được tiến độ và xuất báo cáo.",
    "link_unknown": "Mã liên kết không đúng. Bạn vui lòng kiểm tra lại, hoặc gõ /lienket trên tài khoản đã đăng ký để lấy mã mới.",
    "code_locked": "Bạn đã nhập sai mã quá nhiều lần. Bạn vui lòng thử lại sau {until}.",
    "code_locked_now": "Mã không đúng. Bạn đã nhập sai mã quá nhiều lần, bạn vui lòng thử lại sau {until}.",
    "link_used": "Mã liên kết này đã được sử dụng. Mỗi mã chỉ dùng được một lần, bạn vui lòng gõ /lienket trên tài khoản đã đăng ký để lấy mã mới.",
    "link_expired": "Mã liên kết này đã hết hạn. Bạn vui lòng gõ /lienket trên tài khoản đã đăng ký để lấy mã mới.",
    "link_already": "Tài khoản này đã được liên kết với bạn rồi.",
    "link_other_person": "Tài khoản này đã được đăng ký riêng nên không liên kết được. Nếu muốn liên kết, bạn gõ /xoadulieu trên tài khoản này trước, rồi gõ lại /lienket kèm mã.",
    "link_same_platform": "Mã liên kết phải được dùng trên nền tảng còn lại: lấy mã trên Telegram thì gõ mã trên Zalo, và ngược lại.",
    "text_empty": "Bạn chưa nhập nội dung.",
    "text_too_short": "Nội dung quá ngắn: cần ít nhất {minimum} ký tự. Bạn vui lòng gõ lại.",
    "text_too_long": "Nội dung dài {length} ký tự, vượt quá {maximum} ký tự cho phép. Bạn vui lòng rút gọn.",
    "internal": "Xin lỗi, hệ thống gặp trục trặc khi xử lý tin nhắn này. Những gì bạn đã nhập vẫn được giữ nguyên, bạn vui lòng thử lại sau ít phút.",
}

ANSWER_ERRORS = {
    "not_a_number": "“{text}” không phải là một số. Bạn vui lòng nhập số bằng chữ số, ví dụ: 12 hoặc 1.250.",
    "not_whole": (
        "Câu này cần một số nguyên, còn “{text}” là số thập phân (dấu phẩy ngăn phần lẻ). "
        "Bạn vui lòng nhập số nguyên, ví dụ: 12."
    ),
    "ambiguous_number": (
        "Chưa rõ “{text}” là số nào. Dấu chấm (hoặc dấu cách) tách từng nhóm ba chữ số, còn dấu phẩy "
        "ngăn phần thập phân: 1.250 là một nghìn hai trăm năm mươi, 1,5 là một rưỡi. "
        "Bạn vui lòng gõ lại số, ví dụ: 1250."
    ),
    "too_small": "Số phải từ {minimum} trở lên.",
    "too_large": "Số không được lớn hơn {maximum}.",
    "empty": "Bạn chưa nhập nội dung. Bạn vui lòng gõ câu trả lời.",
    "too_short": "Nội dung quá ngắn: cần ít nhất {minimum} ký tự. Bạn vui lòng gõ lại.",
    "too_long": "Câu trả lời dài {length} ký tự, vượt quá {maximum} ký tự cho phép. Bạn vui lòng rút gọn.",
    "unknown_choice": "Lựa chọn này không có trong danh sách. Bạn vui lòng chọn một mục trong danh sách (bấm nút hoặc gõ số thứ tự).",
    "need_text": "Bước này cần bạn gõ chữ.",
    "need_photo": "Bước này cần một ảnh. Bạn vui lòng gửi ảnh, hoặc chọn “Bỏ qua”.",
    "unit_not_found": "Không tìm thấy đơn vị “{text}” trong phạm vi của bạn. Bạn vui lòng gõ lại mã hoặc một phần tên đơn vị.",
    "unit_ambiguous": "Có nhiều đơn vị khớp với “{text}”. Bạn vui lòng chọn một:",
    "need_one": "Bạn vui lòng chọn ít nhất một mục rồi chọn “Xong”.",
    "too_many_photos": "Chỉ nhận tối đa {maximum} ảnh. Bấm “Xong” để tiếp tục.",
    "bad_time": "“{text}” không đúng mẫu ngày giờ. Ví dụ: 27/11/2026 07:30.",
    "past_time": "Thời điểm này đã qua. Bạn vui lòng chọn một thời điểm trong tương lai.",
    "need_media": "Bước này nhận một ảnh hoặc một tệp. Không kèm thì chọn “Không kèm”.",
    "need_choice_or_text": "Bạn vui lòng chọn một mục trong danh sách.",
}

FLOW = {
    "cancelled": "Đã hủy. Những gì bạn đang làm dở đã được bỏ qua.",
    "nothing_to_cancel": "Bạn không có việc gì đang làm dở.",
    "back": "Quay lại bước trước.",
    "nothing_to_go_back": "Bạn đang ở bước đầu tiên.",
    "expired": "Phiên làm việc trước của bạn đã hết hạn do lâu không trả lời.",
    "still_on_step": "Bạn vẫn đang ở bước này (gõ /huy để hủy, /quaylai để quay lại):",
    "replaced": "Đã dừng việc đang làm dở để bắt đầu việc mới.",
    "hint": "Gõ /huy để hủy, /quaylai để quay lại bước trước.",
}

START = {
    "consent": (
        "Chào mừng bạn đến với Kết Nối, kênh liên lạc của Ủy ban Mặt trận Tổ quốc tỉnh.\n\n"
        "{purpose}\n\n"
        "Để làm việc này, chúng tôi lưu: {stored}. Chúng tôi không lưu tin nhắn trong các nhóm.\n\n"
        "Theo Nghị định 13/2023/NĐ-CP về bảo vệ dữ liệu cá nhân, bạn có thể xem dữ liệu của mình "
        "bằng lệnh /toi và xóa toàn bộ bằng lệnh /xoadulieu bất cứ lúc nào.\n\n"
        "Bạn có đồng ý không?"
    ),
    "purpose_invite": "Bạn được mời tham gia với vai trò {role} của {unit}. {does}",
    # What Kết Nối does for each invited role: only officers (and unit admins) file reports.
    "purpose_by_role": {
        "province_admin": "Kết Nối giúp bạn phát tin tuyên truyền, theo dõi báo cáo của các đơn vị và ý kiến của Nhân dân.",
        "unit_admin": "Kết Nối giúp bạn nhận thông tin tuyên truyền, gửi và duyệt báo cáo, theo dõi ý kiến, phản ánh ở đơn vị.",
        "officer": "Kết Nối giúp bạn nhận thông tin tuyên truyền và gửi báo cáo, phản ánh về Mặt trận.",
        "member": "Kết Nối giúp bạn nhận thông tin tuyên truyền của Mặt trận và gửi ý kiến, phản ánh của mình.",
        "citizen": "Kết Nối giúp bạn nhận thông tin tuyên truyền của Mặt trận và gửi ý kiến, phản ánh của mình.",
    },
    "purpose_citizen": "Kết Nối giúp bạn nhận thông tin tuyên truyền của Mặt trận và gửi ý kiến, phản ánh của mình.",
    "stored_invite": "họ tên bạn cung cấp, mã tài khoản {platform} của bạn, đơn vị và vai trò",
    "stored_citizen": "mã tài khoản {platform} của bạn (không lưu họ tên)",
    "agree": "Đồng ý",
    "disagree": "Không đồng ý",
    "ask_name": "Bạn vui lòng cho biết họ và tên (ví dụ: Nguyễn Thị Lan).",
    "declined": "Bạn đã không đồng ý. Chúng tôi không lưu thông tin nào của bạn. Khi cần, bạn có thể gõ /start để bắt đầu lại.",
    "welcome": "Đăng ký thành công! Bạn là {role} của {unit}.",
    "welcome_citizen": "Đăng ký thành công! Bạn sẽ nhận được thông tin tuyên truyền của Mặt trận.",
    "ask_home": (
        "Bạn sống ở xã, phường nào? Gõ tên (ví dụ: Cái Nhum) hoặc mã đơn vị. "
        "Mặt trận gửi thông tin của địa phương tới đúng nơi bạn ở; chúng tôi chỉ lưu xã, phường, không lưu địa chỉ."
    ),
    "home_chosen": "Bạn đã chọn {unit}. Muốn đổi nơi ở, gõ /toi rồi chọn “Đổi nơi ở”.",
    "welcome_back": "Chào mừng bạn trở lại!",
    "role_added": "Đã thêm vai trò {role} của {unit} cho bạn.",
    "group": "Bạn vui lòng nhắn riêng cho bot để đăng ký và sử dụng: {link}",
    "default_unregistered": "Chào bạn! Gõ /start để bắt đầu, hoặc /start kèm mã mời nếu bạn có mã. Gõ /trogiup để xem các lệnh.",
    "default_registered": "Mình chưa hiểu ý bạn. Gõ /trogiup để xem các lệnh bạn dùng được.",
    "you_can": "Bạn có thể dùng các lệnh sau:",
    "only_text": "Mình chỉ đọc được tin nhắn chữ (và ảnh khi được hỏi). Bạn vui lòng gõ nội dung, hoặc gõ /trogiup để xem các lệnh.",
    "group_private_only": "Bạn vui lòng nhắn riêng cho bot để đăng ký và sử dụng.",
    "group_noted": "Bot đã ghi nhận nhóm này. Quản trị viên nhắn riêng cho bot lệnh /lienketnhom để liên kết nhóm với đơn vị; tin gửi tới đơn vị (có chọn nhóm, kênh) sẽ đến đây.",
}

ME = {
    "title": "Thông tin Kết Nối đang lưu về bạn:",
    "name": "Họ tên: {name}",
    "no_name": "Họ tên: (không lưu)",
    "account": "Tài khoản {platform}: {external_id}",
    "role": "Vai trò: {role} – {unit}",
    "consent": "Đồng ý lưu dữ liệu lúc: {when}",
    "footer": "Gõ /xoadulieu để xóa toàn bộ dữ liệu này.",
    "change_home": "Đổi nơi ở",
}

FORGET = {
    "confirm": (
        "Bạn sắp xóa toàn bộ dữ liệu cá nhân của mình (họ tên, tài khoản, vai trò). "
        "Sau khi xóa, bạn sẽ không nhận được tin từ Kết Nối nữa. Bạn có chắc chắn không?"
    ),
    "yes": "Xóa dữ liệu của tôi",
    "no": "Giữ lại",
    "done": "Đã xóa toàn bộ dữ liệu cá nhân của bạn. Cảm ơn bạn đã đồng hành cùng Mặt trận.",
    "kept": "Dữ liệu của bạn được giữ nguyên.",
}

INVITE = {
    "ask_role": "Bạn muốn mời người tham gia với vai trò nào?",
    "ask_unit": "Người được mời thuộc đơn vị nào? Gõ mã đơn vị hoặc một phần tên (ví dụ: 29641 hoặc Cái Nhum), hoặc chọn bên dưới.",
    "created": "Đã tạo mã mời cho {role} của {unit}:\n\n{code}\n\n{how}Mã dùng một lần, hết hạn lúc {expires}.",
    "how_telegram": "Trên Telegram, người được mời bấm vào đường dẫn: {link}\n",
    "how_zalo": "Trên Zalo, người được mời gõ mã trên khi nhắn tin cho bot.\n",
    "qr_caption_code": "Mã QR để in hoặc chiếu tại hội nghị: quét để đọc mã mời ({role} của {unit}), rồi gõ mã khi nhắn tin cho bot.",
    "qr_caption": "Mã QR để in hoặc chiếu tại hội nghị: quét để tham gia với vai trò {role} của {unit}.",
    "bulk_created": "Đã tạo {count} mã mời cho {units} đơn vị. Mỗi mã dùng một lần, hết hạn lúc {expires}.",
}

# The printed sheet of invites (web console, "Người dùng"): one A4 page per unit, a QR code per invite.
INVITE_SHEET = {
    "title": "Mã mời tham gia Kết Nối",
    "unit": "{unit}",
    "role": "Vai trò: {role}",
    "how_both": (
        "Quét mã QR bằng camera điện thoại để mở bot Kết Nối trên Telegram, "
        "hoặc gửi mã trên cho bot Kết Nối trên Zalo hoặc Telegram (@{bot})."
    ),
    "how_telegram": "Quét mã QR bằng camera điện thoại để mở bot Kết Nối trên Telegram, hoặc gửi mã trên cho bot @{bot}.",
    "how_zalo": "Quét mã QR bằng camera điện thoại để đọc mã, rồi gửi mã trên cho bot Kết Nối trên Zalo.",
    "expires": "Mỗi mã dùng một lần, cho một người; hết hạn lúc {expires}.",
    "file": "ma-moi-{date}.pdf",
}

COMMANDS = {
    "start": "Bắt đầu, đăng ký bằng mã mời",
    "help": "Các lệnh bạn dùng được",
    "me": "Xem dữ liệu Kết Nối lưu về bạn",
    "forget": "Xóa dữ liệu cá nhân của bạn",
    "cancel": "Hủy việc đang làm",
    "back": "Quay lại bước trước",
    "invite": "Tạo mã mời cán bộ, hội viên",
    "report": "Làm báo cáo tháng, quý, 6 tháng, năm",
    "deadlines": "Xem hạn nộp báo cáo",
    "post": "Soạn tin tuyên truyền để gửi duyệt và phát",
    "linkchat": "Liên kết nhóm, kênh Telegram với đơn vị",
    "pages": "Trang Facebook (Fanpage) của đơn vị: xem, liên kết, gỡ",
    "poll": "Tạo khảo sát nhanh gửi tới hội viên, người dân",
    "results": "Xem kết quả một khảo sát",
    "close_poll": "Kết thúc một khảo sát",
    "vote": "Xem lại và trả lời khảo sát được gửi tới bạn",
    "share": "Báo đã chia sẻ một tin vào bao nhiêu nhóm Zalo",
    "status": "Xem tình hình gửi một tin",
    "stop": "Dừng một tin đang gửi",
    "unsend": "Hủy một tin đã hẹn giờ",
    "feedback": "Gửi ý kiến, phản ánh (có thể ẩn danh)",
    "home": "Đổi xã, phường nơi bạn ở",
    "observe": "Ghi nhận tình hình dư luận ở địa bàn",
    "urgent": "Báo cáo vụ việc khẩn lên tỉnh",
    "sentiment": "Xem tổng hợp tình hình dư luận",
    "progress": "Xem tiến độ nộp báo cáo của các đơn vị",
    "export": "Xuất báo cáo ra tệp Excel",
    "link": "Liên kết tài khoản Telegram và Zalo",
    "todo": "Việc cần làm: báo cáo chờ duyệt, tin chờ duyệt, vụ việc khẩn, phản ánh",
    "web": "Mở trang quản lý trên trình duyệt, ở điện thoại hay máy tính (liên kết đăng nhập)",
    "mailbox": "Hộp thư điện tử của các đơn vị",
}

DESK = {
    "link": (
        "Trang quản lý Kết Nối: {link}\n\n"
        "Liên kết này chỉ dùng được một lần, trong {minutes} phút, và chỉ dành cho bạn: "
        "đừng chuyển cho người khác. Cần liên kết mới thì gõ lại /quanly."
    ),
    "off": "Trang quản lý chưa được bật trên máy chủ này. Vui lòng báo quản trị hệ thống.",
}


ERRORS.update(BROADCAST_ERRORS)  # the broadcast service's refusals, worded in handlers/broadcast_texts.py
ERRORS.update(PAGE_ERRORS)  # linking Facebook Pages (handlers/page_texts.py)

# Refusal fields a feature passes as keys (a status, an action), worded here per refusal.
REFUSAL_WORDS: dict[str, dict[str, Mapping[str, str]]] = {
    "broadcast_wrong_status": {"status": STATUS_NAMES, "action": ACTIONS},
}


def refusal_text(refusal: UserFacingError) -> str:
    """A feature's refusal in words: its sentence, filled with its fields (keys worded first)."""
    words = REFUSAL_WORDS.get(refusal.key, {})
    params = {
        name: words[name].get(value, value) if name in words and isinstance(value, str) else value
        for name, value in refusal.params.items()
    }
    return ERRORS[refusal.key].format(**params)
