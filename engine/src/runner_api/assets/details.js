// flowtoy web UI: the step details panel. `window.showStepDetails(name)`
// opens it (a click on a step row does; so may other views, e.g. a graph),
// `closeStepDetails()` or Esc closes it. It reads `steps/{name}` and, while
// the step has not ended, reads it again every POLL_MS so a running
// program's output shows as it comes.
"use strict";

const DETAILS_POLL_MS = 500;

const details = {
  name: null,     // the step shown
  timer: null,    // the next poll
  seq: 0,         // answers to an older request are dropped
};

function detailsText(id, text) {
  document.getElementById(id).textContent = text;
}

function detailsJson(id, value) {
  const pre = document.getElementById(id);
  if (value === null || value === undefined || (typeof value === "object" && !Object.keys(value).length)) {
    pre.textContent = "—";
    pre.classList.add("empty");
  } else {
    pre.innerHTML = highlight(value);
    pre.classList.remove("empty");
  }
}

// Shows one stream's tail, staying at the bottom when the reader was there.
function detailsTail(id, tail) {
  const pre = document.getElementById(id);
  const atBottom = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
  if (!tail) {
    pre.textContent = "";
    pre.dataset.empty = "nothing printed";
  } else {
    pre.textContent = tail.text;
    pre.dataset.empty = tail.text ? "" : "nothing printed";
  }
  const note = document.getElementById(id + "-note");
  note.textContent = tail && tail.truncated
    ? "last " + Math.round(tail.text.length / 1024) + " KiB of " + Math.round(tail.total_bytes / 1024) + " KiB"
    : tail ? tail.total_bytes + " bytes" : "";
  if (atBottom) pre.scrollTop = pre.scrollHeight;
}

function drawDetails(d) {
  const pill = document.getElementById("details-state");
  pill.className = "pill pill-" + d.state;
  pill.textContent = d.state;
  document.getElementById("step-details").dataset.state = d.state;
  detailsText("details-name", d.name);
  detailsText("details-provider", d.provider + " on " + d.executor);
  const tries = d.attempt ? "try " + d.attempt + " of " + d.max_attempts : "not started";
  detailsText("details-attempt", tries);
  detailsText("details-started", d.started_at ? clock(d.started_at) : "—");
  detailsText("details-duration", d.started_at ? duration((d.ended_at || Date.now() / 1000) - d.started_at) : "—");
  detailsText("details-error", d.error || "");
  document.getElementById("details-error").hidden = !d.error;
  detailsText("details-notes", (d.notes || []).join("; "));
  detailsJson("details-input", d.input);
  detailsJson("details-outputs", d.outputs);
  detailsJson("details-meta", d.meta);
  detailsTail("details-stdout", d.stdout);
  detailsTail("details-stderr", d.stderr);
}

async function fetchDetails() {
  details.timer = null;
  const name = details.name;
  if (name === null) return;
  const seq = ++details.seq;
  let again = true;
  try {
    const d = await getJson("steps/" + encodeURIComponent(name));
    if (seq !== details.seq || name !== details.name) return;
    detailsText("details-message", "");
    drawDetails(d);
    // Once the step has ended nothing more will come.
    again = !["succeeded", "failed", "skipped"].includes(d.state);
  } catch (e) {
    if (seq !== details.seq || name !== details.name) return;
    detailsText("details-message", "Cannot get the step's details: " + e.message);
  }
  if (again && details.name === name) details.timer = setTimeout(fetchDetails, DETAILS_POLL_MS);
}

// Empties the panel, so nothing of another step shows while loading.
function clearDetails() {
  const pill = document.getElementById("details-state");
  pill.className = "pill";
  pill.textContent = "…";
  for (const id of ["details-provider", "details-attempt", "details-started", "details-duration", "details-notes", "details-error"]) {
    detailsText(id, "");
  }
  document.getElementById("details-error").hidden = true;
  for (const id of ["details-input", "details-outputs", "details-meta"]) detailsJson(id, null);
  for (const id of ["details-stdout", "details-stderr"]) detailsTail(id, null);
}

function showStepDetails(name) {
  if (details.timer !== null) clearTimeout(details.timer);
  details.timer = null;
  if (details.name !== String(name)) clearDetails();
  details.name = String(name);
  const panel = document.getElementById("step-details");
  panel.hidden = false;
  panel.dataset.step = details.name;
  detailsText("details-name", details.name);
  detailsText("details-message", "loading…");
  for (const row of document.querySelectorAll("#step-rows tr")) {
    row.classList.toggle("selected", row.dataset.step === details.name);
  }
  fetchDetails();
}

function closeStepDetails() {
  if (details.timer !== null) clearTimeout(details.timer);
  details.timer = null;
  details.name = null;
  details.seq++;
  document.getElementById("step-details").hidden = true;
  for (const row of document.querySelectorAll("#step-rows tr.selected")) row.classList.remove("selected");
}

window.showStepDetails = showStepDetails;
window.closeStepDetails = closeStepDetails;

document.getElementById("step-rows").addEventListener("click", (e) => {
  const row = e.target.closest("tr");
  if (row && row.dataset.step !== undefined) showStepDetails(row.dataset.step);
});
document.getElementById("details-close").addEventListener("click", closeStepDetails);
document.addEventListener("keydown", (e) => {
  if (e.key === "Escape" && details.name !== null) closeStepDetails();
});
