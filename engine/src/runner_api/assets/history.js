// flowtoy web UI, history view (SPEC R32): the recorded runs from /runs
// (#history) and one run from /runs/ID (#runs/ID), its steps and outputs.
// Uses app.js's helpers ($, el, clock, duration, highlight, getJson).
"use strict";

const historyView = {
  listTimer: null, // refreshes the list while it is shown
  shown: null,     // "list", a run id, or null (live view)
};

function datetime(secs) {
  if (secs === null || secs === undefined) return "";
  const d = new Date(secs * 1000);
  const two = (n) => String(n).padStart(2, "0");
  return d.getFullYear() + "-" + two(d.getMonth() + 1) + "-" + two(d.getDate()) + " " + clock(secs);
}

function countsText(run) {
  const parts = [run.succeeded + " succeeded"];
  if (run.failed) parts.push(run.failed + " failed");
  if (run.skipped) parts.push(run.skipped + " skipped");
  const done = run.succeeded + run.failed + run.skipped;
  if (done < run.total_steps) parts.push(run.total_steps - done + " not finished");
  return parts.join(" · ");
}

function outcomePill(outcome) {
  const state = outcome === "running" ? "running" : outcome;
  return el("span", "pill pill-" + state, outcome);
}

function showMessage(text) {
  const m = $("runs-message");
  m.textContent = text;
  m.hidden = !text;
}

function drawRuns(runs) {
  showMessage(runs.length ? "" : "No run has been recorded yet.");
  const rows = runs.map((run) => {
    const tr = el("tr");
    tr.dataset.run = run.id;
    tr.dataset.outcome = run.outcome;
    tr.appendChild(el("td", "name", String(run.id)));
    tr.appendChild(el("td", "time", datetime(run.started_at)));
    tr.appendChild(el("td", "time", run.duration === null ? "" : duration(run.duration)));
    const outcome = el("td", "state");
    outcome.appendChild(outcomePill(run.outcome));
    tr.appendChild(outcome);
    tr.appendChild(el("td", "counts", countsText(run)));
    tr.appendChild(el("td", "files", (run.files || []).join(", ")));
    tr.addEventListener("click", () => {
      location.hash = "#runs/" + run.id;
    });
    return tr;
  });
  $("run-rows").replaceChildren(...rows);
}

async function loadRuns() {
  try {
    drawRuns(await getJson("runs?limit=200"));
  } catch (e) {
    $("run-rows").replaceChildren();
    showMessage("Cannot list the recorded runs: " + e.message);
  }
}

function drawRun(doc) {
  $("detail-id").textContent = String(doc.id);
  $("detail-resumed").textContent = doc.resumed_from ? "resumed from run " + doc.resumed_from : "run id " + doc.run_id;
  const pill = $("detail-outcome");
  pill.className = "pill pill-" + doc.outcome;
  pill.textContent = doc.outcome;
  $("detail-counts").textContent = countsText(doc);
  $("detail-started").textContent = datetime(doc.started_at);
  $("detail-duration").textContent = doc.duration === null ? "" : "took " + duration(doc.duration);
  $("detail-files").textContent = (doc.files || []).join("\n");
  const secret = new Set(doc.secret_steps || []);
  const rows = Object.entries(doc.steps).map(([name, s]) => {
    const tr = el("tr", "state-" + s.state);
    tr.dataset.step = name;
    tr.dataset.state = s.state;
    const state = el("td", "state");
    state.appendChild(el("span", "pill pill-" + s.state, s.state));
    tr.appendChild(state);
    tr.appendChild(el("td", "name", name));
    tr.appendChild(el("td", "time started", clock(s.started_at)));
    const took = s.started_at && s.ended_at ? duration(s.ended_at - s.started_at) : "";
    tr.appendChild(el("td", "time duration", took));
    const outs = el("td", "outputs");
    outs.replaceChildren(...(s.outputs || []).map((o) => el("span", "tag", o)));
    tr.appendChild(outs);
    const notes = (s.notes || []).slice();
    if (secret.has(name)) notes.push("outputs held secret values (masked)");
    tr.appendChild(el("td", "error", notes.join("; ")));
    return tr;
  });
  $("detail-steps").replaceChildren(...rows);
  $("detail-outputs").innerHTML = highlight(doc.outputs || {});
}

async function loadRun(id) {
  try {
    drawRun(await getJson("runs/" + id));
    hideBanner();
  } catch (e) {
    showBanner("Cannot read run " + id + ": " + e.message);
  }
}

function route() {
  const match = /^#runs\/(\d+)$/.exec(location.hash);
  const inHistory = location.hash === "#history" || match !== null;
  $("live-view").hidden = inHistory;
  $("history-view").hidden = !inHistory;
  $("nav-live").classList.toggle("active", !inHistory);
  $("nav-history").classList.toggle("active", inHistory);
  $("runs-panel").hidden = match !== null;
  $("run-detail").hidden = match === null;
  if (historyView.listTimer !== null) clearInterval(historyView.listTimer);
  historyView.listTimer = null;
  if (match) {
    historyView.shown = match[1];
    loadRun(match[1]);
  } else if (inHistory) {
    historyView.shown = "list";
    loadRuns();
    historyView.listTimer = setInterval(loadRuns, 5000);
  } else {
    historyView.shown = null;
  }
}

window.addEventListener("hashchange", route);
route();
