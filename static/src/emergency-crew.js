// The crew's phone page (/kantor/awak/unit/<id>/). While it is open:
// - the phone's position goes to the server every `positionEvery` seconds (and with each status
//   tap: the step form carries the last fix), and the page says when it was last sent or why not;
// - the unit's state is polled every `pollEvery` seconds; when it changed (a new job, the desk
//   released the unit) the job part of the page is fetched again and swapped in place, and a new
//   job vibrates the phone and beeps.
// Everything the page says comes translated from the server (data-crew on #crew-page).
// Without JavaScript the page still works: the status buttons are a plain form.

const FIX_FRESH_MS = 120000;

function fill(text, values) {
  return String(text).replace(/%\((\w+)\)s/g, (_m, key) => (values[key] == null ? "" : values[key]));
}

function csrfToken() {
  try {
    return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
  } catch (_e) {
    return "";
  }
}

function start(root) {
  const cfg = JSON.parse(root.dataset.crew || "{}");
  const S = cfg.strings || {};
  const statusEl = document.getElementById("crew-position-status");
  const sendButton = document.getElementById("crew-position-send");
  const alertEl = document.getElementById("crew-alert");
  let version = cfg.version;
  let jobRef = cfg.jobRef || "";
  let lastFix = null;
  let pending = false;
  let audio = null;

  function say(text, bad) {
    if (!statusEl) return;
    statusEl.textContent = text;
    statusEl.classList.toggle("is-error", Boolean(bad));
  }

  // --- Position ----------------------------------------------------------------------------------
  async function send(fix) {
    try {
      const response = await fetch(cfg.positionUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: {
          "Content-Type": "application/json",
          Accept: "application/json",
          "X-CSRFToken": csrfToken(),
        },
        body: JSON.stringify({ lat: fix.lat, lng: fix.lng, accuracy: fix.accuracy }),
      });
      let body = null;
      try {
        body = await response.json();
      } catch (_e) {
        body = null;
      }
      if (response.ok && body && body.ok) say(fill(S.sent, { time: body.time }));
      else if (body && body.error) say(fill(S.failed, { error: body.error.message }), true);
      else if (response.redirected || response.status === 401 || response.status === 403) say(S.expired, true);
      else say(fill(S.failed, { error: response.status }), true);
    } catch (_e) {
      say(S.offline, true);
    }
  }

  function remember(p) {
    lastFix = {
      lat: p.coords.latitude,
      lng: p.coords.longitude,
      accuracy: p.coords.accuracy,
      at: Date.now(),
    };
    return lastFix;
  }

  function failed(error) {
    say(error && error.code === 1 ? S.denied : S.gpsFailed, true);
  }

  function sendNow() {
    if (!("geolocation" in navigator)) {
      say(S.noGps, true);
      return;
    }
    say(S.sending);
    navigator.geolocation.getCurrentPosition((p) => send(remember(p)), failed, {
      enableHighAccuracy: true,
      maximumAge: 15000,
      timeout: 20000,
    });
  }

  function tick() {
    if (lastFix && Date.now() - lastFix.at < FIX_FRESH_MS) send(lastFix);
    else sendNow();
  }

  if ("geolocation" in navigator) {
    let first = true;
    navigator.geolocation.watchPosition(
      (p) => {
        remember(p);
        if (first) {
          first = false;
          send(lastFix);
        }
      },
      failed,
      { enableHighAccuracy: true, maximumAge: 10000 },
    );
    window.setInterval(tick, (cfg.positionEvery || 30) * 1000);
  } else {
    say(S.noGps, true);
  }
  if (sendButton) {
    sendButton.hidden = false;
    sendButton.addEventListener("click", sendNow);
  }

  // Each status tap carries the last fix (the server stores it with the step).
  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-crew-step")) return;
    if (!lastFix || Date.now() - lastFix.at > FIX_FRESH_MS) return;
    form.elements.namedItem("lat").value = String(lastFix.lat);
    form.elements.namedItem("lng").value = String(lastFix.lng);
    form.elements.namedItem("accuracy").value = String(Math.round(lastFix.accuracy || 0));
  });

  // --- New job alarm -----------------------------------------------------------------------------
  function beep() {
    try {
      const Context = window.AudioContext || window.webkitAudioContext;
      if (!Context) return;
      audio = audio || new Context();
      if (audio.state === "suspended") audio.resume();
      const t = audio.currentTime;
      [0, 0.4, 0.8].forEach((delay) => {
        const osc = audio.createOscillator();
        const gain = audio.createGain();
        osc.type = "square";
        osc.frequency.value = 880;
        gain.gain.value = 0.25;
        osc.connect(gain);
        gain.connect(audio.destination);
        osc.start(t + delay);
        osc.stop(t + delay + 0.25);
      });
    } catch (_e) {
      /* no sound: the vibration and the banner remain */
    }
  }

  // Browsers play sound only after the person touched the page once: unlock it then.
  document.addEventListener(
    "pointerdown",
    () => {
      try {
        const Context = window.AudioContext || window.webkitAudioContext;
        if (Context) {
          audio = audio || new Context();
          audio.resume();
        }
      } catch (_e) {
        /* ignore */
      }
    },
    { once: true },
  );

  function alarm(text) {
    if (alertEl) {
      alertEl.textContent = text;
      alertEl.hidden = false;
    }
    if (navigator.vibrate) navigator.vibrate([400, 150, 400, 150, 400]);
    beep();
  }
  if (alertEl) alertEl.addEventListener("click", () => (alertEl.hidden = true));

  // --- Poll and swap -----------------------------------------------------------------------------
  function editing() {
    const el = document.activeElement;
    return Boolean(el && el.closest && el.closest("#crew-main form") && el.matches("input, textarea, select"));
  }

  async function refresh() {
    if (editing()) {
      // Never throw away what the crew is typing: swap once they leave the field.
      pending = true;
      if (alertEl && alertEl.hidden) {
        alertEl.textContent = S.changed;
        alertEl.hidden = false;
      }
      return;
    }
    const response = await fetch(window.location.pathname, {
      credentials: "same-origin",
      headers: { Accept: "text/html" },
      cache: "no-store",
    });
    if (!response.ok || response.redirected) return;
    const doc = new DOMParser().parseFromString(await response.text(), "text/html");
    const fresh = doc.getElementById("crew-main");
    const current = document.getElementById("crew-main");
    if (fresh && current) current.replaceWith(document.adoptNode(fresh));
    pending = false;
  }

  async function poll() {
    try {
      const response = await fetch(cfg.stateUrl, {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
        cache: "no-store",
      });
      if (!response.ok || response.redirected) {
        if (response.redirected || response.status === 401 || response.status === 403) say(S.expired, true);
        return;
      }
      const state = await response.json();
      const ref = state.job ? state.job.ref : "";
      if (state.unit.version !== version || ref !== jobRef) {
        const isNew = Boolean(ref) && ref !== jobRef;
        version = state.unit.version;
        jobRef = ref;
        if (isNew) alarm(fill(S.newJob, { ref }));
        await refresh();
      } else if (pending) {
        await refresh();
      }
    } catch (_e) {
      /* offline: the next poll tries again */
    }
  }
  window.setInterval(poll, (cfg.pollEvery || 10) * 1000);
  document.addEventListener("visibilitychange", () => {
    if (!document.hidden) poll();
  });

  // Keep the screen on while the page is open (where the browser allows it).
  async function keepAwake() {
    try {
      if (navigator.wakeLock && !document.hidden) await navigator.wakeLock.request("screen");
    } catch (_e) {
      /* not allowed: fine */
    }
  }
  keepAwake();
  document.addEventListener("visibilitychange", keepAwake);
}

const page = document.getElementById("crew-page");
if (page) start(page);
