// An agent's arrivals on every page (loaded only for agents, templates/base.html). Two parts:
//
// window.arrivalSignals: the bell and the browser notification, shared with the waiting room's own script.
// Sound follows the waiting room's sound button (localStorage "waitingroom-sound"); notifications follow the
// "Notify me in the browser" button (localStorage "waitingroom-notify"), which alone asks the browser for
// permission, and show only while the page is hidden: on a visible page the banner and the bell say it.
//
// The arrivals bar: on pages without a waiting list of their own, the waiting room's live connection
// ([data-arrivals-bar]) makes the page ask who waits for the agent's consults; it then shows them in a
// banner, counts them in the title ("(1) Agenda"), says each arrival once to screen readers, rings and
// notifies. Nothing takes the keyboard focus.
(function () {
  const script = document.currentScript;
  const SOUND = "waitingroom-sound";
  const NOTIFY = "waitingroom-notify";
  let audio = null;

  // Browsers start sound only after a click or key press on the page, whatever the setting says. Any such
  // gesture wakes the bell up for the arrivals after it.
  function wakeAudio() {
    if (localStorage.getItem(SOUND) !== "on") return;
    audio = audio || new AudioContext();
    audio.resume();
    const note = document.querySelector("[data-arrivals-sound]");
    if (note) note.hidden = true;
  }
  document.addEventListener("pointerdown", wakeAudio);
  document.addEventListener("keydown", wakeAudio);

  // Returns false when sound is on but the browser keeps this page silent (no click on it yet).
  function ring(participantIds) {
    // Tests and assistive tools can listen for this; the sound itself needs the setting on.
    document.dispatchEvent(new CustomEvent("waitingroom:bell", { detail: { participants: participantIds } }));
    if (localStorage.getItem(SOUND) !== "on") return true;
    audio = audio || new AudioContext();
    if (audio.state !== "running") return false;
    window.playChime(audio, { frequencies: [880, 1318.5], spacing: 0.25, peak: 0.4, length: 1.2 });
    return true;
  }

  function notifying() {
    return "Notification" in window && Notification.permission === "granted" && localStorage.getItem(NOTIFY) === "on";
  }

  // One notification at a time (the tag replaces the last); a click brings the agent to the waiting room.
  function notify(sentences) {
    if (!sentences.length || document.visibilityState !== "hidden" || !notifying()) return;
    const shown = new Notification(script.dataset.notifyTitle, { body: sentences.join(" "), tag: "arrivals" });
    shown.addEventListener("click", () => {
      window.focus();
      if (!document.querySelector("[data-waiting-room]")) location.assign(script.dataset.waitingRoomUrl);
      shown.close();
    });
  }

  window.arrivalSignals = { ring, notify };

  // The "Notify me in the browser" button: permission is asked on its click, never before.
  function notifyButton() {
    const button = document.querySelector("[data-notify-toggle]");
    if (!button || !("Notification" in window)) return;
    const note = document.querySelector("[data-notify-note]");
    function show() {
      const on = notifying();
      button.setAttribute("aria-pressed", String(on));
      button.textContent = on ? button.dataset.labelWhenOn : button.dataset.labelWhenOff;
      button.classList.toggle("is-on", on);
    }
    button.addEventListener("click", async () => {
      if (notifying()) {
        localStorage.setItem(NOTIFY, "off");
      } else {
        const permission = await Notification.requestPermission();
        localStorage.setItem(NOTIFY, permission === "granted" ? "on" : "off");
        if (permission === "denied") window.announce(note, button.dataset.denied);
      }
      show();
    });
    button.hidden = false;
    show();
  }

  function arrivalsBar() {
    const bar = document.querySelector("[data-arrivals-bar]");
    if (!bar) return;
    const content = bar.querySelector("[data-arrivals-content]");
    const announcer = document.querySelector("[data-arrivals-announcer]");
    const soundNote = bar.querySelector("[data-arrivals-sound]");
    const title = document.title.replace(/^\(\d+\) /, "");
    // Kept for the tab, so that moving to another page neither rings again for the same clients nor brings
    // back a banner that was hidden; and a client who arrived during the move still rings.
    const stored = (key) => new Set((sessionStorage.getItem(key) || "").split(",").filter(Boolean));
    const store = (key, ids) => sessionStorage.setItem(key, [...ids].join(","));
    let shownHtml = "";

    bar.querySelector("[data-arrivals-dismiss]").addEventListener("click", () => {
      store("arrivals-dismissed", stored("arrivals-known"));
      bar.hidden = true;
    });

    function update(html, nowWaiting) {
      const ids = nowWaiting.map(String);
      const known = stored("arrivals-known");
      const arrived = ids.filter((id) => !known.has(id));
      store("arrivals-known", ids);
      // Whoever left may be hidden again when they come back.
      const dismissed = new Set(ids.filter((id) => stored("arrivals-dismissed").has(id)));
      store("arrivals-dismissed", dismissed);
      const wanted = ids.length ? `(${ids.length}) ${title}` : title;
      if (document.title !== wanted) document.title = wanted;
      if (html !== shownHtml) {
        const focused = content.contains(document.activeElement);
        window.morphInto(content, html);
        shownHtml = html;
        // The focused name went away (that client was let in): stay in the bar.
        if (focused && !content.contains(document.activeElement)) bar.querySelector("[data-arrivals-dismiss]").focus();
      }
      bar.hidden = !ids.some((id) => !dismissed.has(id));
      if (!arrived.length) return;
      const entries = arrived.map((id) => content.querySelector(`[data-arrival="${CSS.escape(id)}"]`)).filter(Boolean);
      window.announce(announcer, entries.map((entry) => entry.dataset.announce).join(" "));
      bar.classList.remove("is-new");
      void bar.offsetWidth; // start the flash again
      bar.classList.add("is-new");
      soundNote.hidden = ring(arrived.map(Number));
      notify(entries.map((entry) => entry.dataset.notify));
    }

    const refresh = window.oneAtATime(async () => {
      try {
        // Sent as background: asking by itself does not keep the session (accounts.middleware).
        const response = await fetch(bar.dataset.stateUrl, {
          headers: { Accept: "application/json", "X-Background": "1" },
          cache: "no-store",
        });
        // Signed out (the idle clock, idle.js, takes the page to the login page): stop asking.
        if (response.status === 401 || response.redirected) {
          live.stop();
          return;
        }
        if (!response.ok) return;
        const state = await response.json();
        update(state.html, state.waiting);
      } catch {
        // Offline for a moment: the next event or poll asks again.
      }
    });
    const live = window.liveConnection({ root: bar, url: bar.dataset.eventsUrl, refresh, pollMs: 5000 });
    // Without a stream (WSGI, a proxy) the first poll would come only after a while: ask now.
    refresh();
    live.start();
  }

  function ready(fn) {
    if (document.readyState !== "loading") fn();
    else document.addEventListener("DOMContentLoaded", fn);
  }
  ready(() => {
    notifyButton();
    arrivalsBar();
  });
})();
