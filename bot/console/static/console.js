// Kết Nối console: small progressive enhancements; every page works without them.
"use strict";
(function () {
  // The sign-in page spends the link with one press; a browser opening the link submits it at
  // once (link previews and scanners run no script, so they never spend it).
  const signIn = document.getElementById("sign-in");
  if (signIn) signIn.submit();
  // Forms that ask before doing something that cannot be undone: data-confirm="question".
  document.addEventListener("submit", (event) => {
    const question = event.target.getAttribute("data-confirm");
    if (question && !window.confirm(question)) event.preventDefault();
  });
})();
