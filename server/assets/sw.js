// Shows the notices the service pushes (RFC 8291 payload: title, body, url, actions, tag) and
// opens the program page when one is tapped.
"use strict";

self.addEventListener("push", (event) => {
  let notice = { title: "青森県 子育て支援", body: "" };
  try {
    notice = event.data ? event.data.json() : notice;
  } catch (error) {
    notice.body = event.data ? event.data.text() : "";
  }
  event.waitUntil(
    self.registration.showNotification(notice.title, {
      body: notice.body,
      tag: notice.tag,
      lang: "ja",
      data: { url: notice.url || "/me" },
    })
  );
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const url = (event.notification.data && event.notification.data.url) || "/me";
  event.waitUntil(self.clients.openWindow(url));
});
