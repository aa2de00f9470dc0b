"""The console's pages, in the order of the menu: (key, path under /quanly, label)."""

from __future__ import annotations

NAV = (
    ("overview", "/", "Tổng quan"),
    ("reports", "/bao-cao", "Báo cáo"),
    ("content", "/tin-bai", "Tin bài"),
    ("listening", "/phan-anh", "Phản ánh & vụ việc"),
    ("people", "/nguoi-dung", "Người dùng"),
    ("audit", "/nhat-ky", "Nhật ký"),
)
