// The program editor's live check. As the clerk types, the form is posted (with its CSRF token)
// to /staff/programs/check, which answers the editor page for the form as it is; the messages at
// each field, the summary, the rule's plain sentence and the preview are copied from it. The
// controls themselves are never replaced, so focus and what is being typed stay where they are.
// Without JavaScript the 「入力内容を確認」 button makes the same round trip.
"use strict";

(function () {
  const form = document.getElementById("program-editor");
  if (!form) return;
  const status = document.getElementById("check-status");
  const WAIT_MS = 500;
  let timer = null;
  let sent = 0;

  function body() {
    const data = new URLSearchParams(new FormData(form));
    data.set("action", "check");
    return data;
  }

  // Copies what the server said about each field and the live sections into this page.
  function apply(page) {
    for (const message of page.querySelectorAll(".field-error[id]")) {
      const here = document.getElementById(message.id);
      if (!here) continue;
      here.textContent = message.textContent;
      here.hidden = message.hidden;
    }
    for (const control of page.querySelectorAll("[aria-invalid][id]")) {
      const here = document.getElementById(control.id);
      if (here) here.setAttribute("aria-invalid", control.getAttribute("aria-invalid"));
    }
    for (const section of page.querySelectorAll("[data-live][id]")) {
      const here = document.getElementById(section.id);
      if (here) here.innerHTML = section.innerHTML;
    }
    const count = page.querySelectorAll(".field-error[id]:not([hidden])").length;
    status.textContent = count === 0 ? "入力内容に問題はありません。" : count + "件の項目を確認してください。";
  }

  async function check() {
    const mine = ++sent;
    try {
      const response = await fetch(form.dataset.check, {
        method: "POST",
        body: body(),
        credentials: "same-origin",
        headers: { Accept: "text/html" },
      });
      if (!response.ok || mine !== sent) return;
      const page = new DOMParser().parseFromString(await response.text(), "text/html");
      apply(page);
    } catch (error) {
      // Offline or the server is restarting: the buttons still work.
    }
  }

  function later() {
    clearTimeout(timer);
    timer = setTimeout(check, WAIT_MS);
  }

  form.addEventListener("input", later);
  form.addEventListener("change", later);
})();
