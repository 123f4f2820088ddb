// The live connection of a page, shared by the agent's waiting room, the client's waiting page and the video
// call. Events carry only a word ("something changed"), so each page asks its own view what is so now: the
// page gives `refresh` and this file decides when to call it. While the stream is down, or where there is
// none (WSGI, old proxies), the page polls instead; data-live="open" or "down" on the page's root tells tests
// and styles which is at work.
//
//   const live = window.liveConnection({
//     root,                  // the element that gets data-live
//     url,                   // the event stream; a function when the url changes between connections
//     refresh,               // asks the page's view; on opening, on every event, on every poll
//     onMessage,             // instead of refresh for unnamed events, when the word matters ("ended")
//     events,                // named events ({ signal: handler }): the few that carry data
//     pollMs,                // polling while the stream is not open (0: none)
//     openPollMs,            // polling while it is open, to keep times current (0: none)
//     retryMs,               // after the server refused the stream: ask once, then connect again (0: never)
//     onOpen, onClosed,      // what the page shows when the stream opens, or was refused
//   });
//   live.start(); ... live.stop();
window.liveConnection = function (options) {
  const { root, url, refresh, events = {}, pollMs = 0, openPollMs = 0, retryMs = 0 } = options;
  const onMessage = options.onMessage || (() => refresh());
  let source = null;
  let timer = null;
  let every = 0;
  let retry = null;
  let running = false;

  function poll(ms) {
    // The same pace again (the browser's reconnect fails every two seconds) keeps the timer running.
    if (ms === every && timer) return;
    clearInterval(timer);
    every = ms;
    timer = ms ? setInterval(refresh, ms) : null;
  }

  function close() {
    if (source) source.close();
    source = null;
  }

  function connect() {
    if (!window.EventSource) return;
    const stream = new EventSource(typeof url === "function" ? url() : url);
    source = stream;
    stream.onopen = () => {
      root.dataset.live = "open";
      if (options.onOpen) options.onOpen();
      refresh();
      poll(openPollMs);
    };
    stream.onmessage = onMessage;
    for (const [type, handler] of Object.entries(events)) stream.addEventListener(type, handler);
    stream.onerror = () => {
      if (!running) return;
      root.dataset.live = "down";
      poll(pollMs);
      // The browser connects again by itself unless the server refused (then the stream is CLOSED).
      if (stream.readyState !== EventSource.CLOSED || !retryMs) return;
      if (options.onClosed) options.onClosed();
      // Refused for a reason the page's view tells (taken out, the consult is over) or the server is away.
      retry = setTimeout(async () => {
        await refresh();
        if (running) connect();
      }, retryMs);
    };
  }

  function start() {
    running = true;
    poll(pollMs);
    connect();
  }

  function stop() {
    running = false;
    clearInterval(timer);
    timer = null;
    clearTimeout(retry);
    close();
  }

  // A page on its way out closes its stream, so that the server sees it go at once.
  window.addEventListener("pagehide", close);
  return { start, stop };
};

// A page's fetch of its state, one at a time: calls while one runs (many events at once, a busy team) make
// one more fetch afterwards, for whatever came meanwhile.
window.oneAtATime = function (task) {
  let running = false;
  let again = false;
  return async function run() {
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      await task();
    } finally {
      running = false;
      if (again) {
        again = false;
        run();
      }
    }
  };
};

// Says a text to screen readers through a live region that is always on the page (role="status"): a new
// element each time, so the same words are heard again when they happen again, while a refresh that
// changes nothing says nothing.
window.announce = function (region, text) {
  const line = document.createElement("p");
  line.textContent = text;
  region.replaceChildren(line);
};
