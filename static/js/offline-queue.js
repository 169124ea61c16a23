// Daily log entries saved on this phone while offline, and sending them once the
// connection is back. Used by the pages (static/js/offline.js) and by the service
// worker (templates/sw.js, for Background Sync), so both send the same way.
//
// The queue (IndexedDB) is the only health data this app keeps on a device: the
// service worker caches no page with a person's data in it. Each entry carries its
// own one-time submission token (core/submissions.py), so an entry sent twice, by
// the page and the worker at once or after an answer lost on the way, is saved once.
/* global self */
(function (scope) {
  "use strict";

  const DB_NAME = "between-sessions";
  const STORE = "queued-entries";
  const SYNC_URL = "/journal/sync/";

  // Only saving an entry makes the database: reading or sending with nothing kept
  // (after signing out, say) must not leave an empty one behind on the phone.
  function openDb(create) {
    return new Promise((resolve, reject) => {
      const request = scope.indexedDB.open(DB_NAME, 1);
      request.onupgradeneeded = (event) => {
        if (!create && event.oldVersion === 0) {
          request.transaction.abort();
          return;
        }
        request.result.createObjectStore(STORE, { keyPath: "token" });
      };
      request.onsuccess = () => {
        const db = request.result;
        // Let signing out delete the database at once, from any page or the worker.
        db.onversionchange = () => db.close();
        resolve(db);
      };
      request.onerror = (event) => {
        if (!create && request.error && request.error.name === "AbortError") {
          event.preventDefault();
          resolve(null);
        } else {
          reject(request.error);
        }
      };
    });
  }

  // `none`: the answer when nothing was ever kept on this phone.
  async function withStore(mode, work, none) {
    const db = await openDb(false);
    if (!db) {
      return none;
    }
    return useStore(db, mode, work);
  }

  async function useStore(db, mode, work) {
    try {
      return await new Promise((resolve, reject) => {
        const transaction = db.transaction(STORE, mode);
        const result = work(transaction.objectStore(STORE));
        transaction.oncomplete = () => resolve(result && "result" in result ? result.result : result);
        transaction.onerror = () => reject(transaction.error);
        transaction.onabort = () => reject(transaction.error);
      });
    } finally {
      db.close();
    }
  }

  // 32 random bytes, base64url: the shape core/submissions.py accepts.
  function newToken() {
    const bytes = new Uint8Array(32);
    scope.crypto.getRandomValues(bytes);
    let text = "";
    bytes.forEach((byte) => { text += String.fromCharCode(byte); });
    return scope.btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  // fields: the answers given, by the daily log's field names. The token is the key.
  function add(day, fields, openedAt) {
    const entry = {
      token: newToken(),
      day,
      fields,
      opened_at: (openedAt || new Date()).toISOString(),
      edited_at: new Date().toISOString(),
    };
    return openDb(true).then((db) => useStore(db, "readwrite", (store) => store.put(entry))).then(() => entry);
  }

  function all() {
    return withStore("readonly", (store) => store.getAll(), []).then((entries) =>
      entries.sort((a, b) => a.edited_at.localeCompare(b.edited_at)));
  }

  function count() {
    return withStore("readonly", (store) => store.count(), 0);
  }

  function remove(token) {
    return withStore("readwrite", (store) => store.delete(token), undefined);
  }

  // Resolves once the database is gone, or after a moment if something still holds
  // it open (it goes as soon as that lets go; Clear-Site-Data also deletes it).
  function forget() {
    return new Promise((resolve) => {
      const request = scope.indexedDB.deleteDatabase(DB_NAME);
      request.onsuccess = request.onerror = () => resolve();
      request.onblocked = () => scope.setTimeout(resolve, 2000);
    });
  }

  async function csrfToken() {
    const response = await scope.fetch(SYNC_URL, {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    });
    // Signed out, the answer is the sign-in page: keep everything for later.
    if (!response.ok || !(response.headers.get("Content-Type") || "").includes("json")) {
      return null;
    }
    return (await response.json()).csrf_token;
  }

  // Send every queued entry, oldest first. Stops at the first that can't be sent
  // now (no connection, signed out, the server busy) and keeps it and the rest.
  // Returns what became of each one sent: {entry, answer} where answer is the
  // server's words ("sent" or "refused").
  // One sender at a time across every tab and the service worker (Web Locks), so an
  // entry is never in flight twice; the next sender finds it gone from the queue.
  let running = null;
  function sendAll() {
    const locks = scope.navigator && scope.navigator.locks;
    if (locks) {
      return locks.request("between-sessions-send", sendQueued);
    }
    if (!running) {
      running = sendQueued().finally(() => { running = null; });
    }
    return running;
  }

  async function sendQueued() {
    const done = [];
    const entries = await all();
    if (!entries.length) {
      return { done, left: 0, signedOut: false };
    }
    let token;
    try {
      token = await csrfToken();
    } catch (error) {
      return { done, left: entries.length, signedOut: false };
    }
    if (!token) {
      return { done, left: entries.length, signedOut: true };
    }
    for (const entry of entries) {
      const body = new URLSearchParams(entry.fields);
      body.set("submission_token", entry.token);
      body.set("day", entry.day);
      body.set("edited_at", entry.edited_at);
      body.set("opened_at", entry.opened_at);
      let response;
      try {
        response = await scope.fetch(SYNC_URL, {
          method: "POST",
          credentials: "same-origin",
          headers: { "X-CSRFToken": token, Accept: "application/json" },
          body,
        });
      } catch (error) {
        break;
      }
      const isJson = (response.headers.get("Content-Type") || "").includes("json");
      if (response.ok && isJson) {
        done.push({ entry, answer: await response.json() });
        await remove(entry.token);
      } else if (response.status === 400 && isJson) {
        // It will never be accepted (a day too far back, an answer out of range):
        // say so rather than try for ever.
        done.push({ entry, answer: await response.json() });
        await remove(entry.token);
      } else {
        break;
      }
    }
    return { done, left: await count(), signedOut: false };
  }

  scope.OfflineQueue = { add, all, count, remove, forget, sendAll };
})(self);
