// Web Push sign-up on the channels page. Without JavaScript, or in a browser without push, the
// button stays hidden and the page says so; email and LINE work everywhere.
"use strict";

(function () {
  const form = document.getElementById("web-push-form");
  if (!form) return;
  const status = document.getElementById("web-push-status");
  const supported = "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;
  if (!supported) {
    status.textContent = "このブラウザはプッシュ通知に対応していません。メールかLINEをお使いください。";
    return;
  }
  form.hidden = false;
  document.getElementById("web-push-unavailable").hidden = true;

  function base64UrlToBytes(text) {
    const padded = (text + "===".slice((text.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    const raw = atob(padded);
    return Uint8Array.from(raw, (character) => character.charCodeAt(0));
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    status.textContent = "設定しています…";
    try {
      const permission = await Notification.requestPermission();
      if (permission !== "granted") {
        status.textContent = "通知が許可されませんでした。ブラウザの設定で通知を許可してから、もう一度お試しください。";
        return;
      }
      const registration = await navigator.serviceWorker.register("/sw.js");
      await navigator.serviceWorker.ready;
      const subscription = await registration.pushManager.subscribe({
        userVisibleOnly: true,
        applicationServerKey: base64UrlToBytes(form.dataset.vapidKey),
      });
      const json = subscription.toJSON();
      form.elements.endpoint.value = json.endpoint;
      form.elements.p256dh.value = json.keys.p256dh;
      form.elements.auth.value = json.keys.auth;
      form.submit();
    } catch (error) {
      status.textContent = "プッシュ通知を設定できませんでした（" + error.message + "）。メールかLINEをお使いください。";
    }
  });
})();
