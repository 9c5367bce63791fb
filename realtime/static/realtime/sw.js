/**
 * sw.js: the service worker of Web Push (docs/client.md). Served from /realtime/sw.js with
 * "Service-Worker-Allowed: /", so that realtime.js's enablePush() registers it for the whole
 * site. It shows each push as a notification (title, body, tag: a newer one with the same tag
 * replaces the older), and on a click focuses a window of the page to open (or opens one) and
 * posts {type: "push_click", ...} to it. Every push received is posted to the site's windows
 * as {type: "push_received", ...}.
 */

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

function readPush(data) {
  if (!data) return {};
  try {
    const message = data.json();
    return message && typeof message === "object" ? message : {};
  } catch (_) {
    return { body: data.text() };
  }
}

/** Only pages of this site are opened: a push cannot send the user elsewhere. */
function sameSiteUrl(url) {
  try {
    const target = new URL(url || "/", self.location.origin);
    return target.origin === self.location.origin ? target : new URL("/", self.location.origin);
  } catch (_) {
    return new URL("/", self.location.origin);
  }
}

async function postToWindows(message) {
  const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
  for (const client of windows) client.postMessage(message);
}

self.addEventListener("push", (event) => {
  const push = readPush(event.data);
  const details = {
    notification_id: push.notification_id ?? null,
    notification_type: push.notification_type ?? null,
    url: sameSiteUrl(push.url).href,
  };
  const options = { body: String(push.body || ""), data: details };
  if (push.tag) options.tag = String(push.tag);
  event.waitUntil(
    Promise.all([
      self.registration.showNotification(String(push.title || "Notification"), options),
      postToWindows({ type: "push_received", title: push.title || "", body: push.body || "", ...details }),
    ]),
  );
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const details = event.notification.data || {};
  const target = sameSiteUrl(details.url);
  event.waitUntil(
    (async () => {
      const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
      let client = windows.find((candidate) => new URL(candidate.url).pathname === target.pathname) || windows[0];
      if (client) {
        client = await client.focus();
        if (client && new URL(client.url).href !== target.href && "navigate" in client) client = await client.navigate(target.href);
      } else {
        client = await self.clients.openWindow(target.href);
      }
      if (client) client.postMessage({ type: "push_click", ...details });
    })(),
  );
});
