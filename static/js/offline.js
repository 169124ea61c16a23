// The daily log without a connection (static/js/offline-queue.js keeps the entries).
// Online, every form posts as it always has; this only steps in when the phone is
// offline: the daily log and the one-tap mood are saved on the phone and sent when
// the connection is back (by the open page, and by the service worker's Background
// Sync where the browser has it). Signing out deletes
// what is kept on the phone, after saying how many unsent entries would be lost.
(function () {
  "use strict";

  const queue = window.OfflineQueue;
  const SAVED = "Saved on this phone. It will be sent when you’re back online.";
  const LOG_PATH = /^\/journal\/(\d{4}-\d{2}-\d{2})\/$/;
  const NOT_SENT = ["csrfmiddlewaretoken", "submission_token", "day"];

  function localDay(date) {
    const pad = (n) => String(n).padStart(2, "0");
    return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
  }

  // Where to say what happened: the page's own status area, or one made at the top.
  function statusArea() {
    let area = document.querySelector("[data-offline-status]");
    if (!area) {
      area = document.createElement("div");
      area.className = "offline-status";
      area.setAttribute("data-offline-status", "");
      area.setAttribute("role", "status");
      area.setAttribute("aria-live", "polite");
      const main = document.getElementById("main");
      main.insertBefore(area, main.firstChild);
    }
    return area;
  }

  function say(kind, parts) {
    const note = document.createElement("div");
    note.className = `alert alert-${kind}`;
    parts.forEach((part) => {
      if (typeof part === "string") {
        note.append(part);
      } else if (part.href) {
        const link = document.createElement("a");
        link.className = "btn help-now ms-1";
        link.href = part.href;
        link.textContent = part.text;
        note.append(" ", link);
      } else {
        const strong = document.createElement("strong");
        strong.textContent = part.strong;
        note.append(strong, " ");
      }
    });
    statusArea().append(note);
    return note;
  }

  function helpLink() {
    const help = document.querySelector("a.help-now");
    return { href: help ? help.getAttribute("href") : "/journal/support/", text: "Need help now" };
  }

  // The page and the service worker may both send an entry (it is saved once): tell once.
  const told = new Set();

  function tellSent(result) {
    result.done.forEach(({ entry, answer }) => {
      if (told.has(entry.token)) {
        return;
      }
      told.add(entry.token);
      if (answer.status === "sent") {
        const parts = [{ strong: "Sent." }, answer.message];
        if (answer.conflict) {
          parts.push(" " + answer.conflict);
        }
        if (answer.support_url) {
          parts.push(" Your answer about thoughts of harming yourself was sent too.");
          parts.push({ href: answer.support_url, text: "Help, and who was told" });
        }
        say(answer.conflict ? "warning" : "success", parts);
      } else {
        say("danger", [{ strong: "Not sent." }, answer.message]);
      }
    });
    if (result.signedOut && result.left) {
      say("warning", [`${result.left} saved on this phone will be sent once you sign in again.`]);
    }
  }

  // The page sends while it is open (on loading, on "online", and again a little
  // later while something is still waiting: a connection that comes back is often
  // shaky at first); the service worker sends on Background Sync, when no page may be
  // open, and reports back by message. OfflineQueue.sendAll lets one send at a time.
  const FIRST_RETRY_MS = 2000;
  const LAST_RETRY_MS = 60000;
  let retryIn = 0;
  let retryTimer = null;

  async function sendQueued() {
    if (!queue || !navigator.onLine) {
      return;
    }
    window.clearTimeout(retryTimer);
    const result = await sendFromPage();
    if (result && (!result.left || result.signedOut)) {
      retryIn = 0;
      return;
    }
    retryIn = Math.min(retryIn ? retryIn * 2 : FIRST_RETRY_MS, LAST_RETRY_MS);
    retryTimer = window.setTimeout(sendQueued, retryIn);
  }

  async function sendFromPage() {
    try {
      const result = await queue.sendAll();
      tellSent(result);
      return result;
    } catch (error) {
      // Nothing lost: the entries stay queued for the next try.
      return null;
    }
  }

  async function askForBackgroundSync() {
    try {
      const registration = await navigator.serviceWorker.ready;
      if (registration.sync) {
        await registration.sync.register("daily-log");
      }
    } catch (error) {
      // No Background Sync here: the "online" event and the next page load send it.
    }
  }

  // The answers given, by field name; anything left empty or unticked is not sent.
  function answersIn(form, submitter) {
    const data = new FormData(form);
    if (submitter && submitter.name) {
      data.set(submitter.name, submitter.value);
    }
    const fields = {};
    for (const [name, value] of data.entries()) {
      if (!NOT_SENT.includes(name) && typeof value === "string" && value.trim() !== "") {
        fields[name] = value;
      }
    }
    return fields;
  }

  async function keepOnPhone(form, day, submitter) {
    const fields = answersIn(form, submitter);
    const openedAt = form.dataset.openedAt ? new Date(form.dataset.openedAt) : new Date();
    await queue.add(day, fields, openedAt);
    statusArea().replaceChildren();
    const parts = [SAVED];
    if (fields.self_harm_thoughts) {
      parts.push(" If you need someone now, help is one tap away, even offline.", helpLink());
    }
    say("info", parts);
    statusArea().scrollIntoView({ block: "nearest" });
    askForBackgroundSync();
    if (form.hasAttribute("data-offline-form")) {
      form.reset();
    }
    // A second Save on this page is a later edit of this phone's, not a conflict.
    form.dataset.openedAt = new Date().toISOString();
  }

  function dayOf(form) {
    const field = form.querySelector("input[name=day]");
    if (field && field.value) {
      return field.value;
    }
    const match = window.location.pathname.match(LOG_PATH);
    return match ? match[1] : localDay(new Date());
  }

  function enhanceForms() {
    document.querySelectorAll("form.daily-log, form.quick-mood").forEach((form) => {
      form.dataset.openedAt = new Date().toISOString();
      form.addEventListener("submit", (event) => {
        const offlineForm = form.hasAttribute("data-offline-form");
        if (!queue || (navigator.onLine && !offlineForm)) {
          return; // Posts as it always has.
        }
        event.preventDefault();
        keepOnPhone(form, dayOf(form), event.submitter).then(sendQueued);
      });
    });
  }

  // The offline page: its day is the one in the address (it stands in for that
  // day's log) or today on this phone.
  function setUpOfflinePage() {
    const form = document.querySelector("form[data-offline-form]");
    if (!form) {
      return;
    }
    const match = window.location.pathname.match(LOG_PATH);
    // Sent here by the service worker after a post that couldn't get through.
    const kept = new URLSearchParams(window.location.search).get("kept");
    const keptDay = kept && /^\d{4}-\d{2}-\d{2}$/.test(kept) ? kept : null;
    const day = keptDay || (match ? match[1] : localDay(new Date()));
    form.querySelector("[data-offline-day]").value = day;
    if (keptDay) {
      say("info", [SAVED]);
    }
    if (day !== localDay(new Date())) {
      const date = new Date(`${day}T12:00:00`);
      document.querySelector("[data-offline-heading]").textContent =
        `How was ${date.toLocaleDateString(undefined, { weekday: "long", day: "numeric", month: "long" })}?`;
    } else {
      document.querySelector("[data-offline-heading]").textContent = "How was today?";
    }
    if (navigator.onLine) {
      document.querySelector("[data-offline-note]").textContent =
        "This is the page kept for when you’re offline. What you save here is sent now.";
    }
    form.querySelector("[data-needs-script]").disabled = false;
  }

  // Sign out: send what can be sent; warn before losing the rest; then delete the
  // queue and the kept files along with the session (the server also sends
  // Clear-Site-Data).
  function enhanceSignOut() {
    const warning = document.querySelector("[data-unsent-warning]");
    if (warning && queue) {
      queue.count().then((left) => {
        if (left) {
          warning.textContent = left === 1
            ? "1 entry saved on this phone hasn’t been sent yet. Signing out deletes it."
            : `${left} entries saved on this phone haven’t been sent yet. Signing out deletes them.`;
          warning.hidden = false;
        }
      });
    }
    document.querySelectorAll("form[action$='/accounts/logout/']").forEach((form) => {
      form.addEventListener("submit", async (event) => {
        event.preventDefault();
        window.clearTimeout(retryTimer);
        if (queue && !warning) {
          await sendFromPage();
          if (await queue.count()) {
            window.location.assign(form.getAttribute("action"));
            return;
          }
        }
        await forgetEverything();
        form.submit();
      });
    });
  }

  async function forgetEverything() {
    try {
      if (queue) {
        await queue.forget();
      }
      if (window.caches) {
        for (const name of await caches.keys()) {
          await caches.delete(name);
        }
      }
    } catch (error) {
      // Clear-Site-Data on the sign-out answer clears them anyway.
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    const wanted = document.body.hasAttribute("data-offline-log")
      || document.querySelector("form[data-offline-form]");
    if ("serviceWorker" in navigator && wanted) {
      navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(() => undefined);
      navigator.serviceWorker.addEventListener("message", (event) => {
        if (event.data && event.data.kind === "offline-queue-sent") {
          tellSent(event.data.result);
        }
      });
    }
    setUpOfflinePage();
    enhanceForms();
    enhanceSignOut();
    if (wanted) {
      sendQueued();
    }
  });
  window.addEventListener("online", sendQueued);
})();
