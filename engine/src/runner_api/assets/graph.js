// flowtoy web UI: the graph view. The server lays the graph out (GET /graph:
// boxes and edge paths, the same layout as `flowtoy graph --format svg`);
// this file only draws it, colours each node by its step's state as app.js
// hears of changes (window.drawGraph), and lets the reader pan (drag), zoom
// (wheel, buttons), fit, filter by name, and click a node: that calls
// window.showStepDetails(name) when the page has it, and always selects the
// node and shows its status line under the graph.
"use strict";

(function () {
  const SVG = "http://www.w3.org/2000/svg";
  const STYLE = `
.graph-tools { display: flex; gap: 6px; align-items: center; margin: 0 0 8px; flex-wrap: wrap; }
.graph-tools input { font: inherit; padding: 3px 6px; min-width: 14em; }
.graph-tools button { font: inherit; padding: 2px 10px; cursor: pointer; }
.graph-view { border: 1px solid #d0d5dd; border-radius: 6px; background: #fff; overflow: hidden; }
.graph-view svg { display: block; width: 100%; cursor: grab; user-select: none; }
.graph-view svg.dragging { cursor: grabbing; }
.graph-view .edge { fill: none; stroke: #98a2b3; stroke-width: 1.4; }
.graph-view .edge.dashed { stroke-dasharray: 6 4; }
.graph-view .gnode { cursor: pointer; }
.graph-view .gnode rect { stroke-width: 1.5; rx: 6; }
.graph-view .gnode text { font: 12px sans-serif; fill: #101828; pointer-events: none; }
.graph-view .gnode text.sub { font-size: 10px; fill: #475467; }
.graph-view .state-pending rect { fill: #f2f4f7; stroke: #98a2b3; }
.graph-view .state-running rect { fill: #d1e9ff; stroke: #1570ef; }
.graph-view .state-succeeded rect { fill: #d1fadf; stroke: #039855; }
.graph-view .state-failed rect { fill: #fee4e2; stroke: #d92d20; }
.graph-view .state-skipped rect { fill: #fcfcfd; stroke: #d0d5dd; stroke-dasharray: 4 3; }
.graph-view .gnode.selected rect { stroke: #101828; stroke-width: 3; }
.graph-view .gnode.dim { opacity: 0.25; }
.graph-view .edge.dim { opacity: 0.15; }
.graph-view .gnode.match rect { stroke: #7a5af8; stroke-width: 3; }
#graph-selected { margin-top: 6px; }
tr.graph-selected td { background: #f4ebff; }
`;

  const graph = {
    doc: null,        // the /graph document
    key: null,        // the step names it was loaded for
    loading: false,
    status: null,     // the last status document
    nodes: new Map(), // name -> {g, sub, node}
    edges: [],        // [{path, from, to}]
    svg: null,
    view: null,       // the viewBox: {x, y, w, h}
    selected: null,
  };

  const $ = (id) => document.getElementById(id);

  function svgEl(tag, attrs, text) {
    const e = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function setView(v) {
    graph.view = v;
    if (graph.svg) graph.svg.setAttribute("viewBox", [v.x, v.y, v.w, v.h].join(" "));
  }

  function fit() {
    if (!graph.doc) return;
    setView({ x: 0, y: 0, w: Math.max(graph.doc.width, 1), h: Math.max(graph.doc.height, 1) });
  }

  // Zooms by `factor` (< 1 zooms in) around the drawing point (cx, cy).
  function zoom(factor, cx, cy) {
    const v = graph.view;
    if (!v) return;
    if (cx === undefined) {
      cx = v.x + v.w / 2;
      cy = v.y + v.h / 2;
    }
    const w = Math.min(Math.max(v.w * factor, 50), graph.doc.width * 4 + 200);
    const h = (v.h * w) / v.w;
    setView({ x: cx - ((cx - v.x) * w) / v.w, y: cy - ((cy - v.y) * h) / v.h, w, h });
  }

  // The drawing point under a mouse event.
  function point(ev) {
    const r = graph.svg.getBoundingClientRect();
    const v = graph.view;
    const scale = Math.max(v.w / r.width, v.h / r.height);
    const ox = (r.width * scale - v.w) / 2, oy = (r.height * scale - v.h) / 2;
    return { x: v.x - ox + (ev.clientX - r.left) * scale, y: v.y - oy + (ev.clientY - r.top) * scale, scale };
  }

  function itemsText(s) {
    if (!s || !s.items) return null;
    const done = s.items.succeeded + s.items.failed + (s.items.skipped || 0);
    return done + "/" + s.items.total + " items" + (s.items.failed ? ", " + s.items.failed + " failed" : "");
  }

  function statusLine(name) {
    const s = graph.status && graph.status.steps[name];
    if (!s) return name;
    const parts = [name, s.state];
    if (s.started_at) parts.push("started " + new Date(s.started_at * 1000).toLocaleTimeString());
    if (s.started_at) parts.push(((s.ended_at || Date.now() / 1000) - s.started_at).toFixed(2) + "s");
    const items = itemsText(s);
    if (items) parts.push(items);
    if (s.attempt > 1) parts.push("try " + s.attempt);
    if (s.notes && s.notes.length) parts.push(s.notes.join("; "));
    return parts.join(" · ");
  }

  function select(name) {
    if (graph.selected && graph.nodes.has(graph.selected)) graph.nodes.get(graph.selected).g.classList.remove("selected");
    for (const tr of document.querySelectorAll("tr.graph-selected")) tr.classList.remove("graph-selected");
    graph.selected = name;
    const node = graph.nodes.get(name);
    if (node) node.g.classList.add("selected");
    const row = document.querySelector('#step-rows tr[data-step="' + CSS.escape(name) + '"]');
    if (row) row.classList.add("graph-selected");
    const line = $("graph-selected");
    line.textContent = statusLine(name);
    line.hidden = false;
  }

  function colourNode(name) {
    const node = graph.nodes.get(name);
    const s = graph.status && graph.status.steps[name];
    if (!node || !s) return;
    if (node.g.dataset.state !== s.state) {
      node.g.dataset.state = s.state;
      node.g.classList.remove("state-pending", "state-running", "state-succeeded", "state-failed", "state-skipped");
      node.g.classList.add("state-" + s.state);
    }
    const sub = itemsText(s) || (s.attempt > 1 ? node.kind + ", try " + s.attempt : node.kind);
    if (node.sub.textContent !== sub) node.sub.textContent = sub;
  }

  function applyFilter(text) {
    const q = text.trim().toLowerCase();
    for (const [name, node] of graph.nodes) {
      const hit = q !== "" && name.toLowerCase().includes(q);
      node.g.classList.toggle("match", hit);
      node.g.classList.toggle("dim", q !== "" && !hit);
    }
    for (const e of graph.edges) e.path.classList.toggle("dim", q !== "");
  }

  // Centres the view on the first node matching the filter.
  function showFirstMatch(text) {
    const q = text.trim().toLowerCase();
    if (!q || !graph.doc) return;
    const n = graph.doc.nodes.find((n) => n.name.toLowerCase().includes(q));
    if (!n) return;
    const w = Math.min(graph.doc.width, 900), h = Math.min(graph.doc.height, 500);
    setView({ x: n.x + n.width / 2 - w / 2, y: n.y + n.height / 2 - h / 2, w, h });
    select(n.name);
  }

  function build(doc) {
    const host = $("graph-view");
    graph.doc = doc;
    graph.nodes.clear();
    graph.edges = [];
    const svg = svgEl("svg", { id: "graph-svg", role: "img", "aria-label": "dependency graph" });
    svg.style.height = Math.max(160, Math.min(doc.height + 10, Math.round(window.innerHeight * 0.6))) + "px";
    const defs = svgEl("defs");
    const marker = svgEl("marker", { id: "graph-arrow", viewBox: "0 0 10 10", refX: "10", refY: "5", markerWidth: "7", markerHeight: "7", orient: "auto-start-reverse" });
    marker.appendChild(svgEl("path", { d: "M0 0 L10 5 L0 10 z", fill: "#98a2b3" }));
    defs.appendChild(marker);
    svg.appendChild(defs);
    const edges = svgEl("g", { class: "edges" });
    for (const e of doc.edges) {
      const path = svgEl("path", { class: e.dashed ? "edge dashed" : "edge", d: e.path, "marker-end": "url(#graph-arrow)" });
      path.dataset.from = e.from;
      path.dataset.to = e.to;
      edges.appendChild(path);
      graph.edges.push({ path, from: e.from, to: e.to });
    }
    svg.appendChild(edges);
    const nodes = svgEl("g", { class: "nodes" });
    for (const n of doc.nodes) {
      const kind = n.type + (n.foreach ? ", foreach" : "") + (n.when ? ", when" : "");
      const g = svgEl("g", { class: "gnode state-pending" });
      g.dataset.step = n.name;
      g.dataset.state = "pending";
      g.appendChild(svgEl("title", {}, n.name + " (" + kind + ")"));
      g.appendChild(svgEl("rect", { x: n.x, y: n.y, width: n.width, height: n.height, rx: 6 }));
      const cx = n.x + n.width / 2;
      g.appendChild(svgEl("text", { x: cx, y: n.y + 17, "text-anchor": "middle" }, n.label));
      const sub = svgEl("text", { x: cx, y: n.y + 31, "text-anchor": "middle", class: "sub" }, kind);
      g.appendChild(sub);
      nodes.appendChild(g);
      graph.nodes.set(n.name, { g, sub, kind });
    }
    svg.appendChild(nodes);
    host.replaceChildren(svg);
    graph.svg = svg;
    listen(svg);
    fit();
    applyFilter($("graph-filter").value);
    for (const name of graph.nodes.keys()) colourNode(name);
    if (graph.selected && graph.nodes.has(graph.selected)) select(graph.selected);
  }

  function listen(svg) {
    let drag = null;
    svg.addEventListener("pointerdown", (ev) => {
      drag = { x: ev.clientX, y: ev.clientY, view: { ...graph.view }, moved: false, scale: point(ev).scale };
    });
    svg.addEventListener("pointermove", (ev) => {
      if (!drag) return;
      const dx = ev.clientX - drag.x, dy = ev.clientY - drag.y;
      if (!drag.moved && Math.abs(dx) + Math.abs(dy) < 4) return;
      if (!drag.moved) {
        drag.moved = true;
        svg.setPointerCapture(ev.pointerId);
        svg.classList.add("dragging");
      }
      setView({ x: drag.view.x - dx * drag.scale, y: drag.view.y - dy * drag.scale, w: drag.view.w, h: drag.view.h });
    });
    const end = (ev) => {
      if (!drag) return;
      const moved = drag.moved;
      drag = null;
      svg.classList.remove("dragging");
      if (moved) return;
      const g = ev.target.closest && ev.target.closest("g.gnode");
      if (g) openNode(g.dataset.step);
    };
    svg.addEventListener("pointerup", end);
    svg.addEventListener("pointercancel", () => { drag = null; svg.classList.remove("dragging"); });
    svg.addEventListener("wheel", (ev) => {
      ev.preventDefault();
      const p = point(ev);
      zoom(ev.deltaY > 0 ? 1.15 : 1 / 1.15, p.x, p.y);
    }, { passive: false });
  }

  // A click on a node: its details when the page has a details view.
  function openNode(name) {
    select(name);
    if (typeof window.showStepDetails === "function") window.showStepDetails(name);
  }

  async function load(key) {
    graph.loading = true;
    try {
      const response = await fetch("graph", { cache: "no-store" });
      const doc = await response.json();
      if (!response.ok || !doc.nodes) throw new Error(doc.error || "HTTP " + response.status);
      graph.key = key;
      build(doc);
      $("graph-message").hidden = true;
    } catch (e) {
      const m = $("graph-message");
      m.textContent = "Cannot draw the graph: " + e.message;
      m.hidden = false;
    } finally {
      graph.loading = false;
    }
  }

  // Called by app.js after each drawing: `changed` holds the names of the
  // steps that changed, or is null when everything may have.
  window.drawGraph = function (status, changed) {
    graph.status = status;
    if (!status) return;
    const key = status.run_id + "\n" + Object.keys(status.steps || {}).join("\n");
    if (key !== graph.key) {
      if (!graph.loading) load(key);
      return;
    }
    for (const name of changed || graph.nodes.keys()) colourNode(name);
    if (graph.selected) $("graph-selected").textContent = statusLine(graph.selected);
  };

  // The panel's tools, built here so the page's HTML stays small.
  function tools() {
    const style = document.createElement("style");
    style.textContent = STYLE;
    document.head.appendChild(style);
    const panel = $("graph-panel");
    const bar = document.createElement("div");
    bar.className = "graph-tools";
    const filter = document.createElement("input");
    filter.id = "graph-filter";
    filter.type = "search";
    filter.placeholder = "find a step (Enter: go to it)";
    filter.addEventListener("input", () => applyFilter(filter.value));
    filter.addEventListener("keydown", (ev) => {
      if (ev.key === "Enter") showFirstMatch(filter.value);
    });
    bar.appendChild(filter);
    for (const [label, title, action] of [
      ["Fit", "show the whole graph", fit],
      ["+", "zoom in", () => zoom(1 / 1.4)],
      ["−", "zoom out", () => zoom(1.4)],
    ]) {
      const b = document.createElement("button");
      b.type = "button";
      b.textContent = label;
      b.title = title;
      b.addEventListener("click", action);
      bar.appendChild(b);
    }
    const hint = document.createElement("span");
    hint.className = "muted";
    hint.textContent = "drag to pan, wheel to zoom; dashed: a dependency from a template only";
    bar.appendChild(hint);
    panel.insertBefore(bar, $("graph-view"));
  }

  tools();
})();
