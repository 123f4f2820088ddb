// The agent's waiting room: keeps the list current without moving keyboard focus, and signals an arrival
// four ways: the page title counts who waits ("(1) Waiting room"), a banner above the list names them,
// screen readers hear who arrived (once), and a bell rings once sound is switched on (browsers allow sound
// only after a click). Messages are sent without leaving the page.
(function () {
  const root = document.querySelector("[data-waiting-room]");
  if (!root) return;
  const REFRESH_MS = 2000;
  // With the live connection open, events trigger fetches; this slower poll only keeps wait times current.
  const SLOW_REFRESH_MS = 15000;
  const toggle = document.querySelector("[data-sound-toggle]");
  const liveness = document.querySelector("[data-liveness]");
  const announcer = document.querySelector("[data-announcer]");
  // The title without a count: the server may have put one in front already.
  const title = document.title.replace(/^\(\d+\) /, "");
  let soundOn = localStorage.getItem("waitingroom-sound") === "on";
  let audio = null;
  let waiting = new Set(currentWaiting());

  function currentWaiting() {
    const list = root.querySelector("[data-waiting]");
    return list && list.dataset.waiting ? list.dataset.waiting.split(",") : [];
  }

  // The button says what pressing it does ("Turn sound on"); aria-pressed says whether sound is on.
  function showSound() {
    toggle.setAttribute("aria-pressed", String(soundOn));
    toggle.textContent = soundOn ? toggle.dataset.labelWhenOn : toggle.dataset.labelWhenOff;
    toggle.classList.toggle("is-on", soundOn);
  }
  toggle.addEventListener("click", () => {
    soundOn = !soundOn;
    localStorage.setItem("waitingroom-sound", soundOn ? "on" : "off");
    if (soundOn) {
      audio = audio || new AudioContext();
      audio.resume();
    }
    showSound();
  });
  showSound();

  function bell(participantIds) {
    // Tests and assistive tools can listen for this; the sound itself needs the toggle on.
    document.dispatchEvent(new CustomEvent("waitingroom:bell", { detail: { participants: participantIds } }));
    if (!soundOn) return;
    audio = audio || new AudioContext();
    window.playChime(audio, { frequencies: [880, 1318.5], spacing: 0.25, peak: 0.4, length: 1.2 });
  }

  function showCount(count) {
    const wanted = count ? `(${count}) ${title}` : title;
    if (document.title !== wanted) document.title = wanted;
  }

  // Who arrived, in the banner's own words (translated by the server), said once and shown with a flash.
  function signalArrivals(participantIds) {
    const sentences = participantIds
      .map((id) => root.querySelector(`[data-arrival="${CSS.escape(String(id))}"]`))
      // Beside a call, the call itself says who knocks on it ("Piet is knocking"): not twice.
      .filter((entry) => entry && entry.dataset.consult !== root.dataset.saidByCall)
      .map((entry) => entry.dataset.announce);
    if (sentences.length && announcer) window.announce(announcer, sentences.join(" "));
    const banner = root.querySelector("[data-arrivals]");
    if (banner) {
      banner.classList.remove("is-new");
      void banner.offsetWidth; // start the animation again
      banner.classList.add("is-new");
    }
  }

  function update(html, nowWaiting) {
    const focused = root.contains(document.activeElement) ? document.activeElement : null;
    const row = focused && focused.closest(".waitlist__item");
    window.morphInto(root, html);
    // The focused control went away (its client was let in, say): stay in the same consult.
    if (focused && !focused.isConnected && row && row.isConnected) {
      const subject = row.querySelector(".waitlist__subject");
      if (subject) subject.focus();
    }
    const arrived = nowWaiting.filter((id) => !waiting.has(String(id)));
    waiting = new Set(nowWaiting.map(String));
    showCount(nowWaiting.length);
    if (arrived.length) {
      signalArrivals(arrived);
      bell(arrived);
      // An agent's page with the waiting room hidden (another tab) also tells through the browser (arrivals.js).
      if (window.arrivalSignals) {
        const entries = arrived.map((id) => root.querySelector(`[data-arrival="${CSS.escape(String(id))}"]`));
        window.arrivalSignals.notify(entries.filter(Boolean).map((entry) => entry.dataset.notify));
      }
    }
  }

  let ended = false;
  const refresh = window.oneAtATime(async () => {
    if (ended) return;
    try {
      // Sent as background: the page asking by itself does not keep the session (accounts.middleware).
      const response = await fetch(root.dataset.stateUrl, {
        headers: { Accept: "application/json", "X-Background": "1" },
        cache: "no-store",
      });
      // 401 from the idle clock; a redirect (to the login page) when the session was already gone.
      if (response.status === 401 || response.redirected) {
        sessionEnded();
        return;
      }
      if (!response.ok) throw new Error(response.statusText);
      const state = await response.json();
      update(state.html, state.waiting);
      liveness.hidden = true;
    } catch {
      liveness.textContent = root.dataset.offline;
      liveness.hidden = false;
    }
  });
  // Events make the list fetch at once; the polls keep wait times current, and are the fallback.
  const live = window.liveConnection({
    root,
    url: root.dataset.eventsUrl,
    refresh,
    pollMs: REFRESH_MS,
    openPollMs: SLOW_REFRESH_MS,
  });
  // The session ended (idle, or logged out elsewhere): stop, and let the idle clock (idle.js) keep what was
  // typed and open the login page; without it, reloading leads there too.
  function sessionEnded() {
    ended = true;
    live.stop();
    const event = new CustomEvent("session:ended", { cancelable: true });
    if (document.dispatchEvent(event)) location.reload();
  }
  live.start();

  // Letting a knocking client in from the list, without leaving the page (a call may run beside it).
  root.addEventListener("submit", async (event) => {
    const form = event.target.closest(".person__action");
    if (!form) return;
    event.preventDefault();
    // Marked rather than disabled: a disabled button loses the keyboard focus; a second press does nothing.
    const button = form.querySelector("button");
    if (button.getAttribute("aria-disabled") === "true") return;
    button.setAttribute("aria-disabled", "true");
    const response = await fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      headers: { Accept: "application/json" },
    });
    if (response.redirected) return sessionEnded();
    refresh();
  });

  // Messages are sent in the background; without JavaScript the form posts and comes back.
  root.addEventListener("submit", async (event) => {
    const form = event.target.closest("[data-message-form]");
    if (!form) return;
    event.preventDefault();
    const error = form.querySelector("[data-message-error]");
    const response = await fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      headers: { Accept: "application/json" },
    });
    if (response.redirected) {
      // Signed out meanwhile: the form was answered with the login page.
      sessionEnded();
      return;
    }
    const result = await response.json().catch(() => ({ ok: false, error: response.statusText }));
    if (result.ok) {
      form.reset();
      form.closest("details").open = false;
      error.hidden = true;
      refresh();
    } else {
      error.textContent = result.error;
      error.hidden = false;
    }
  });
})();
