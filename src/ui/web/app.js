// The Swarm UI's page: polls /api/state (a 304 when nothing changed) and draws the five
// pages from it. Text from the swarm goes in as text, never as HTML.
"use strict";

const COLOURS = { SN: "#ADD8E6", SWOP: "#33FF33", SL: "#FFCCCB", SWCI: "#DDDDDD" };
const LINE_COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf"];

// The access token: given once as ?token= on the address, then kept for this tab.
(function takeToken() {
  const url = new URL(window.location.href);
  const t = url.searchParams.get("token");
  if (t) {
    sessionStorage.setItem("swarm-ui-token", t);
    url.searchParams.delete("token");
    history.replaceState(null, "", url.pathname + url.hash);
  }
})();
const token = () => sessionStorage.getItem("swarm-ui-token") || "";

function api(path, options = {}) {
  options.headers = Object.assign({}, options.headers || {});
  if (token()) options.headers["Authorization"] = "Bearer " + token();
  return fetch(path, options);
}

// el("td", {class: "x"}, "text", otherNode): an element with attributes and children.
function el(tag, attrs = {}, ...children) {
  const svg = ["svg", "g", "circle", "line", "text", "title"].includes(tag);
  const e = svg ? document.createElementNS("http://www.w3.org/2000/svg", tag) : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v !== undefined && v !== null) e.setAttribute(k, v);
  }
  for (const c of children) {
    if (c === undefined || c === null) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}
const fill = (tbody, rows) => tbody.replaceChildren(...rows);
const short = (s, n = 12) => (s || "").substring(0, n);
const when = (ms) => (ms ? new Date(ms).toLocaleTimeString() : "");
const bytes = (b) => (b >= 1e9 ? (b / 1e9).toFixed(2) + " GB" : b >= 1e6 ? (b / 1e6).toFixed(1) + " MB" : (b / 1e3).toFixed(1) + " kB");
function duration(s) {
  if (s === null || s === undefined) return "";
  return s >= 3600 ? Math.floor(s / 3600) + " h " + Math.floor((s % 3600) / 60) + " min"
       : s >= 60 ? Math.floor(s / 60) + " min " + (s % 60) + " s" : s + " s";
}

// --- pages -------------------------------------------------------------------

let page = "overview";
function show(name) {
  page = name;
  document.querySelectorAll(".page").forEach((p) => p.classList.toggle("d-none", p.id !== "page-" + name));
  document.querySelectorAll("#tabs .nav-link").forEach((a) => a.classList.toggle("active", a.dataset.page === name));
  if (name === "ledger") loadBlocks();
  if (state) render(state);
}
document.querySelectorAll("#tabs .nav-link").forEach((a) =>
  a.addEventListener("click", (ev) => { ev.preventDefault(); history.replaceState(null, "", "#" + a.dataset.page); show(a.dataset.page); }));

function renderOverview(s) {
  const alive = (t) => s.nodes.filter((n) => n.type === t && n.alive).length;
  const training = s.contracts.filter((c) => !c.done && c.nodes.some((n) => n.status === "training")).length;
  const healthy = s.sns.filter((x) => x.alive && !x.error).length;
  const card = (title, value, sub, id) =>
    el("div", { class: "col-md-3" }, el("div", { class: "card", id },
      el("div", { class: "card-body" }, el("div", { class: "text-muted small" }, title),
        el("div", { class: "display-6" }, value), el("div", { class: "small" }, sub))));
  fill(document.getElementById("cards"), [
    card("Network health", s.sn.error ? "unreachable" : healthy + " / " + s.sns.length + " SNs", s.sn.error || "via " + s.sn.target, "card-health"),
    card("Swarm Learning nodes", alive("SL"), "alive", "card-sl"),
    card("Operators (SWOP)", alive("SWOP"), "alive", "card-swop"),
    card("Trainings in progress", training, s.contracts.length + " contracts", "card-training"),
  ]);
  fill(document.querySelector("#sn-table tbody"), s.sns.map((x) => el("tr", {},
    el("td", {}, x.name), el("td", {}, x.endpoint), el("td", {}, x.alive ? "yes" : "no"),
    el("td", {}, x.error ? "unreachable: " + x.error : x.height),
    el("td", {}, x.verify ? (x.verify.ok ? "ok, " + x.verify.blocks + " blocks" : "BAD at " + x.verify.first_bad_height) : "—"))));
  fill(document.querySelector("#node-table tbody"), s.nodes.map((n) => el("tr", { class: n.alive ? "" : "gone" },
    el("td", {}, n.type), el("td", {}, n.name), el("td", {}, n.host + ":" + n.port), el("td", { class: "hash" }, short(n.uid)),
    el("td", {}, n.alive ? "yes" : "no (" + when(n.last_alive_ms) + ")"))));
}

// Layers: SNs on top, SWOPs below them, SLs at the bottom; a line per link.
function renderTopology(s) {
  const svg = document.getElementById("topology");
  const width = svg.clientWidth || 900;
  const layers = { SN: 60, SWOP: 200, SL: 340, SWCI: 200 };
  const pos = {};
  for (const type of Object.keys(layers)) {
    const row = s.nodes.filter((n) => n.type === type);
    row.forEach((n, i) => { pos[n.uid] = { x: (width * (i + 1)) / (row.length + 1), y: layers[type] }; });
  }
  const edges = [];
  const sns = s.nodes.filter((n) => n.type === "SN");
  sns.forEach((a, i) => sns.slice(i + 1).forEach((b) => edges.push([a.uid, b.uid, "sn-sn"])));
  for (const n of s.nodes) {
    if (n.type === "SN") continue;
    if (n.parent && pos[n.parent]) edges.push([n.parent, n.uid, "swop-sl"]);
    const sn = n.sn && pos[n.sn] ? n.sn : sns.length ? sns[0].uid : null;
    if (sn) edges.push([sn, n.uid, "sn-" + n.type.toLowerCase()]);
  }
  const lines = edges.filter(([a, b]) => pos[a] && pos[b]).map(([a, b, kind]) =>
    el("line", { class: "topo-edge " + kind, "data-from": a, "data-to": b, x1: pos[a].x, y1: pos[a].y, x2: pos[b].x, y2: pos[b].y }));
  const nodes = s.nodes.filter((n) => pos[n.uid]).map((n) =>
    el("g", { class: "topo-node topo-" + n.type + (n.alive ? "" : " gone"), "data-uid": n.uid, transform: `translate(${pos[n.uid].x},${pos[n.uid].y})` },
      el("title", {}, `${n.type} ${n.name}\n${n.host}:${n.port}\n${n.uid}`),
      el("circle", { r: 22, fill: COLOURS[n.type] || "#ddd", stroke: "#555" }),
      el("text", { y: 4 }, n.type), el("text", { y: 38 }, n.name)));
  svg.replaceChildren(...lines, ...nodes);
}

const charts = {};  // by contract name and kind
function chart(id, config) {
  if (typeof Chart === "undefined") return null;  // libjs-chart.js missing: the tables still show
  if (!charts[id]) charts[id] = new Chart(document.getElementById(id), config);
  return charts[id];
}

function renderContract(c, box) {
  const key = c.name.replace(/[^A-Za-z0-9]/g, "_");
  let sec = document.getElementById("contract-" + key);
  if (!sec) {
    sec = el("div", { id: "contract-" + key, class: "mb-4" },
      el("h5", {}, "Contract ", el("code", {}, c.name), " ", el("span", { class: "small text-muted", id: "head-" + key })),
      el("table", { class: "table table-sm align-middle", id: "rows-" + key },
        el("thead", {}, el("tr", {}, ...["SL–ML", "status", "progress", "rounds", "loss", "metric", "ETA"].map((h) => el("th", {}, h)))),
        el("tbody")),
      el("div", { class: "row" },
        el("div", { class: "col-lg-7" }, el("h6", {}, "Loss and metric"), el("div", { class: "chart-box" }, el("canvas", { id: "curves-" + key }))),
        el("div", { class: "col-lg-5" }, el("h6", {}, "Round durations"), el("div", { class: "chart-box" }, el("canvas", { id: "durations-" + key })))),
      el("h6", { class: "mt-3" }, "Rounds"),
      el("table", { class: "table table-sm", id: "rounds-" + key },
        el("thead", {}, el("tr", {}, ...["round", "merged at", "participants", "leader", "merge", "moved", "duration", "left out"].map((h) => el("th", {}, h)))),
        el("tbody")));
    box.append(sec);
  }
  document.getElementById("head-" + key).textContent =
    c.done ? `done after round ${c.last_round}` : `round ${c.current_round} open (${c.checked_in} checked in), last merged ${c.last_round}`;
  fill(sec.querySelector(`#rows-${key} tbody`), c.nodes.map((n) => {
    const pct = n.total_epochs ? Math.round((100 * n.epochs_done) / n.total_epochs) : 0;
    const badge = { training: "bg-primary", done: "bg-success", gone: "bg-secondary" }[n.status];
    return el("tr", { class: "sl-row " + n.status, "data-uid": n.uid },
      el("td", {}, n.name), el("td", {}, el("span", { class: "badge " + badge }, n.status)),
      el("td", {}, el("div", { class: "progress", title: `${n.epochs_done} / ${n.total_epochs} epochs` },
        el("div", { class: "progress-bar", role: "progressbar", style: `width: ${pct}%`, "aria-valuenow": n.epochs_done, "aria-valuemax": n.total_epochs }, `${n.epochs_done}/${n.total_epochs}`))),
      el("td", {}, n.rounds_done), el("td", {}, n.loss.toFixed(4)), el("td", {}, n.metric.toFixed(4)),
      el("td", {}, n.status === "done" ? "done" : duration(n.eta_s)));
  }));
  const rounds = c.rounds.slice().reverse().slice(0, 50);
  const name = (uid) => { const n = state.nodes.find((x) => x.uid === uid); return n ? n.name : short(uid, 8); };
  fill(sec.querySelector(`#rounds-${key} tbody`), rounds.map((r) => el("tr", { class: "round-row" },
    el("td", {}, r.round + (r.final ? " (final)" : "")), el("td", {}, when(r.merged_at_ms)),
    el("td", {}, r.participants.map(name).join(", ")), el("td", {}, name(r.merged_by || r.leader)),
    el("td", {}, r.merge_method + (r.shards ? ` · ${r.shards} shards` : "")), el("td", {}, bytes(r.bytes_moved)),
    el("td", {}, r.duration_ms === null ? "" : (r.duration_ms / 1000).toFixed(1) + " s"), el("td", {}, r.left_out.map(name).join(", ")))));

  // One chart: every node's loss (left axis) and metric (right axis) over time.
  const t0 = Math.min(...Object.values(c.series).flat().map((p) => p[0]), Date.now());
  const datasets = [];
  c.nodes.forEach((n, i) => {
    const pts = c.series[n.uid] || [];
    const colour = LINE_COLOURS[i % LINE_COLOURS.length];
    datasets.push({ label: n.name + " loss", data: pts.map((p) => ({ x: (p[0] - t0) / 1000, y: p[1] })), borderColor: colour, yAxisID: "loss", pointRadius: 1 });
    datasets.push({ label: n.name + " metric", data: pts.map((p) => ({ x: (p[0] - t0) / 1000, y: p[2] })), borderColor: colour, borderDash: [5, 3], yAxisID: "metric", pointRadius: 1 });
  });
  const curves = chart("curves-" + key, {
    type: "line", data: { datasets },
    options: { animation: false, maintainAspectRatio: false, parsing: false,
      scales: { x: { type: "linear", title: { display: true, text: "seconds" } },
        loss: { position: "left", title: { display: true, text: "loss" } },
        metric: { position: "right", title: { display: true, text: "metric" }, grid: { drawOnChartArea: false } } } } });
  if (curves) { curves.data.datasets = datasets; curves.update(); }
  const timed = c.rounds.filter((r) => r.duration_ms !== null).slice(-100);
  const durations = chart("durations-" + key, {
    type: "bar", data: { labels: [], datasets: [{ label: "seconds", data: [], backgroundColor: "#6c9bd2" }] },
    options: { animation: false, maintainAspectRatio: false, plugins: { legend: { display: false } } } });
  if (durations) {
    durations.data.labels = timed.map((r) => r.round);
    durations.data.datasets[0].data = timed.map((r) => r.duration_ms / 1000);
    durations.update();
  }
}

function renderTraining(s) {
  const box = document.getElementById("contracts");
  if (s.contracts.length && box.querySelector("p")) box.replaceChildren();
  s.contracts.forEach((c) => renderContract(c, box));
}

function renderTasks(s) {
  document.getElementById("write-actions").classList.toggle("d-none", !s.can_write);
  document.getElementById("read-only-note").textContent = s.can_write ? "" : s.writes_off
    ? "This UI was started without an access token: its write actions are off."
    : "Read only: open the address the UI printed (with its token) to create, finalize, assign and reset.";
  const box = document.getElementById("taskrunners");
  box.replaceChildren(...s.task_runners.map((tr) => el("div", { class: "card mb-2 taskrunner", "data-name": tr.name },
    el("div", { class: "card-body py-2" },
      el("div", {}, el("b", {}, tr.name), " — ", tr.task ? `${tr.task} (${tr.task_type}), ${tr.peers_needed} peers: ` : "no task: ",
        el("span", { class: "tr-state" }, tr.task ? tr.state.replace("TASK_STATE_", "") : "Empty"), tr.state_reason ? " — " + tr.state_reason : ""),
      el("table", { class: "table table-sm mb-0 mt-1" }, el("tbody", {}, ...(tr.peers || []).map((p, i) => el("tr", {},
        el("td", {}, "peer " + i), el("td", { class: "hash" }, short(p.uid)), el("td", {}, p.alive ? "alive" : "gone"),
        el("td", {}, p.reported ? p.state.replace("PEER_STATE_", "") : "—"), el("td", {}, p.description)))))))));
  fill(document.querySelector("#task-table tbody"), s.tasks.map((t) => el("tr", {},
    el("td", {}, t.name), el("td", {}, t.type), el("td", {}, t.author), el("td", {}, t.prereq),
    el("td", {}, t.finalized ? "yes" : "no"), el("td", {}, t.outcome))));
}

function renderLedger(s) {
  fill(document.querySelector("#verify-table tbody"), s.sns.map((x) => {
    const button = el("button", { class: "btn btn-sm btn-outline-primary verify", "data-sn": x.uid }, "Verify");
    button.addEventListener("click", () => verify(x.uid, button));
    const v = x.verify;
    return el("tr", {}, el("td", {}, x.name), el("td", {}, x.error ? "unreachable" : x.height),
      el("td", { class: "verify-result" }, v ? (v.ok ? `ok: ${v.blocks} blocks replayed` : `BAD at block ${v.first_bad_height}: ${v.reason}`) + ` (${when(v.at_ms)})` : "—"),
      el("td", {}, button));
  }));
  const height = s.sns.reduce((m, x) => Math.max(m, x.height), 0);
  if (page === "ledger" && height !== shownHeight) loadBlocks();
}

async function verify(uid, button) {
  button.disabled = true;
  button.textContent = "Verifying…";
  try {
    const r = await api("/api/verify", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ sn: uid }) });
    const body = await r.json();
    if (!r.ok) showError(body.error.message);
  } finally {
    button.disabled = false;
    button.textContent = "Verify";
  }
}

let shownHeight = -1;
async function loadBlocks() {
  const r = await api("/api/blocks?limit=50");
  const body = await r.json();
  if (!r.ok) return showError(body.error.message);
  shownHeight = body.height;
  document.getElementById("blocks-sn").textContent = `from ${body.sn}, height ${body.height}`;
  fill(document.querySelector("#block-table tbody"), body.blocks.map((b) => el("tr", { class: "block-row" },
    el("td", {}, b.height), el("td", {}, when(b.timestamp_unix_ms)), el("td", {}, b.appended_by), el("td", { class: "hash" }, short(b.hash)),
    el("td", {}, ...b.transactions.map((t) => el("div", { class: "small" }, `${t.type} · ${t.submitter_role} `, el("span", { class: "fp" }, short(t.submitter_fingerprint, 16))))))));
}

// --- write actions (token holders) -------------------------------------------

async function command(endpoint, params) {
  const r = await api("/api/swci/commands/" + endpoint, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(params) });
  const body = await r.json();
  document.getElementById("action-output").textContent = body.output || (body.error && body.error.message) || "";
  return body.ok;
}
function onSubmit(id, action) {
  document.getElementById(id).addEventListener("submit", async (ev) => { ev.preventDefault(); await action(); poll(); });
}
onSubmit("form-create", async () => {
  const file = document.getElementById("create-file").files[0];
  if (!file) return;
  const r = await api("/api/swci/upload", { method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ fileName: file.name, content: await file.text() }) });
  if (!r.ok) { document.getElementById("action-output").textContent = (await r.json()).error.message; return; }
  if (!(await command("create-task-from", { taskDefFile: file.name }))) return;
  if (document.getElementById("create-finalize").checked) {
    const text = await file.text();
    const m = text.match(/^\s*Name\s*:\s*(\S+)/m);
    if (m) await command("finalize-task", { taskName: m[1] });
  }
});
onSubmit("form-finalize", () => command("finalize-task", { taskName: document.getElementById("finalize-task").value }));
onSubmit("form-assign", () => command("assign-task", { taskName: document.getElementById("assign-task").value,
  trName: document.getElementById("assign-tr").value, peersNeeded: Number(document.getElementById("assign-peers").value) }));
onSubmit("form-reset", () => command("reset-taskrunner", { trName: document.getElementById("reset-tr").value }));

// --- the poll ------------------------------------------------------------------

let state = null;
let etag = "";
function showError(message) {
  const e = document.getElementById("error");
  e.textContent = message || "";
  e.classList.toggle("d-none", !message);
}
function render(s) {
  renderOverview(s);
  if (page === "topology") renderTopology(s);
  if (page === "training") renderTraining(s);
  if (page === "tasks") renderTasks(s);
  if (page === "ledger") renderLedger(s);
  showError(s.sn.error);
}
async function poll() {
  try {
    const r = await api("/api/state", { headers: etag ? { "If-None-Match": etag } : {} });
    if (r.status === 200) {
      etag = r.headers.get("ETag") || "";
      state = await r.json();
      render(state);
    } else if (r.status !== 304) {
      showError((await r.json()).error.message);
    }
    document.getElementById("status").textContent = "updated " + new Date().toLocaleTimeString();
  } catch (e) {
    document.getElementById("status").textContent = "the UI server cannot be reached";
  }
}
show((window.location.hash || "#overview").substring(1));
poll();
setInterval(poll, 1000);
