// Người dùng: "Chọn tất cả" / "Bỏ chọn tất cả" for the units of an invite form.
"use strict";
(function () {
  document.addEventListener("click", (event) => {
    const button = event.target.closest("[data-check]");
    if (!button) return;
    const form = button.closest("form");
    const checked = button.getAttribute("data-check") === "all";
    form.querySelectorAll('input[type=checkbox][name="don_vi"]').forEach((box) => { box.checked = checked; });
  });
})();
