/* The patient page's service worker: shows a Web Push message while the page is closed, and
   opens the page when it is tapped (opening the page tells CarePath the call was seen). */
"use strict";
self.addEventListener("message", (event) => {
  if (event.data && event.data.page) {
    event.waitUntil(caches.open("carepath").then((cache) => cache.put("/p/page", new Response(event.data.page))));
  }
});
self.addEventListener("push", (event) => {
  const message = event.data ? event.data.json() : {};
  event.waitUntil(self.registration.showNotification(message.title || "CarePath", {
    body: message.body || "", tag: message.tag || message.event_id, data: message, requireInteraction: true,
  }));
});
self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  event.waitUntil((async () => {
    const windows = await clients.matchAll({ type: "window", includeUncontrolled: true });
    if (windows.length) return windows[0].focus();
    const saved = await (await caches.open("carepath")).match("/p/page");
    return saved ? clients.openWindow(await saved.text()) : undefined;
  })());
});
