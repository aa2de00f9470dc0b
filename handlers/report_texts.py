"""The Vietnamese wording of reports: filing, review, progress and export."""

from __future__ import annotations

FILE = {
    "ask_period": "Bạn muốn làm báo cáo kỳ nào?",
    "period_choice": "{label} (hạn {deadline})",
    "period_choice_due": "{label} (hạn {deadline}, {due})",
    "state_notes": {
        "draft": " – đang làm",
        "submitted": " – đã gửi",
        "returned": " – bị trả lại",
        "accepted": " – đã được chấp nhận",
    },
    "ask_last_month": "Bạn có muốn lấy số liệu của {previous} làm gợi ý để sửa lại không?",
    "use_last_month": "Dùng số liệu tháng trước",
    "start_empty": "Nhập mới",
    "prefilled_months": "Các số liệu đã được cộng sẵn từ {count} báo cáo tháng trong kỳ. Bạn kiểm tra và chọn “Giữ nguyên” hoặc gõ số mới.",
    "prefilled_last": "Đã điền sẵn số liệu của {previous}. Bạn kiểm tra và chọn “Giữ nguyên” hoặc gõ số mới.",
    "resume": "Bạn đang làm dở báo cáo {label}. Tiếp tục từ mục còn thiếu:",
    "question": "Câu {number}/{total}. {prompt}",
    "current": "Hiện tại: {value}",
    "shared_hint": "Gợi ý: cán bộ của đơn vị đã báo chia sẻ tin vào {count} nhóm Zalo trong kỳ. Chọn “Giữ nguyên” hoặc gõ số khác.",
    "keep": "Giữ nguyên",
    "skip": "Bỏ qua",
    "done": "Xong",
    "ticked": "✓ ",
    "photo_received": "Đã nhận {count} ảnh.",
    "summary_title": "Báo cáo {label} – {unit}",
    "summary_deadline": "Hạn nộp: {deadline}.",
    "summary_late": "Đã quá hạn nộp: báo cáo sẽ được ghi nhận là nộp muộn.",
    "summary_returned": "Cấp trên đã trả lại báo cáo với lý do: {reason}",
    "summary_reopened": "Báo cáo đã gửi trước đây; các thay đổi chỉ có hiệu lực khi bạn gửi lại.",
    "summary_ask": "Bạn kiểm tra lại rồi chọn:",
    "submit": "Gửi báo cáo",
    "edit": "Sửa một mục",
    "later": "Để sau",
    "ask_edit": "Bạn muốn sửa mục nào?",
    "skipped": "(bỏ qua)",
    "photos_count": "{count} ảnh",
    "submitted": "Đã gửi báo cáo {label} của {unit} lên cấp trên. Cảm ơn bạn!",
    "submitted_late": "Đã gửi báo cáo {label} của {unit} lên cấp trên (nộp muộn so với hạn {deadline}). Cảm ơn bạn!",
    "saved": "Đã lưu báo cáo {label}. Khi nào tiện, gõ /baocao để làm tiếp.",
    "cancelled_draft": "Đã dừng. Bản nháp báo cáo {label} vẫn được lưu; gõ /baocao để làm tiếp.",
    "cancelled_sent": "Đã dừng. Báo cáo {label} đã gửi vẫn giữ nguyên như lúc gửi.",
    "missing_first": "Báo cáo còn mục chưa trả lời, mời bạn trả lời tiếp:",
}

REVIEW = {
    "new": "{unit} đã gửi báo cáo {label}{late}.\n\n{summary}",
    "again": "{unit} đã gửi lại báo cáo {label}{late}.\nĐã sửa: {changes}\n\n{summary}",
    "late_mark": " (nộp muộn)",
    "no_changes": "không thay đổi số liệu",
    "accept": "Chấp nhận",
    "return": "Trả lại",
    "ask_reason": "Bạn vui lòng gõ lý do trả lại báo cáo {label} của {unit} để đơn vị sửa:",
    "accepted": "Đã chấp nhận báo cáo {label} của {unit}.",
    "returned": "Đã trả lại báo cáo {label} của {unit} kèm lý do.",
    "to_officers_accepted": "Báo cáo {label} của {unit} đã được cấp trên chấp nhận.",
    "to_officers_returned": "Báo cáo {label} của {unit} đã bị cấp trên trả lại.\nLý do: {reason}\n\nGõ /baocao để sửa và gửi lại.",
    "fix_button": "Sửa báo cáo {label}",
}

PROGRESS = {
    "ask_period": "Bạn muốn xem kỳ báo cáo nào?",
    "ask_export_period": "Bạn muốn xuất báo cáo kỳ nào?",
    "export_caption": "Báo cáo {label} – {unit}: {rows} đơn vị.",
    "chart_caption": "Tiến độ nộp báo cáo {label} – {unit}",
}

DEADLINES = {
    "title_unit": "Hạn nộp báo cáo của {unit}:",
    "line_unit": "- {label}: hạn {deadline} – {state}",
    "title_admin": "Hạn nộp báo cáo các đơn vị thuộc {unit}:",
    "line_admin": "- {label}: hạn {deadline} – đã nộp {submitted}/{expected}, chưa nộp {missing}",
    "none": "Hiện không có kỳ báo cáo nào đang mở.",
    "states": {
        None: "chưa làm",
        "draft": "đang làm, chưa gửi",
        "submitted": "đã gửi",
        "returned": "bị trả lại, cần sửa và gửi lại",
        "accepted": "đã được chấp nhận",
    },
    "due": " ({due})",
    "open_button": "Làm báo cáo {label}",
}

# How far a deadline is, in local calendar days (handlers.deadlines.due_words).
DUE = {
    "left": "còn {days} ngày",
    "today": "hạn hôm nay",
    "overdue": "quá hạn {days} ngày",
}

# The /tiendo message (handlers.rollup_text).
ROLLUP = {
    "title": "📊 Tiến độ báo cáo {period} – {unit}",
    "none_expected": "Không có đơn vị trực thuộc nào phải nộp báo cáo.",
    "submitted": (
        "Đã nộp: {submitted}/{expected} ({rate}) — đúng hạn {on_time}, muộn {late}; "
        "bị trả lại {returned}; chưa nộp {not_sent}"
    ),
    "drafts": " (trong đó {drafts} đang soạn)",
    "on_time_rate": "Tỷ lệ nộp đúng hạn: {rate}",
    "totals": "Kết quả cộng dồn từ {count} báo cáo đã nộp:",
    "no_totals": "Chưa có báo cáo nào được nộp.",
    "total_line": "• {label}: {value}",
    "old_form": "{label} (mẫu {version})",
    "by_child": "Theo đơn vị trực thuộc:",
    "by_child_worst": "{shown}/{count} đơn vị trực thuộc có tỷ lệ nộp thấp nhất:",
    "child_rate": "• {name}: đã nộp {submitted}/{expected} ({rate}), đúng hạn {on_time}",
    "attention": "Cần nhắc {count} đơn vị:",
    "attention_group": "• {state} ({count}): {names}",
    "late_name": "{name} (lúc {time})",
    "more_names": "{names} và {count} đơn vị khác",
    "full_list": "Danh sách đầy đủ: gõ /xuat {period} để nhận tệp Excel.",
    "more": "… và {count} đơn vị khác",
    "all_on_time": "Tất cả các đơn vị đã nộp đúng hạn.",
}

# Where a unit stands for a period (bot.services.reporting.rollup.ReportState values).
STATE_NAMES = {
    "on_time": "đúng hạn",
    "late": "nộp muộn",
    "returned": "bị trả lại",
    "draft": "đang soạn",
    "missing": "chưa nộp",
}
