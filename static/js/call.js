// A built-in video call: one RTCPeerConnection per other page in the call (a mesh of at most five people),
// negotiated with "perfect negotiation" (W3C WebRTC 1.0) over our server: signals go out as POSTs and come
// in on the call's event stream, which only this page hears. Media goes browser to browser (DTLS-SRTP) or
// through a TURN relay that cannot read it; nothing is recorded. Used by the agent's call page and by the
// client's join page, which becomes the call when the agent lets the client in. Texts come from data-*
// attributes of [data-call], so they are translated with the page.
(function () {
  const root = document.querySelector("[data-call]");
  if (!root) return;
  const host = root.dataset.role === "host";
  const text = (name) => root.dataset["text" + name[0].toUpperCase() + name.slice(1)] || "";
  const stage = root.querySelector("[data-call-stage]");
  const selfView = root.querySelector("[data-self] video");
  const notice = root.querySelector("[data-call-notice]");
  const knocks = root.querySelector("[data-knocks]");

  // How long a peer that vanished from the call's list keeps its connection (a network blip, a reload).
  const VANISH_GRACE_MS = 8000;
  // A connection not up by then gets the message in words instead of a black square.
  const CONNECT_TIMEOUT_MS = 20000;
  const DISCONNECTED_RESTART_MS = 3000;
  const STATS_MS = 2000;
  const ACTIVE_EVERY_MS = 30000;

  // What happened to the connections, briefly (no media, no addresses): for tests and for support.
  const trace = [];
  function note(...what) {
    trace.push([Math.round(performance.now()), ...what].join(" "));
    if (trace.length > 300) trace.shift();
  }

  const session = window.crypto && crypto.randomUUID ? crypto.randomUUID() : String(Math.random()).slice(2, 18);
  const peers = new Map(); // peer id -> Peer
  let me = null;
  let ice = { iceServers: [], iceTransportPolicy: "all", loopbackOnly: false };
  let local = null; // MediaStream sent to everyone
  let media = Promise.resolve(null); // resolves once the camera and microphone are ours (or refused)
  let started = false;
  let finished = false;
  let sharing = null; // the screen track while sharing

  // --- talking to our server --------------------------------------------------------------------------

  function withSession(url) {
    return `${url}${url.includes("?") ? "&" : "?"}session=${encodeURIComponent(session)}`;
  }
  function csrfToken() {
    const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  // One signal at a time, in order: an answer must not overtake its offer.
  let sending = Promise.resolve();
  function send(peer, kind, data) {
    note("send", peer.id, kind, data.type || "");
    const body = JSON.stringify({ to: peer.id, to_session: peer.session, kind, data });
    const headers = { "Content-Type": "application/json", "X-Background": "1" };
    if (host) headers["X-CSRFToken"] = csrfToken();
    sending = sending
      .then(() => fetch(withSession(root.dataset.signalUrl), { method: "POST", body, headers, credentials: "same-origin" }))
      .then((response) => {
        if (response.status === 403) refresh();
      })
      .catch(() => {}); // the stream's reconnect and ICE restarts recover what a lost signal costs
    return sending;
  }

  // One state request at a time, and one more after it when something happened meanwhile.
  let inFlight = null;
  let again = false;
  function refresh() {
    if (finished) return Promise.resolve();
    if (inFlight) {
      again = true;
      return inFlight;
    }
    inFlight = (async () => {
      try {
        const response = await fetch(withSession(root.dataset.stateUrl), {
          headers: { Accept: "application/json", "X-Background": "1" },
          credentials: "same-origin",
          cache: "no-store",
        });
        if (response.status === 401) {
          document.dispatchEvent(new CustomEvent("session:ended", { cancelable: true }));
          return;
        }
        note("state");
        await apply(await response.json());
      } catch {
        // The network: the stream reconnects and asks again.
      } finally {
        inFlight = null;
        if (again) {
          again = false;
          refresh();
        }
      }
    })();
    return inFlight;
  }

  async function apply(state) {
    if (state.state !== "call") return finish(state.state);
    await media;
    me = state.me;
    if (state.ice) ice = state.ice;
    const present = new Set();
    for (const info of state.peers) {
      present.add(info.peer);
      const known = peers.get(info.peer);
      if (known && known.session !== info.session) known.close(); // the same person, reloaded
      if (!known || known.session !== info.session) peers.set(info.peer, new Peer(info));
      else known.seen(info);
    }
    for (const peer of peers.values()) if (!present.has(peer.id)) peer.vanished();
    if (host) showKnocks(state.knocking || []);
    layout();
    deliverOrphans();
  }

  // The call's own stream: a word for what happened (ask what is so now, or "ended") and the signals.
  const live = window.liveConnection({
    root,
    url: withSession(root.dataset.eventsUrl),
    refresh,
    onMessage: (event) => (event.data === "ended" ? finish("ended") : refresh()),
    events: { signal: (event) => onSignal(JSON.parse(event.data)) },
    // Refused (taken out, the consult is over, the call is full) or the server is away: the state says
    // which; while it says "call", try again in a moment.
    retryMs: 3000,
    onOpen: () => {
      note("stream-open");
      say("");
    },
    onClosed: () => say(text("reconnecting")),
  });

  // --- one connection per other page --------------------------------------------------------------------

  class Peer {
    constructor(info) {
      note("peer", info.peer, info.session.slice(0, 6));
      this.id = info.peer;
      this.session = info.session;
      this.name = info.name;
      this.isHost = info.host;
      // The agent never yields; between two clients the lower id does (a fixed rule both sides agree on).
      this.polite = !host && (info.host || me.peer < info.peer);
      this.makingOffer = false;
      this.ignoreOffer = false;
      this.negotiated = false;
      this.pending = [];
      this.goneTimer = null;
      this.restartTimer = null;
      this.lastStats = null;
      this.tile = makeTile(this);
      this.pc = new RTCPeerConnection({ iceServers: ice.iceServers, iceTransportPolicy: ice.iceTransportPolicy });
      this.remote = new MediaStream();
      this.tile.video.srcObject = this.remote;
      // When the first picture of this person was shown (the benchmark's "time to first frame").
      this.firstFrameAt = null;
      const video = this.tile.video;
      const firstFrame = () => {
        if (this.firstFrameAt === null) {
          this.firstFrameAt = Date.now();
          note("first-frame", this.id);
        }
      };
      if (video.requestVideoFrameCallback) video.requestVideoFrameCallback(firstFrame);
      else video.addEventListener("playing", firstFrame, { once: true });
      this.pc.ontrack = ({ track }) => {
        this.remote.addTrack(track);
        track.onunmute = () => this.tile.video.play().catch(() => {});
      };
      this.pc.onnegotiationneeded = () => {
        note("negotiationneeded", this.id);
        // The first offer of a pair comes from its impolite side only. Perfect negotiation would settle two
        // first offers crossing, but a rolled-back offer has been seen to leave Chrome without candidates;
        // later offers (an ICE restart, a track the first answer left out) may come from either side.
        if (this.polite && !this.negotiated) return;
        this.offer();
      };
      this.pc.onicecandidate = ({ candidate }) => {
        if (candidate && allowed(candidate.candidate)) send(this, "candidate", candidate.toJSON());
      };
      this.pc.oniceconnectionstatechange = () => this.watch();
      this.pc.onconnectionstatechange = () => this.watch();
      for (const track of local ? local.getTracks() : []) this.pc.addTrack(track, local);
      // Without a camera or microphone of our own we still want theirs.
      for (const kind of ["audio", "video"]) {
        if (!local || !local.getTracks().some((t) => t.kind === kind)) this.pc.addTransceiver(kind, { direction: "recvonly" });
      }
      this.deadline = setTimeout(() => this.failed(), CONNECT_TIMEOUT_MS);
    }

    async offer() {
      try {
        this.makingOffer = true;
        await this.pc.setLocalDescription();
        send(this, "description", cleaned(this.pc.localDescription));
      } catch (error) {
        console.warn("offer", error);
      } finally {
        this.makingOffer = false;
      }
    }

    // Signals of one peer are taken one after the other, in the order they came.
    signal(kind, data) {
      this.inbox = (this.inbox || Promise.resolve()).then(() => this.take(kind, data)).catch((error) => {
        console.warn("signal", error);
      });
      return this.inbox;
    }

    async take(kind, data) {
      if (kind === "description") {
        const collision = data.type === "offer" && (this.makingOffer || this.pc.signalingState !== "stable");
        this.ignoreOffer = !this.polite && collision;
        if (this.ignoreOffer) return;
        await this.pc.setRemoteDescription(data);
        for (const candidate of this.pending.splice(0)) await this.addCandidate(candidate);
        if (data.type === "offer") {
          await this.pc.setLocalDescription();
          send(this, "description", cleaned(this.pc.localDescription));
        }
        this.negotiated = true;
      } else if (kind === "candidate") {
        if (!allowed(data.candidate || "")) return;
        if (!this.pc.remoteDescription) this.pending.push(data);
        else await this.addCandidate(data);
      }
    }

    async addCandidate(candidate) {
      try {
        await this.pc.addIceCandidate(candidate);
      } catch (error) {
        if (!this.ignoreOffer) console.warn("candidate", error);
      }
    }

    watch() {
      const state = this.pc.connectionState;
      note("state", this.id, state, this.pc.iceConnectionState);
      this.tile.root.dataset.state = state;
      if (state === "connected") {
        clearTimeout(this.deadline);
        this.tile.problem.hidden = true;
        clearTimeout(this.restartTimer);
        this.restartTimer = null;
      }
      const iceState = this.pc.iceConnectionState;
      if (iceState === "failed") this.restart();
      else if (iceState === "disconnected" && !this.restartTimer) {
        // Often passing (a phone switching networks); restart only if it lasts.
        this.restartTimer = setTimeout(() => {
          this.restartTimer = null;
          if (this.pc.iceConnectionState === "disconnected") this.restart();
        }, DISCONNECTED_RESTART_MS);
      }
      countConnected();
    }

    restart() {
      // New ICE credentials and candidates: negotiationneeded follows and the offer carries them.
      this.pc.restartIce();
      clearTimeout(this.deadline);
      this.deadline = setTimeout(() => this.failed(), CONNECT_TIMEOUT_MS);
    }

    failed() {
      if (this.pc.connectionState === "connected") return;
      this.tile.problem.hidden = false;
    }

    seen(info) {
      clearTimeout(this.goneTimer);
      this.goneTimer = null;
      this.name = info.name;
    }

    vanished() {
      // Gone from the call's list: at once unless the connection still stands (then after a grace, in case
      // their stream only blinked).
      if (this.goneTimer) return;
      const wait = this.pc.connectionState === "connected" ? VANISH_GRACE_MS : 0;
      this.goneTimer = setTimeout(() => {
        this.close();
        peers.delete(this.id);
        layout();
      }, wait);
    }

    close() {
      clearTimeout(this.deadline);
      clearTimeout(this.goneTimer);
      clearTimeout(this.restartTimer);
      this.pc.close();
      this.tile.root.remove();
      countConnected();
    }
  }

  // Signals from a page that joined a moment ago can come before the call's list names it: they wait here
  // (briefly, in order) until the list does.
  const orphans = [];
  const ORPHAN_MS = 10000;

  function onSignal(message) {
    note("recv", message.from, message.kind, message.data.type || "");
    const peer = peers.get(message.from);
    if (peer && peer.session === message.from_session) {
      peer.signal(message.kind, message.data);
      return;
    }
    orphans.push({ message, at: Date.now() });
    refresh();
  }

  function deliverOrphans() {
    const now = Date.now();
    for (let i = 0; i < orphans.length; ) {
      const { message, at } = orphans[i];
      const peer = peers.get(message.from);
      if (peer && peer.session === message.from_session) {
        orphans.splice(i, 1);
        peer.signal(message.kind, message.data);
      } else if (now - at > ORPHAN_MS) {
        orphans.splice(i, 1);
      } else {
        i += 1;
      }
    }
  }

  // Tests keep every packet on this machine: only 127.0.0.1 candidates go out or are taken in.
  function allowed(candidate) {
    if (!ice.loopbackOnly || !candidate) return true;
    return / 127\.0\.0\.1 /.test(candidate);
  }
  function cleaned(description) {
    if (!ice.loopbackOnly) return description.toJSON();
    const sdp = description.sdp
      .split("\r\n")
      .filter((line) => !line.startsWith("a=candidate:") || allowed(line))
      .join("\r\n");
    return { type: description.type, sdp };
  }

  // --- what the page shows ------------------------------------------------------------------------------

  function makeTile(peer) {
    const template = root.querySelector("[data-tile-template]");
    const tile = template.content.firstElementChild.cloneNode(true);
    const parts = {
      root: tile,
      video: tile.querySelector("video"),
      name: tile.querySelector("[data-tile-name]"),
      quality: tile.querySelector("[data-tile-quality]"),
      problem: tile.querySelector("[data-tile-problem]"),
      remove: tile.querySelector("[data-tile-remove]"),
    };
    tile.dataset.peer = peer.id;
    parts.name.textContent = peer.name;
    parts.video.setAttribute("aria-label", peer.name);
    if (parts.remove) {
      if (peer.isHost || !host) parts.remove.remove();
      else parts.remove.addEventListener("click", () => removePeer(peer));
    }
    if (speakerId && parts.video.setSinkId) parts.video.setSinkId(speakerId).catch(() => {});
    stage.append(tile);
    return parts;
  }

  function layout() {
    stage.dataset.count = String(peers.size);
    const waiting = root.querySelector("[data-call-alone]");
    if (waiting) waiting.hidden = peers.size > 0;
  }

  function countConnected() {
    const connected = [...peers.values()].filter((p) => p.pc.connectionState === "connected").length;
    root.dataset.connected = String(connected);
  }

  function say(message) {
    if (!notice) return;
    notice.textContent = message;
    notice.hidden = !message;
  }

  function showKnocks(list) {
    if (!knocks) return;
    const known = new Set([...knocks.querySelectorAll("[data-knock]")].map((li) => li.dataset.knock));
    const now = new Set(list.map((k) => k.peer));
    for (const li of knocks.querySelectorAll("[data-knock]")) if (!now.has(li.dataset.knock)) li.remove();
    for (const knock of list) {
      if (known.has(knock.peer)) continue;
      const li = document.createElement("li");
      li.dataset.knock = knock.peer;
      const name = document.createElement("span");
      name.textContent = text("knocking").replace("{name}", knock.name);
      const button = document.createElement("button");
      button.type = "button";
      button.className = "button button--small";
      button.textContent = text("admit");
      button.setAttribute("aria-label", `${text("admit")}: ${knock.name}`);
      button.addEventListener("click", () => admit(knock.peer, button));
      li.append(name, " ", button);
      knocks.append(li);
    }
    knocks.closest("[data-knocks-box]").hidden = list.length === 0;
  }

  async function post(url, peer) {
    const body = new URLSearchParams({ peer });
    await fetch(url, {
      method: "POST",
      body,
      headers: { Accept: "application/json", "X-CSRFToken": csrfToken() },
      credentials: "same-origin",
    });
    refresh();
  }
  function admit(peer, button) {
    button.disabled = true;
    post(root.dataset.admitUrl, peer);
  }
  function removePeer(peer) {
    if (!window.confirm(text("removeConfirm").replace("{name}", peer.name))) return;
    post(root.dataset.removeUrl, peer.id);
  }

  // --- quality ------------------------------------------------------------------------------------------

  async function measure(peer) {
    const stats = await peer.pc.getStats();
    let received = 0;
    let lost = 0;
    let rtt = null;
    let framesDecoded = 0;
    let bytesReceived = 0;
    let audioEnergy = 0;
    const candidates = {};
    let pair = null;
    stats.forEach((report) => {
      if (report.type === "inbound-rtp") {
        received += report.packetsReceived || 0;
        lost += report.packetsLost || 0;
        bytesReceived += report.bytesReceived || 0;
        if (report.kind === "video") framesDecoded = report.framesDecoded || 0;
        if (report.kind === "audio") audioEnergy = report.totalAudioEnergy || 0;
      }
      if (report.type === "local-candidate" || report.type === "remote-candidate") candidates[report.id] = report;
      if (report.type === "candidate-pair" && report.nominated && report.state === "succeeded") {
        rtt = report.currentRoundTripTime ?? rtt;
        pair = report;
      }
    });
    // Which way the media goes: host (directly), srflx (through a NAT), relay (through TURN).
    const ends = pair ? [candidates[pair.localCandidateId], candidates[pair.remoteCandidateId]] : [];
    const route = ends.map((c) => c && c.candidateType);
    const addresses = ends.map((c) => c && c.address);
    const previous = peer.lastStats || { received: 0, lost: 0 };
    peer.lastStats = { received, lost };
    const newPackets = received - previous.received + (lost - previous.lost);
    const loss = newPackets > 0 ? (lost - previous.lost) / newPackets : 0;
    return { loss, rtt, framesDecoded, bytesReceived, audioEnergy, route, addresses };
  }

  async function showQuality() {
    for (const peer of peers.values()) {
      if (peer.pc.connectionState !== "connected") continue;
      try {
        const { loss, rtt } = await measure(peer);
        const level = loss > 0.1 || (rtt !== null && rtt > 0.6) ? "poor" : loss > 0.03 || (rtt !== null && rtt > 0.3) ? "fair" : "good";
        peer.tile.quality.dataset.level = level;
        peer.tile.quality.textContent = text("quality" + level[0].toUpperCase() + level.slice(1));
      } catch {
        // A connection closing under our hands.
      }
    }
  }

  // --- our own camera and microphone --------------------------------------------------------------------

  let speakerId = "";

  async function ownMedia(given) {
    if (given) return given;
    try {
      return await navigator.mediaDevices.getUserMedia({ audio: true, video: { facingMode: "user" } });
    } catch {
      try {
        return await navigator.mediaDevices.getUserMedia({ audio: true });
      } catch {
        say(text("noDevices"));
        return null;
      }
    }
  }

  function track(kind) {
    return local ? local.getTracks().find((t) => t.kind === kind) : null;
  }

  async function replace(kind, next) {
    const old = track(kind);
    if (old) {
      local.removeTrack(old);
      old.stop();
    }
    local.addTrack(next);
    for (const peer of peers.values()) {
      const sender = peer.pc.getSenders().find((s) => s.track && s.track.kind === kind);
      if (sender) await sender.replaceTrack(sharing && kind === "video" ? sharing : next);
    }
    selfView.srcObject = local;
  }

  function toggle(button, kind) {
    const current = track(kind);
    if (!current) return;
    current.enabled = !current.enabled;
    button.setAttribute("aria-pressed", String(!current.enabled));
    button.textContent = current.enabled ? button.dataset.labelOn : button.dataset.labelOff;
    root.classList.toggle(`is-${kind}-off`, !current.enabled);
  }

  let facing = "user";
  async function switchCamera() {
    const cameras = (await navigator.mediaDevices.enumerateDevices()).filter((d) => d.kind === "videoinput");
    const current = track("video");
    const currentId = current && current.getSettings().deviceId;
    let constraints;
    if (cameras.length > 1 && currentId) {
      const index = cameras.findIndex((c) => c.deviceId === currentId);
      constraints = { deviceId: { exact: cameras[(index + 1) % cameras.length].deviceId } };
    } else {
      facing = facing === "user" ? "environment" : "user";
      constraints = { facingMode: facing };
    }
    try {
      const stream = await navigator.mediaDevices.getUserMedia({ video: constraints });
      const enabled = current ? current.enabled : true;
      const next = stream.getVideoTracks()[0];
      next.enabled = enabled;
      await replace("video", next);
    } catch {
      say(text("switchFailed"));
    }
  }

  async function chooseMicrophone(deviceId) {
    const stream = await navigator.mediaDevices.getUserMedia({ audio: { deviceId: { exact: deviceId } } });
    const next = stream.getAudioTracks()[0];
    const current = track("audio");
    next.enabled = current ? current.enabled : true;
    await replace("audio", next);
  }

  function chooseSpeaker(deviceId) {
    speakerId = deviceId;
    for (const peer of peers.values()) if (peer.tile.video.setSinkId) peer.tile.video.setSinkId(deviceId).catch(() => {});
  }

  async function fillDevices() {
    const box = root.querySelector("[data-devices]");
    if (!box) return;
    const devices = await navigator.mediaDevices.enumerateDevices();
    const fill = (select, kind, currentId) => {
      select.replaceChildren();
      devices
        .filter((d) => d.kind === kind)
        .forEach((device, i) => {
          const option = new Option(device.label || `${select.dataset.fallback} ${i + 1}`, device.deviceId);
          option.selected = device.deviceId === currentId;
          select.append(option);
        });
      select.closest("[data-device-row]").hidden = select.options.length === 0;
    };
    const mic = box.querySelector("[data-microphone]");
    const audio = track("audio");
    fill(mic, "audioinput", audio && audio.getSettings().deviceId);
    const speaker = box.querySelector("[data-speaker]");
    if ("setSinkId" in HTMLMediaElement.prototype) fill(speaker, "audiooutput", speakerId);
    else speaker.closest("[data-device-row]").hidden = true;
  }

  async function shareScreen(button) {
    if (sharing) return stopSharing(button);
    try {
      const screen = await navigator.mediaDevices.getDisplayMedia({ video: true });
      sharing = screen.getVideoTracks()[0];
      sharing.onended = () => stopSharing(button);
      for (const peer of peers.values()) {
        const sender = peer.pc.getSenders().find((s) => s.track && s.track.kind === "video");
        if (sender) await sender.replaceTrack(sharing);
      }
      button.setAttribute("aria-pressed", "true");
      button.textContent = button.dataset.labelOff;
    } catch {
      // The person chose not to share.
    }
  }
  async function stopSharing(button) {
    const screen = sharing;
    sharing = null;
    if (screen) screen.stop();
    const camera = track("video");
    for (const peer of peers.values()) {
      const sender = peer.pc.getSenders().find((s) => s.track && s.track.kind === "video");
      if (sender) await sender.replaceTrack(camera);
    }
    button.setAttribute("aria-pressed", "false");
    button.textContent = button.dataset.labelOn;
  }

  function controls() {
    const on = (name, handler) => {
      const button = root.querySelector(`[data-control=${name}]`);
      if (button) button.addEventListener("click", () => handler(button));
      return button;
    };
    on("microphone", (b) => toggle(b, "audio"));
    on("camera", (b) => toggle(b, "video"));
    const switcher = on("switch-camera", () => switchCamera());
    if (switcher) {
      navigator.mediaDevices.enumerateDevices().then((devices) => {
        const cameras = devices.filter((d) => d.kind === "videoinput").length;
        // Phones have a front and a back camera; a computer with one camera has nothing to switch to.
        switcher.hidden = cameras < 2 && !/Android|iPhone|iPad/.test(navigator.userAgent);
      });
    }
    on("fullscreen", () => {
      if (document.fullscreenElement) document.exitFullscreen();
      else root.requestFullscreen().catch(() => {});
    });
    const share = on("share", (b) => shareScreen(b));
    if (share && !(navigator.mediaDevices && navigator.mediaDevices.getDisplayMedia)) share.hidden = true;
    on("leave", () => leave());
    const devices = root.querySelector("[data-devices]");
    if (devices) {
      devices.addEventListener("toggle", () => devices.open && fillDevices());
      devices.querySelector("[data-microphone]").addEventListener("change", (e) => chooseMicrophone(e.target.value));
      devices.querySelector("[data-speaker]").addEventListener("change", (e) => chooseSpeaker(e.target.value));
    }
  }

  // --- beginning and end --------------------------------------------------------------------------------

  async function start(given) {
    if (started) return;
    started = true;
    note("start");
    root.hidden = false;
    document.body.classList.add("in-call");
    // The camera and the call's stream at the same time: connections wait for the camera (apply), not the
    // stream for it.
    media = ownMedia(given).then((stream) => {
      local = stream;
      if (local) selfView.srcObject = local;
      note("media");
      return local;
    });
    live.start();
    await media;
    controls();
    setInterval(showQuality, STATS_MS);
    // Being in a call is doing something: the idle clock (idle.js) must not sign the agent out mid-consult.
    setInterval(() => {
      if (Number(root.dataset.connected || 0) > 0) document.dispatchEvent(new Event("session:active"));
    }, ACTIVE_EVERY_MS);
    window.addEventListener("online", () => {
      for (const peer of peers.values()) peer.restart();
    });
    if (navigator.connection && navigator.connection.addEventListener) {
      navigator.connection.addEventListener("change", () => {
        for (const peer of peers.values()) peer.restart();
      });
    }
  }

  function stopEverything() {
    live.stop();
    for (const peer of peers.values()) peer.close();
    peers.clear();
    if (local) local.getTracks().forEach((t) => t.stop());
    if (sharing) sharing.stop();
  }

  function finish(state) {
    if (finished) return;
    finished = true;
    stopEverything();
    document.body.classList.remove("in-call");
    if (!host) root.hidden = true;
    root.dataset.finished = state;
    root.dispatchEvent(new CustomEvent("call:finished", { bubbles: true, detail: { state } }));
  }

  function leave() {
    if (host) {
      finished = true;
      stopEverything();
      window.location.assign(root.dataset.leaveUrl);
    } else {
      finish("left");
    }
  }

  // Tests and the benchmark read the connections from here.
  window.videoCall = {
    peers,
    trace,
    get session() {
      return session;
    },
    measure,
  };

  if (root.dataset.autostart === "true") start();
  else document.addEventListener("call:start", (event) => start(event.detail && event.detail.stream));
})();
