// The idle clock of a signed-in page. The server ends a session after a while in which the person did
// nothing (accounts.middleware) and is the authority; this page tells it about typing and clicks that make no
// request, warns before the end with a way to stay (WCAG 2.2.1), and keeps what was typed into the page's
// forms until the same person has signed in again.
(function () {
  const dialog = document.querySelector("[data-idle-clock]");
  if (!dialog) return;
  const WARNING_MS = Number(dialog.dataset.warningSeconds) * 1000;
  const owner = dialog.dataset.owner;
  const activityUrl = dialog.dataset.activityUrl;
  // While the warning shows, ask this often whether the person went on in another tab.
  const RECHECK_MS = 15000;
  // Drafts live in this tab only (sessionStorage) and not for long: a practice's computer is shared.
  const DRAFT = "idle-draft:";
  const DRAFT_MAX_AGE_MS = 2 * 60 * 60 * 1000;

  let deadline = Date.now() + Number(dialog.dataset.secondsLeft) * 1000;
  let timer = null;
  let ticker = null;
  let leaving = false;

  // --- asking the server ------------------------------------------------------------------------------

  function csrfToken() {
    // The cookie rather than the page's token: signing in again in another tab replaces the token.
    const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : dialog.dataset.csrfToken;
  }

  // POST: the person did something. GET, as background: how long is left, without counting. Answers the
  // seconds left; null when the session has ended (the page is then on its way to the login page);
  // undefined when the server could not be asked, so that the page goes on by its own count.
  async function ask(method) {
    const headers = { Accept: "application/json" };
    if (method === "POST") headers["X-CSRFToken"] = csrfToken();
    else headers["X-Background"] = "1";
    let answer;
    try {
      const response = await fetch(activityUrl, { method, headers, credentials: "same-origin", cache: "no-store" });
      if (response.status === 401 || response.redirected) {
        signedOut();
        return null;
      }
      if (!response.ok) return undefined;
      answer = await response.json();
    } catch {
      return undefined;
    }
    if (answer.owner !== owner) {
      // Someone else signed in meanwhile (another tab): this page is not theirs to see.
      signedOut();
      return null;
    }
    deadline = Date.now() + answer.seconds_left * 1000;
    return answer.seconds_left;
  }

  function signedOut() {
    if (leaving) return;
    leaving = true;
    clearTimeout(timer);
    clearInterval(ticker);
    saveDrafts();
    const next = location.pathname + location.search;
    location.assign(`${dialog.dataset.loginUrl}?${new URLSearchParams({ next })}`);
  }
  // Other scripts of the page (the waiting room's polling) say so when the server turned them away.
  document.addEventListener("session:ended", (event) => {
    event.preventDefault();
    signedOut();
  });

  // --- what the person does ---------------------------------------------------------------------------

  // Reported at most this often (once a minute, as the server writes it); a few times within a short idle time.
  const REPORT_MS = Math.min(60000, (Number(dialog.dataset.idleSeconds) * 1000) / 4);
  let unreported = false;
  let lastReport = 0;
  let reportTimer = null;

  async function report() {
    reportTimer = null;
    if (!unreported || leaving) return;
    unreported = false;
    lastReport = Date.now();
    if ((await ask("POST")) !== null) plan();
  }

  function activity(event) {
    // Only the person: not events a script made up (restoring a draft), and not while the warning asks them
    // to choose (there only its button or Escape answers).
    if (!event.isTrusted || leaving || dialog.open) return;
    unreported = true;
    if (!reportTimer) reportTimer = setTimeout(report, Math.max(0, lastReport + REPORT_MS - Date.now()));
  }
  for (const type of ["keydown", "pointerdown", "wheel", "input"]) {
    document.addEventListener(type, activity, { capture: true, passive: true });
  }
  // A page's own script may say that the person is busy without touching anything: in a video call, talking.
  document.addEventListener("session:active", () => {
    if (leaving || dialog.open) return;
    unreported = true;
    if (!reportTimer) reportTimer = setTimeout(report, Math.max(0, lastReport + REPORT_MS - Date.now()));
  });

  // --- the count-down ---------------------------------------------------------------------------------

  function plan() {
    clearTimeout(timer);
    if (leaving) return;
    const left = deadline - Date.now();
    if (left > WARNING_MS) {
      if (dialog.open) closeWarning();
      timer = setTimeout(checkpoint, left - WARNING_MS);
      return;
    }
    if (!dialog.open) openWarning();
    // Just after the end the server answers that the session is over; until then it may have been kept.
    timer = setTimeout(checkpoint, left > 0 ? Math.min(left + 500, RECHECK_MS) : 1000);
  }

  async function checkpoint() {
    if (unreported) {
      // Activity not yet told to the server comes first: it moves the end, no warning needed.
      clearTimeout(reportTimer);
      await report();
      return;
    }
    const left = await ask("GET");
    if (left === null) return;
    if (left === undefined && Date.now() >= deadline) {
      // The server cannot be reached and the time is up: leave anyway; it ends the session at the next request.
      signedOut();
      return;
    }
    plan();
  }

  const words = (() => {
    const lang = document.documentElement.lang || undefined;
    const unit = (name) => new Intl.NumberFormat(lang, { style: "unit", unit: name, unitDisplay: "long" });
    const minutes = unit("minute");
    const seconds = unit("second");
    return (total) => {
      const m = Math.floor(total / 60);
      const s = total % 60;
      if (!m) return seconds.format(s);
      return s ? `${minutes.format(m)} ${seconds.format(s)}` : minutes.format(m);
    };
  })();

  function secondsLeft() {
    return Math.max(0, Math.ceil((deadline - Date.now()) / 1000));
  }

  const time = dialog.querySelector("[data-idle-time]");
  const spoken = dialog.querySelector("[data-idle-words]");
  const announce = dialog.querySelector("[data-idle-announce]");
  let announced = null;

  function tick() {
    const left = secondsLeft();
    time.textContent = `${Math.floor(left / 60)}:${String(left % 60).padStart(2, "0")}`;
    // Screen readers hear the whole minutes and the last 30 and 10 seconds, not every second.
    const milestone = left > 0 && (left % 60 === 0 || left === 30 || left === 10);
    if (milestone && left !== announced) {
      announced = left;
      announce.textContent = dialog.dataset.announce.replace("{time}", words(left));
    }
  }

  function openWarning() {
    announced = secondsLeft();
    spoken.textContent = words(announced);
    announce.textContent = "";
    tick();
    dialog.showModal();
    dialog.querySelector("[data-idle-stay]").focus();
    ticker = setInterval(tick, 1000);
  }

  let closedOnPurpose = false;
  function closeWarning() {
    clearInterval(ticker);
    if (!dialog.open) return;
    closedOnPurpose = true;
    dialog.close();
  }

  async function stay() {
    closeWarning();
    unreported = false;
    lastReport = Date.now();
    if ((await ask("POST")) !== null) plan();
  }
  dialog.querySelector("[data-idle-stay]").addEventListener("click", stay);
  dialog.addEventListener("cancel", (event) => {
    // Escape: the person is there, which is all the warning asks.
    event.preventDefault();
    stay();
  });
  dialog.addEventListener("close", () => {
    // The browser may close a modal on Escape without asking (repeated Escapes): that, too, is the person.
    if (closedOnPurpose) closedOnPurpose = false;
    else stay();
  });

  // Timers of a hidden tab run late; coming back, ask rather than trust them.
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible" && !leaving) checkpoint();
  });
  window.addEventListener("pageshow", (event) => {
    if (event.persisted && !leaving) checkpoint();
  });

  // --- drafts: what was typed, kept across the logout -------------------------------------------------

  // Each form named by its action and its place among forms with the same action, so that the same form
  // is found again when the page is loaded anew.
  function keyedForms() {
    const counts = new Map();
    return [...document.forms].map((form) => {
      const action = form.getAttribute("action") || "";
      const n = counts.get(action) || 0;
      counts.set(action, n + 1);
      return [`${action}#${n}`, form];
    });
  }

  const SKIPPED = new Set(["password", "hidden", "file", "submit", "button", "reset", "image"]);
  function fieldsOf(form) {
    return [...form.elements].filter(
      (el) => el.name && el.name !== "csrfmiddlewaretoken" && ["INPUT", "TEXTAREA", "SELECT"].includes(el.tagName)
        && !SKIPPED.has(el.type),
    );
  }
  const isChoice = (el) => el.type === "checkbox" || el.type === "radio";

  // Only what differs from what the page came with: that is what the person typed or chose.
  function changed(el) {
    if (isChoice(el)) return el.checked !== el.defaultChecked;
    if (el.tagName === "SELECT") {
      const defaults = [...el.options].filter((o) => o.defaultSelected);
      if (!defaults.length && !el.multiple && el.options.length) defaults.push(el.options[0]);
      const chosen = [...el.selectedOptions];
      return chosen.length !== defaults.length || chosen.some((o) => !defaults.includes(o));
    }
    return el.value !== el.defaultValue;
  }

  function saveDrafts() {
    const forms = [];
    for (const [key, form] of keyedForms()) {
      const fields = [];
      const counts = new Map();
      for (const el of fieldsOf(form)) {
        const index = counts.get(el.name) || 0;
        counts.set(el.name, index + 1);
        if (!changed(el)) continue;
        if (isChoice(el)) fields.push({ name: el.name, value: el.value, checked: el.checked });
        else if (el.tagName === "SELECT") fields.push({ name: el.name, index, values: [...el.selectedOptions].map((o) => o.value) });
        else fields.push({ name: el.name, index, value: el.value });
      }
      if (fields.length) forms.push({ key, fields });
    }
    if (!forms.length) return;
    try {
      const draft = { owner, savedAt: Date.now(), forms };
      sessionStorage.setItem(DRAFT + location.pathname + location.search, JSON.stringify(draft));
    } catch {
      // Storage switched off or full: the logout goes ahead; what was typed cannot be kept.
    }
  }

  function find(form, field) {
    const same = fieldsOf(form).filter((el) => el.name === field.name);
    if ("checked" in field) return same.find((el) => isChoice(el) && el.value === field.value);
    return same[field.index];
  }

  function fill(draft) {
    const forms = new Map(keyedForms());
    const filled = [];
    for (const { key, fields } of draft.forms) {
      const form = forms.get(key);
      if (!form) continue;
      // Rows the person added (a second participant) are not in the page yet; the form's own script adds them.
      form.dispatchEvent(new CustomEvent("draft:restore", { detail: { names: fields.map((f) => f.name) } }));
      for (const field of fields) {
        const el = find(form, field);
        if (!el) continue;
        if ("checked" in field) el.checked = field.checked;
        else if (field.values) [...el.options].forEach((o) => (o.selected = field.values.includes(o.value)));
        else el.value = field.value;
        filled.push(el);
      }
    }
    // Afterwards, in page order, so that the page's scripts see the team before the agent it filters.
    for (const el of filled) {
      const details = el.closest("details");
      if (details) details.open = true;
      el.dispatchEvent(new Event("input", { bubbles: true }));
      el.dispatchEvent(new Event("change", { bubbles: true }));
    }
    return filled.length > 0;
  }

  function notice() {
    const main = document.querySelector("main");
    let box = main.querySelector(".messages");
    if (!box) {
      box = document.createElement("div");
      box.className = "messages";
      main.prepend(box);
    }
    const note = document.createElement("p");
    note.className = "alert alert--info";
    note.setAttribute("role", "status");
    box.append(note);
    // Filled in after the live region exists, so that screen readers announce it.
    setTimeout(() => (note.textContent = dialog.dataset.restored), 100);
  }

  // Put back this page's draft of the person signed in; throw away drafts of anyone else and old ones.
  function restoreDrafts() {
    const here = DRAFT + location.pathname + location.search;
    let restored = false;
    for (const key of Object.keys(sessionStorage)) {
      if (!key.startsWith(DRAFT)) continue;
      let draft = null;
      try {
        draft = JSON.parse(sessionStorage.getItem(key));
      } catch {
        // Not ours to read: thrown away below.
      }
      const age = draft ? Date.now() - draft.savedAt : Infinity;
      const usable = draft && draft.owner === owner && age >= 0 && age <= DRAFT_MAX_AGE_MS;
      if (!usable || key === here) sessionStorage.removeItem(key);
      if (usable && key === here) restored = fill(draft);
    }
    if (restored) notice();
  }

  restoreDrafts();
  plan();
})();
