"""Vietnamese wording of reminders, escalations and the weekly digest (rendered by `handlers.reminders`)."""

from __future__ import annotations

REMINDER = {
    "before": "Nhắc hạn: báo cáo {period} của {unit} cần nộp trước {deadline} (còn {days} ngày).",
    "today": "Nhắc hạn: hôm nay là hạn nộp báo cáo {period} của {unit} (trước {deadline}).",
    "overdue": "Báo cáo {period} của {unit} đã quá hạn ({deadline}). Bạn vui lòng nộp sớm; báo cáo vẫn được nhận và ghi là nộp muộn.",
    "button": "Làm báo cáo ngay",
    "escalate": "Các đơn vị thuộc {unit} chưa nộp báo cáo {period} (hạn {deadline}):\n{names}",
    "more": "… và {count} đơn vị khác",
    "digest_title": "Tổng hợp tuần {week} – {unit}",
    "digest_line": "{period}: đã nộp {reported}/{expected} ({rate}), đúng hạn {on_time}, muộn {late}, chưa nộp {missing}",
    "digest_none": "Không có kỳ báo cáo nào đang mở.",
    "digest_children": "Theo đơn vị trực thuộc ({period}):",
    "digest_child": "- {name}: đã nộp {reported}/{expected}",
    "digest_heard": "Ý kiến, ghi nhận dư luận trong tuần: {count} (tiêu cực: {negative}). Gõ /duluan để xem chi tiết.",
    "digest_issues": "Vụ việc khẩn chưa giải quyết: {count}.",
}
