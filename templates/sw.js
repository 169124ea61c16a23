// The service worker (served at /sw.js by config/views.py): it lets the daily log open
// and save with no connection. It keeps only what is the same for everyone (the
// app's CSS, scripts and icons, the offline daily log and "Need help now"); every
// other page comes from the network and is never stored, so no page with a person's
// data in it is ever on the phone. Entries saved offline wait in IndexedDB
// (static/js/offline-queue.js); the open page sends them, and this worker sends them
// on Background Sync where the browser has it (one at a time: OfflineQueue.sendAll).
"use strict";

const SHELL = {{ shell|safe }};
const OFFLINE_PAGE = {{ offline_page|safe }};
const SUPPORT_PAGE = {{ support_page|safe }};
const QUICK_MOOD = {{ quick_mood_url|safe }};
const DAILY_LOG = /^\/journal\/(\d{4}-\d{2}-\d{2})\/$/;
// Not answers: a form's own tokens (a queued entry gets a token of its own).
const NOT_ANSWERS = ["csrfmiddlewaretoken", "submission_token", "day"];
const CACHE = "shell-" + SHELL.version;

importScripts({{ queue_script|safe }});

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    await cache.addAll(SHELL.static);
    // Without cookies: the pages as anyone sees them, whoever is signed in.
    for (const page of SHELL.pages) {
      const response = await fetch(page, { credentials: "omit" });
      if (!response.ok) {
        throw new Error("Could not keep " + page);
      }
      await cache.put(page, response);
    }
    await self.skipWaiting();
  })());
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name !== CACHE) {
        await caches.delete(name);
      }
    }
    await self.clients.claim();
  })());
});

function offlineAnswer(url) {
  // "Need help now" opens as itself; any other page opens as the offline daily log.
  return caches.match(url.pathname === SUPPORT_PAGE ? SUPPORT_PAGE : OFFLINE_PAGE);
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) {
    return;
  }
  if (request.method === "POST" && request.mode === "navigate" && isDailyLog(url)) {
    event.respondWith(postOrKeep(request, url));
    return;
  }
  if (request.method !== "GET") {
    return;
  }
  if (request.mode === "navigate") {
    // The network's page, never stored; the shell only when there is no network.
    event.respondWith(fetch(request).catch(() => offlineAnswer(url)));
    return;
  }
  if (SHELL.static.includes(url.pathname)) {
    event.respondWith(caches.match(request).then((kept) => kept || fetch(request)));
  }
});

function isDailyLog(url) {
  return url.pathname === QUICK_MOOD || DAILY_LOG.test(url.pathname);
}

// A phone that says it is online when the connection is dead posts the daily log
// as usual (static/js/offline.js only steps in when it knows it is offline): if the
// post can't get through, the answers are kept in the queue rather than lost to the
// browser's error page, and the offline page says so.
async function postOrKeep(request, url) {
  const copy = request.clone();
  try {
    return await fetch(request);
  } catch (error) {
    const form = await copy.formData();
    const match = url.pathname.match(DAILY_LOG);
    const day = form.get("day") || (match && match[1]);
    const fields = {};
    for (const [name, value] of form.entries()) {
      if (!NOT_ANSWERS.includes(name) && typeof value === "string" && value.trim() !== "") {
        fields[name] = value;
      }
    }
    if (!day || !Object.keys(fields).length) {
      throw error;
    }
    await self.OfflineQueue.add(day, fields);
    if (self.registration.sync) {
      self.registration.sync.register("daily-log").catch(() => undefined);
    }
    return Response.redirect(`${OFFLINE_PAGE}?kept=${encodeURIComponent(day)}`, 303);
  }
}

async function sendQueued() {
  const result = await self.OfflineQueue.sendAll();
  const pages = await self.clients.matchAll({ type: "window" });
  for (const page of pages) {
    page.postMessage({ kind: "offline-queue-sent", result });
  }
  if (result.left && !result.signedOut) {
    // Background Sync tries again later when the promise fails.
    throw new Error("Some entries are still waiting");
  }
}

self.addEventListener("sync", (event) => {
  if (event.tag === "daily-log") {
    event.waitUntil(sendQueued());
  }
});
