// The client's waiting page: check camera and microphone, stay checked in while the page is open, show the
// practitioner's messages, and go into the video room when the consult starts. Texts come from data-*
// attributes, so they are translated with the page; messages are set as text, never as HTML. A new message
// and the result of the camera check are said to screen readers once (the live region data-announcer).
(function () {
  const root = document.querySelector("[data-join]");
  if (!root) return;
  const CHECK_IN_MS = 3000;
  const status = root.querySelector("[data-status]");
  const list = root.querySelector("[data-messages]");
  const section = root.querySelector("[data-messages-section]");
  let leaving = false;
  // This page's own id: a check-in still on its way when the page says goodbye must not bring it back.
  let page = window.crypto && crypto.randomUUID ? crypto.randomUUID() : String(Math.random()).slice(2, 18);
  const withPage = (url) => `${url}${url.includes("?") ? "&" : "?"}page=${page}`;
  const check = root.querySelector("[data-device-check]");
  const help = check.querySelector("[data-device-help]");
  const preview = check.querySelector("[data-preview]");
  const announcer = root.querySelector("[data-announcer]");

  function showMessages(messages) {
    const known = new Set([...list.querySelectorAll("[data-message-id]")].map((li) => li.dataset.messageId));
    const arrived = messages.filter((message) => !known.has(String(message.id)));
    if (arrived.length) {
      const said = arrived.map((message) => root.dataset.textMessage.replace("{text}", () => message.text));
      window.announce(announcer, said.join(" "));
    }
    for (const message of messages) {
      if (known.has(String(message.id))) continue;
      const li = document.createElement("li");
      li.dataset.messageId = message.id;
      const time = document.createElement("span");
      time.className = "muted small";
      time.textContent = message.time;
      li.append(time, " ", message.text);
      list.append(li);
      li.classList.add("is-new");
    }
    section.hidden = messages.length === 0;
  }

  const waitingText = status.textContent;
  // The status is a live region: only a change is written, or each check-in would say it again.
  function setStatus(text) {
    if (status.textContent !== text) status.textContent = text;
  }
  const endBox = root.querySelector("[data-join-end]");

  function showEnd(message, canRejoin) {
    root.classList.remove("is-in-call");
    root.classList.add("is-ended");
    if (preview.srcObject) preview.srcObject.getTracks().forEach((track) => track.stop());
    endBox.querySelector("[data-join-end-text]").textContent = message;
    endBox.querySelector("[data-rejoin]").hidden = !canRejoin;
    endBox.hidden = false;
    setStatus(message);
  }

  // A built-in call on this page (static/js/call.js): the waiting page becomes the call, with the camera
  // and microphone the client already allowed for the check, so no second question.
  function startCall() {
    leaving = true; // no goodbye to the waiting room: they are in the consult
    stop();
    root.classList.add("is-in-call");
    const stream = preview.srcObject || null;
    document.dispatchEvent(new CustomEvent("call:start", { detail: { stream } }));
  }
  document.addEventListener("call:finished", (event) => {
    const state = event.detail.state;
    if (state === "ended") showEnd(root.dataset.textEnded, false);
    else if (state === "removed") showEnd(root.dataset.textRemoved, false);
    else if (state === "left") showEnd(root.dataset.textLeft, true);
    else window.location.reload(); // the link expired or the consult stopped: the page says why
  });
  const rejoin = endBox.querySelector("[data-rejoin]");
  rejoin.addEventListener("click", () => window.location.reload());
  // The end is said once, in the box that replaces the waiting and the camera check.

  function apply(state) {
    if (state.state === "waiting") {
      setStatus(waitingText);
      showMessages(state.messages || []);
    } else if (state.state === "knocking") {
      setStatus(root.dataset.textKnocking);
      showMessages(state.messages || []);
    } else if (state.state === "call") {
      startCall();
    } else if (state.state === "removed") {
      stop();
      showEnd(root.dataset.textRemoved, false);
    } else if (state.state === "room" && state.room_url) {
      leaving = true;
      setStatus(root.dataset.textRoom);
      stop();
      if (state.embed) showRoom(state.room_url);
      else window.location.assign(state.room_url);
    } else if (state.state === "ended") {
      stop();
      showEnd(root.dataset.textEnded, false);
    } else {
      // Cancelled, expired or unknown: the page itself explains it in the client's language.
      stop();
      window.location.reload();
    }
  }

  // Providers that allow it show the room inside this page, full screen, so the branding stays around it.
  function showRoom(url) {
    const frame = document.createElement("iframe");
    frame.src = url;
    frame.className = "roomframe";
    frame.title = root.dataset.textRoom;
    frame.allow = "camera; microphone; fullscreen; speaker; display-capture; autoplay; compute-pressure";
    document.body.classList.add("in-room");
    document.body.append(frame);
  }

  async function checkIn() {
    try {
      const response = await fetch(withPage(root.dataset.presenceUrl), { method: "POST", cache: "no-store" });
      if (response.status === 429 || response.status === 404) return window.location.reload();
      apply(await response.json());
      root.classList.remove("is-offline");
    } catch {
      root.classList.add("is-offline");
    }
  }

  // The live connection: while it is open the client counts as waiting, and each event says "check in".
  // Polling is the fallback while it is down, and where there is none (WSGI, old proxies).
  const live = window.liveConnection({
    root,
    url: () => withPage(root.dataset.eventsUrl),
    refresh: checkIn,
    pollMs: CHECK_IN_MS,
  });
  function stop() {
    live.stop();
  }

  window.addEventListener("pagehide", () => {
    if (!leaving) navigator.sendBeacon(withPage(root.dataset.leaveUrl));
    stop();
  });
  window.addEventListener("pageshow", (event) => {
    if (event.persisted) {
      // Back from the browser's cache after a goodbye: a new page as far as the waiting room is concerned.
      page = String(Math.random()).slice(2, 18) + String(Date.now());
      checkIn();
      live.start();
    }
  });
  checkIn();
  live.start();

  // Camera, microphone and speaker check.
  const meter = check.querySelector("[data-meter]");
  let audio = null;

  function say(kind) {
    help.textContent = check.dataset["help" + kind];
    help.hidden = false;
    window.announce(announcer, help.textContent);
    help.classList.toggle("is-problem", kind !== "Ok");
  }

  check.querySelector("[data-start-check]").addEventListener("click", async () => {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) return say("Insecure");
    try {
      const stream = await navigator.mediaDevices.getUserMedia({ video: true, audio: true });
      preview.srcObject = stream;
      check.classList.add("is-checking");
      audio = audio || new AudioContext();
      const analyser = audio.createAnalyser();
      analyser.fftSize = 512;
      audio.createMediaStreamSource(stream).connect(analyser);
      const samples = new Uint8Array(analyser.fftSize);
      (function draw() {
        analyser.getByteTimeDomainData(samples);
        let peak = 0;
        for (const value of samples) peak = Math.max(peak, Math.abs(value - 128));
        meter.style.width = Math.min(100, (peak / 64) * 100) + "%";
        requestAnimationFrame(draw);
      })();
      say("Ok");
    } catch (error) {
      if (error.name === "NotAllowedError" || error.name === "SecurityError") say("Denied");
      else if (error.name === "NotFoundError" || error.name === "OverconstrainedError") say("Missing");
      else if (error.name === "NotReadableError") say("Busy");
      else say("Missing");
    }
  });

  check.querySelector("[data-test-sound]").addEventListener("click", () => {
    audio = audio || new AudioContext();
    window.playChime(audio, { frequencies: [523.25, 659.25, 783.99], spacing: 0.18, peak: 0.3, length: 0.5 });
  });
})();
