// flowtoy web UI: live from /events (Server-Sent Events), polling /status
// when the event stream is not available. Paths are relative, so the page
// works the same on a runner and on a relay (`webui --status-url`).
"use strict";

// Opened as /?token=... (a status API behind --status-token): the answer set
// the page's cookie, which every request below carries; keep the token out
// of the address bar and the browser's history.
if (new URLSearchParams(location.search).has("token")) {
  history.replaceState(null, "", location.pathname + location.hash);
}

const POLL_MS = 1000;
const RETRY_EVENTS_MS = 15000;

const ui = {
  status: null,        // the last /status document
  order: [],           // step names in file order
  outcome: null,       // from the run_ended event
  outputs: {},
  rows: new Map(),     // step name -> <tr>
  dirty: new Set(),    // step names whose rows need drawing
  all: true,           // redraw everything
  drawTimer: null,
  mode: "connecting",  // "live", "polling", "connecting"
  events: null,
  pollTimer: null,
  outputsTimer: null,
};

const $ = (id) => document.getElementById(id);

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

// ---- formatting -----------------------------------------------------------

function clock(secs) {
  if (secs === null || secs === undefined) return "";
  const d = new Date(secs * 1000);
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, "0")).join(":");
}

function duration(secs) {
  if (secs === null || secs === undefined || secs < 0) return "";
  if (secs < 60) return secs.toFixed(secs < 10 ? 2 : 1) + "s";
  const m = Math.floor(secs / 60), s = Math.floor(secs % 60);
  if (m < 60) return m + "m " + String(s).padStart(2, "0") + "s";
  return Math.floor(m / 60) + "h " + String(m % 60).padStart(2, "0") + "m";
}

function now() {
  return Date.now() / 1000;
}

function escapeHtml(text) {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

// Pretty JSON with spans for keys, strings, numbers and literals.
function highlight(value) {
  const text = escapeHtml(JSON.stringify(value, null, 2));
  return text.replace(
    /("(\\u[a-fA-F0-9]{4}|\\[^u]|[^\\"])*"(\s*:)?|\b(true|false|null)\b|-?\d+(\.\d+)?([eE][+-]?\d+)?)/g,
    (m) => {
      let cls = "n";
      if (m[0] === '"') cls = /:$/.test(m) ? "k" : "s";
      else if (/true|false|null/.test(m)) cls = "b";
      return '<span class="' + cls + '">' + m + "</span>";
    }
  );
}

// ---- state ----------------------------------------------------------------

function setStatus(doc) {
  if (!doc || doc.status === "no-runner") {
    ui.status = null;
    ui.order = [];
    showBanner("No run is attached to this server yet.", "info");
    ui.all = true;
    scheduleDraw();
    return;
  }
  hideBanner();
  const changedRun = !ui.status || ui.status.run_id !== doc.run_id;
  ui.status = doc;
  ui.order = Object.keys(doc.steps || {});
  if (changedRun) ui.outcome = null;
  ui.all = true;
  scheduleDraw();
}

function setStep(step) {
  if (!ui.status) return;
  const known = step.name in ui.status.steps;
  ui.status.steps[step.name] = {
    state: step.state,
    started_at: step.started_at,
    ended_at: step.ended_at,
    notes: step.notes || [],
    outputs: step.outputs || [],
    attempt: step.attempt,
    items: step.items,
    executor: step.executor,
    job_id: step.job_id,
  };
  if (!known) ui.order.push(step.name);
  if (ui.status.started_at === null && step.started_at) ui.status.started_at = step.started_at;
  ui.dirty.add(step.name);
  if (step.state === "succeeded") scheduleOutputs();
  scheduleDraw();
}

function runEnded(data) {
  if (!ui.status) return;
  ui.status.ended_at = data.ended_at;
  ui.outcome = data.outcome;
  fetchOutputs();
  scheduleDraw();
}

function summary() {
  const counts = { pending: 0, running: 0, succeeded: 0, failed: 0, skipped: 0 };
  const running = [];
  if (ui.status) {
    for (const name of ui.order) {
      const s = ui.status.steps[name];
      counts[s.state] = (counts[s.state] || 0) + 1;
      if (s.state === "running") running.push(name);
    }
  }
  return { counts, running };
}

// ---- drawing --------------------------------------------------------------

function scheduleDraw() {
  if (ui.drawTimer === null) ui.drawTimer = setTimeout(draw, 40);
}

// `37/100 items` for a foreach step, `try 2` for a retried one (R25, R28).
function progressText(s) {
  const parts = [];
  if (s.items) {
    const done = s.items.succeeded + s.items.failed + (s.items.skipped || 0);
    parts.push(done + "/" + s.items.total + " items" + (s.items.failed ? " (" + s.items.failed + " failed)" : ""));
  }
  if (s.attempt > 1) parts.push("try " + s.attempt);
  return parts.join(", ");
}

function drawRow(name) {
  const s = ui.status.steps[name];
  let tr = ui.rows.get(name);
  if (!tr) {
    tr = el("tr");
    tr.dataset.step = name;
    for (const cls of ["state", "name", "time started", "time duration", "outputs", "error"]) tr.appendChild(el("td", cls));
    tr.cells[1].textContent = name;
    ui.rows.set(name, tr);
  }
  tr.className = "state-" + s.state;
  tr.dataset.state = s.state;
  const pill = tr.cells[0].firstChild || tr.cells[0].appendChild(el("span"));
  pill.className = "pill pill-" + s.state;
  pill.textContent = s.state;
  tr.cells[2].textContent = clock(s.started_at);
  tr.cells[3].textContent = s.started_at ? duration((s.ended_at || now()) - s.started_at) : "";
  const outs = tr.cells[4];
  const outText = (s.outputs || []).join(",");
  if (outs.dataset.names !== outText) {
    outs.dataset.names = outText;
    outs.replaceChildren(...(s.outputs || []).map((o) => el("span", "tag", o)));
  }
  tr.cells[5].textContent = (s.notes || []).length ? s.notes.join("; ") : progressText(s);
  // Where a step runs when not in the runner's process (R34): `slurm 812`.
  const where = s.executor ? s.executor + (s.job_id ? " " + s.job_id : "") : "";
  if (tr.dataset.where !== where) {
    tr.dataset.where = where;
    const tag = where ? [el("span", "tag executor", where)] : [];
    tr.cells[1].replaceChildren(document.createTextNode(name), ...tag);
  }
  return tr;
}

function drawHeader() {
  const st = ui.status;
  const { counts, running } = summary();
  const badge = $("run-state");
  if (!st) {
    badge.className = "badge badge-waiting";
    badge.textContent = "no run";
    $("run-id").textContent = "—";
    $("progress").textContent = "0/0";
    $("progress-bar").style.width = "0%";
    return;
  }
  const total = st.total_steps !== undefined ? st.total_steps : ui.order.length;
  const done = counts.succeeded + counts.failed;
  let label, cls;
  if (st.ended_at) {
    const outcome = ui.outcome || (counts.failed ? "finished" : "completed");
    label = outcome + (counts.failed && outcome !== "halted" ? " · " + counts.failed + " failed" : "");
    cls = outcome === "completed" && !counts.failed ? "completed" : outcome === "cancelled" ? "cancelled" : counts.failed ? "failed" : "completed";
  } else if (st.started_at) {
    label = "running";
    cls = "running";
  } else {
    label = "waiting to start";
    cls = "waiting";
  }
  badge.className = "badge badge-" + cls;
  badge.textContent = label;
  $("run-id").textContent = String(st.run_id);
  $("run-started").textContent = st.started_at ? "started " + clock(st.started_at) : "not started";
  $("progress").textContent = done + "/" + total;
  $("progress-pct").textContent = total ? Math.floor((100 * done) / total) + "%" : "";
  const bar = $("progress-bar");
  bar.style.width = (total ? (100 * done) / total : 0) + "%";
  bar.classList.toggle("has-failures", counts.failed > 0);
  const parts = [counts.succeeded + " succeeded"];
  if (counts.failed) parts.push(counts.failed + " failed");
  if (counts.skipped) parts.push(counts.skipped + " skipped");
  if (counts.pending) parts.push(counts.pending + " pending");
  $("counts").textContent = parts.join(" · ");
  drawElapsed();
  const chips = $("running");
  const shown = running.slice(0, 24).map((n) => el("span", "chip", n));
  if (running.length > 24) shown.push(el("span", "muted", "+" + (running.length - 24) + " more"));
  if (!shown.length) shown.push(el("span", "muted", st.ended_at ? "nothing — the run has ended" : "nothing"));
  chips.replaceChildren(...shown);
}

function drawElapsed() {
  const st = ui.status;
  $("elapsed").textContent = st && st.started_at ? duration((st.ended_at || now()) - st.started_at) : "—";
}

function draw() {
  ui.drawTimer = null;
  const body = $("step-rows");
  const changed = ui.all ? null : new Set(ui.dirty);
  if (ui.all) {
    ui.all = false;
    ui.dirty.clear();
    if (!ui.status) {
      ui.rows.clear();
      body.replaceChildren();
    } else {
      const keep = new Set(ui.order);
      for (const name of ui.rows.keys()) if (!keep.has(name)) ui.rows.delete(name);
      body.replaceChildren(...ui.order.map(drawRow));
    }
  } else {
    for (const name of ui.dirty) if (ui.status && ui.status.steps[name]) drawRow(name);
    ui.dirty.clear();
    for (const name of ui.order) if (!ui.rows.get(name).isConnected) body.appendChild(ui.rows.get(name));
  }
  drawHeader();
  if (typeof window.drawGraph === "function") window.drawGraph(ui.status, changed);
}

// Running steps' durations and the elapsed time tick every second.
setInterval(() => {
  if (!ui.status || ui.status.ended_at) return;
  for (const name of ui.order) if (ui.status.steps[name].state === "running") ui.dirty.add(name);
  drawElapsed();
  scheduleDraw();
}, 1000);

function drawOutputs() {
  $("outputs").innerHTML = highlight(ui.outputs);
}

// ---- network --------------------------------------------------------------

function showBanner(text, kind) {
  const b = $("banner");
  b.textContent = text;
  b.className = "banner" + (kind ? " " + kind : "");
  b.hidden = false;
}

function hideBanner() {
  $("banner").hidden = true;
}

function setMode(mode, text) {
  ui.mode = mode;
  const c = $("connection");
  c.className = "connection " + mode;
  c.textContent = text;
}

async function getJson(path) {
  const response = await fetch(path, { cache: "no-store" });
  const body = await response.json().catch(() => ({ error: "the server answered HTTP " + response.status + " without JSON" }));
  if (!response.ok) throw new Error(body.error || "HTTP " + response.status);
  return body;
}

async function fetchOutputs() {
  try {
    ui.outputs = await getJson("outputs");
    drawOutputs();
  } catch (e) {
    // The status request reports connection trouble; outputs just wait.
  }
}

function scheduleOutputs() {
  if (ui.outputsTimer === null) {
    ui.outputsTimer = setTimeout(() => {
      ui.outputsTimer = null;
      fetchOutputs();
    }, 300);
  }
}

async function poll() {
  try {
    const doc = await getJson("status");
    const before = ui.status ? summary().counts.succeeded : -1;
    setStatus(doc);
    if (!ui.status || summary().counts.succeeded !== before || ui.status.ended_at) fetchOutputs();
    if (doc.status !== "no-runner") hideBanner();
    setMode("polling", "polling /status");
  } catch (e) {
    showBanner("Cannot get the run's status: " + e.message + " — retrying.");
    setMode("down", "disconnected");
  }
}

function startPolling() {
  if (ui.pollTimer !== null) return;
  poll();
  ui.pollTimer = setInterval(poll, POLL_MS);
  setTimeout(() => connectEvents(), RETRY_EVENTS_MS);
}

function stopPolling() {
  if (ui.pollTimer !== null) clearInterval(ui.pollTimer);
  ui.pollTimer = null;
}

function connectEvents() {
  if (typeof EventSource === "undefined") return startPolling();
  if (ui.events) ui.events.close();
  const es = new EventSource("events");
  ui.events = es;
  let opened = false;
  const fallback = setTimeout(() => {
    if (!opened) {
      es.close();
      startPolling();
    }
  }, 5000);
  es.addEventListener("status", (e) => {
    opened = true;
    clearTimeout(fallback);
    stopPolling();
    setMode("live", "live");
    setStatus(JSON.parse(e.data));
    fetchOutputs();
  });
  es.addEventListener("step", (e) => setStep(JSON.parse(e.data)));
  es.addEventListener("run_ended", (e) => runEnded(JSON.parse(e.data)));
  es.onerror = () => {
    if (es.readyState === EventSource.CLOSED) {
      clearTimeout(fallback);
      startPolling();
    } else if (opened) {
      setMode("connecting", "reconnecting");
    }
  };
}

connectEvents();
