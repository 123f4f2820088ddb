// The booking form of new and edited consults, loaded by that page only: agents of the chosen team only;
// email or phone field by channel; add and remove rows; the dates of a series. Deferred like every script
// here, so it runs once the form is parsed, and before the idle clock (idle.js) puts back a draft into it.
function bookingForm() {
  const form = document.querySelector("[data-booking-form]");
  if (!form) return;

  const team = form.querySelector("#id_team");
  const agent = form.querySelector("[data-agent-select]");
  function filterAgents() {
    const chosen = team.value;
    agent.querySelectorAll("optgroup").forEach((group) => {
      const show = !chosen || group.dataset.team === chosen;
      group.hidden = !show;
      group.disabled = !show;
    });
    const selected = agent.selectedOptions[0];
    if (selected && selected.dataset.team && chosen && selected.dataset.team !== chosen) agent.value = "";
  }
  team.addEventListener("change", filterAgents);
  filterAgents();

  const list = form.querySelector("[data-participants]");
  const template = form.querySelector("[data-participant-template]");
  const total = form.querySelector("#id_participants-TOTAL_FORMS");
  const addButton = form.querySelector("[data-add-participant]");
  const max = parseInt(addButton.dataset.max, 10);

  function visibleRows() {
    return [...list.querySelectorAll("[data-participant]")].filter((row) => !row.hidden);
  }
  function renumber() {
    visibleRows().forEach((row, i) => (row.querySelector("[data-participant-number]").textContent = i + 1));
    addButton.hidden = visibleRows().length >= max;
    visibleRows().forEach((row) => {
      row.querySelector("[data-remove-participant]").hidden = visibleRows().length === 1;
    });
  }
  function setupRow(row) {
    const channel = row.querySelector("select[name$='-channel']");
    const email = row.querySelector(".participant__email");
    const phone = row.querySelector(".participant__phone");
    function showContact() {
      email.hidden = channel.value !== "email";
      phone.hidden = channel.value !== "sms";
    }
    channel.addEventListener("change", showContact);
    showContact();
    row.querySelector("[data-remove-participant]").addEventListener("click", () => {
      // Rows the server knows are marked deleted; new ones simply disappear from the form.
      const remove = row.querySelector("input[name$='-DELETE']");
      remove.checked = true;
      row.hidden = true;
      renumber();
    });
  }
  list.querySelectorAll("[data-participant]").forEach((row) => {
    if (row.querySelector("input[name$='-DELETE']").checked) row.hidden = true;
    setupRow(row);
  });
  function addRow() {
    const index = parseInt(total.value, 10);
    const html = template.innerHTML.replace(/__prefix__/g, String(index));
    list.insertAdjacentHTML("beforeend", html);
    total.value = String(index + 1);
    const row = list.lastElementChild;
    setupRow(row);
    renumber();
    return row;
  }
  addButton.addEventListener("click", (event) => {
    event.preventDefault();
    addRow().querySelector("input[name$='-name']").focus();
  });
  // What was typed before an idle logout comes back (idle.js): first the rows that had been added.
  form.addEventListener("draft:restore", (event) => {
    const rows = event.detail.names.map((name) => /^participants-(\d+)-/.exec(name)).filter(Boolean);
    const needed = Math.min(max, Math.max(0, ...rows.map((match) => Number(match[1]) + 1)));
    while (parseInt(total.value, 10) < needed) addRow();
  });
  renumber();
  repeatFields(form);
  messageNotes(form, list);
}

// Under each participant, which message they receive: the default in their own language while the message
// is a default left as it was, else the message as typed. The same rule as the server's
// (scheduling/message_preview.py), with its sentences from the page.
function messageNotes(form, list) {
  const source = document.getElementById("message-preview");
  const message = form.querySelector("textarea[name='message']");
  if (!source || !message) return;
  const texts = JSON.parse(source.textContent);
  const same = (text) => text.replace(/\r\n/g, "\n").trim().split("\n").map((line) => line.trimEnd()).join("\n");
  const defaults = Object.values(texts.defaults).map(same);
  function quoted(text) {
    const flat = text.split(/\s+/).filter(Boolean).join(" ");
    return flat.length > texts.quoted ? `${flat.slice(0, texts.quoted - 1).replace(/\s+\S*$/, "")}…` : flat;
  }
  function note(language) {
    const typed = same(message.value);
    if (!typed || !defaults.includes(typed)) return texts.typed;
    const text = texts.defaults[language];
    if (!text) return texts.nothing[language] || "";
    return `${texts.default[language]} “${quoted(text)}”`;
  }
  function refresh() {
    list.querySelectorAll("[data-participant]").forEach((row) => {
      const language = row.querySelector("select[name$='-language']");
      const target = row.querySelector("[data-receives]");
      if (!language || !target) return;
      const text = note(language.value);
      if (target.textContent !== text) target.textContent = text;
    });
  }
  form.addEventListener("input", refresh);
  form.addEventListener("change", refresh);
  // A row added by "Add participant" gets its note at once.
  new MutationObserver(refresh).observe(list, { childList: true });
  refresh();
}

// "Recurring appointment": show the pattern's fields when ticked, and keep the list of dates up to date.
function repeatFields(form) {
  const repeat = form.querySelector("[data-repeat]");
  if (!repeat) return;
  const toggle = repeat.querySelector("input[name='repeat-repeat']");
  const fields = repeat.querySelector("[data-repeat-fields]");
  const frequency = repeat.querySelector("select[name='repeat-frequency']");
  const weekly = repeat.querySelector("[data-repeat-weekly]");
  const ends = repeat.querySelectorAll("input[name='repeat-ends']");
  const count = repeat.querySelector("input[name='repeat-count']");
  const until = repeat.querySelector("input[name='repeat-until']");
  const previewOf = repeat.querySelector("[data-preview-of]");
  const target = form.querySelector("[data-series-preview]");

  function show() {
    fields.hidden = !toggle.checked;
    weekly.hidden = frequency.value !== "WEEKLY";
    const byCount = [...ends].find((radio) => radio.checked)?.value !== "until";
    count.disabled = !byCount;
    until.disabled = byCount;
  }

  let timer = null;
  let latest = 0;
  async function refresh() {
    if (!toggle.checked) {
      target.innerHTML = "";
      previewOf.value = "";
      return;
    }
    const asked = ++latest;
    const body = new FormData(form);
    try {
      const response = await fetch(target.dataset.url, { method: "POST", body, credentials: "same-origin" });
      if (!response.ok || asked !== latest) return;
      // A box ticked in the list itself (skip a date) keeps the focus when the list is drawn again.
      const focused = target.contains(document.activeElement) ? document.activeElement : null;
      target.innerHTML = await response.text();
      if (focused && focused.name) {
        const again = [...target.querySelectorAll("input")].find(
          (input) => input.name === focused.name && input.value === focused.value);
        if (again) again.focus();
      }
      const shown = target.querySelector("[data-fingerprint]");
      previewOf.value = shown ? shown.dataset.fingerprint : "";
    } catch {
      // Offline for a moment: the dates are shown on saving instead.
    }
  }
  // The dates depend on these fields only; a "change" that merely follows an "input" (on leaving a field)
  // must not throw away a preview that is still right.
  const names = ["date", "start_time", "end_time", "team", "agent"];
  function datesKey() {
    const data = new FormData(form);
    return JSON.stringify([...data.entries()].filter(([name]) => names.includes(name) || name.startsWith("repeat-")
      && name !== "repeat-preview_of"));
  }
  let shownFor = datesKey();
  function changed() {
    show();
    const key = datesKey();
    if (key === shownFor) return;
    shownFor = key;
    previewOf.value = "";
    clearTimeout(timer);
    timer = setTimeout(refresh, 300);
  }
  form.addEventListener("change", changed);
  form.addEventListener("input", changed);
  show();
}

bookingForm();
