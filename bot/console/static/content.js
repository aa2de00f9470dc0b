// Tin bài: the formatting toolbar, the live audience count and live progress. The page works
// without them: the count is also shown on the preview, the figures on reload.
"use strict";
(function () {
  const text = document.getElementById("text");
  const toolbar = document.querySelector(".toolbar");
  if (text && toolbar) {
    toolbar.hidden = false;
    toolbar.addEventListener("click", (event) => {
      const button = event.target.closest("button[data-wrap]");
      if (!button) return;
      const tag = button.getAttribute("data-wrap");
      const start = text.selectionStart, end = text.selectionEnd;
      const chosen = text.value.slice(start, end);
      let open = "<" + tag + ">";
      if (tag === "a") {
        const address = window.prompt("Địa chỉ liên kết (https://…)", "https://");
        if (!address) return;
        open = '<a href="' + address.replace(/"/g, "&quot;") + '">';
      }
      const close = "</" + tag + ">";
      text.setRangeText(open + chosen + close, start, end, "select");
      text.focus();
    });
  }
  const compose = document.querySelector("form[data-count-url]");
  if (compose) {
    const output = document.getElementById("count");
    const url = compose.getAttribute("data-count-url");
    let asked = 0;
    const recount = () => {
      const params = new URLSearchParams();
      params.set("unit", compose.elements.unit.value);
      compose.querySelectorAll("input[name=roles]:checked").forEach((box) => params.append("roles", box.value));
      const mine = ++asked;
      fetch(url + "?" + params.toString(), {credentials: "same-origin"})
        .then((response) => (response.ok ? response.json() : null))
        .then((data) => { if (data && mine === asked) output.textContent = data.text; })
        .catch(() => {});
    };
    compose.addEventListener("change", (event) => {
      if (event.target.name === "unit" || event.target.name === "roles") recount();
    });
    recount();
  }

  // Live figures: every element with data-progress-id under a data-progress-url container.
  const holders = document.querySelectorAll("[data-progress-url]");
  if (!holders.length) return;
  const url = holders[0].getAttribute("data-progress-url");
  const number = (n) => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ".");
  const rows = () => Array.from(document.querySelectorAll("[data-progress-id]"));
  const live = () => rows().filter((row) => row.getAttribute("data-status") === "sending");
  const update = (row, figures) => {
    row.setAttribute("data-status", figures.status);
    row.querySelectorAll("[data-field]").forEach((cell) => {
      const field = cell.getAttribute("data-field");
      if (field === "bar") { cell.max = figures.total || 1; cell.value = figures.total - figures.pending; }
      else if (field === "failed_by") {
        cell.replaceChildren(...figures.failed_by.map(([reason, n]) => {
          const item = document.createElement("li");
          item.textContent = reason + ": " + number(n);
          return item;
        }));
      } else if (field === "status_name") { cell.textContent = figures.status_name; cell.className = "badge status-" + figures.status; }
      else if (field in figures) cell.textContent = number(figures[field]);
    });
  };
  const poll = () => {
    const watched = live();
    if (!watched.length) return;
    const params = new URLSearchParams();
    watched.forEach((row) => params.append("id", row.getAttribute("data-progress-id")));
    fetch(url + "?" + params.toString(), {credentials: "same-origin"})
      .then((response) => (response.ok ? response.json() : null))
      .then((data) => {
        if (data) watched.forEach((row) => { const f = data[row.getAttribute("data-progress-id")]; if (f) update(row, f); });
      })
      .catch(() => {})
      .finally(() => { if (live().length) window.setTimeout(poll, 3000); });
  };
  if (live().length) window.setTimeout(poll, 3000);
})();
