// Tổng quan: choosing a period or a filter shows it at once (the "Xem" / "Lọc" buttons do the
// same without JavaScript).
"use strict";
(function () {
  document.querySelectorAll("select.auto-submit").forEach((select) => {
    select.addEventListener("change", () => select.form.submit());
  });
})();
