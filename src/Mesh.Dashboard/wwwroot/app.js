// The dashboard's page: one server-sent event stream (/events) pushes a snapshot every second;
// this renders it. Everything shown is set as text (never HTML): function names, refused targets
// and messages come from guests and callers.
"use strict";

const palette = ["#3358d4", "#1a7f4b", "#b42318", "#b54708", "#6941c6", "#0e7090", "#c11574", "#4e5ba6"];
const charts = {};
let latest = null;

function cell(row, text, className) {
  const td = document.createElement("td");
  td.textContent = text;
  if (className) td.className = className;
  row.appendChild(td);
  return td;
}

function counts(map) {
  const entries = Object.entries(map || {});
  return entries.length === 0 ? "-" : entries.map(([k, v]) => `${k}=${v}`).join(", ");
}

function percent(rate) {
  return rate === null || rate === undefined ? "-" : `${(rate * 100).toFixed(1)}% hits`;
}

function number(n) {
  return Number(n).toLocaleString("en-US", { maximumFractionDigits: 1 });
}

function renderNodes(nodes) {
  const body = document.getElementById("node-rows");
  body.replaceChildren();
  for (const node of nodes) {
    const row = document.createElement("tr");
    row.dataset.node = node.id;
    cell(row, node.id);
    cell(row, node.ready ? "yes" : "no", node.ready ? "yes" : "no");
    cell(row, number(node.inFlight), "num");
    cell(row, node.callsPerSecond === null || node.callsPerSecond === undefined ? "-" : number(node.callsPerSecond), "num");
    cell(row, number(node.calls), "num");
    cell(row, number(node.errors), "num");
    cell(row, number(node.averageMicros), "num");
    cell(row, percent(node.tokenCacheHitRate), "num");
    cell(row, percent(node.moduleCacheHitRate), "num");
    cell(row, counts(node.errorsByCode), "wrap");
    cell(row, counts(node.deniedByCapability), "wrap");
    body.appendChild(row);
  }
  document.getElementById("node-count").textContent = `${nodes.length} answering`;
}

function renderFunctions(functions, time) {
  const body = document.getElementById("function-rows");
  body.replaceChildren();
  for (const f of functions) {
    const row = document.createElement("tr");
    row.dataset.function = f.name;
    cell(row, f.name);
    cell(row, number(f.callsPerSecond), "num");
    cell(row, number(f.callsLastMinute), "num");
    cell(row, number(f.p50Micros), "num");
    cell(row, number(f.p99Micros), "num");
    cell(row, counts(f.errorsByCode), "wrap");
    body.appendChild(row);
  }
  renderChart("chart", "calls/s", functions, f => f.callsPerSecondSeries, time);
  renderChart("errors-chart", "errors/s", functions, f => f.errorsPerSecondSeries, time);
}

// One chart per series kind (calls, errors), a line per function; made again when the set of
// functions changes, else only given new data.
function renderChart(id, label, functions, series, time) {
  const container = document.getElementById(id);
  const now = Math.floor(Date.parse(time) / 1000);
  const length = functions.length ? series(functions[0]).length : 300;
  const xs = Array.from({ length }, (_, i) => now - length + 1 + i);
  const data = [xs, ...functions.map(series)];
  const names = functions.map(f => f.name).join("\n");
  const existing = charts[id];
  if (!existing || existing.names !== names) {
    existing?.chart.destroy();
    charts[id] = {
      names,
      chart: new uPlot({
        width: Math.max(container.clientWidth, 320),
        height: 160,
        series: [{}, ...functions.map((f, i) => ({ label: f.name, stroke: palette[i % palette.length], width: 2 }))],
        axes: [{}, { label }],
        scales: { x: { time: true } },
      }, data, container),
    };
  } else {
    existing.chart.setData(data);
  }
}

function renderRefusals(refusals) {
  const filter = document.getElementById("refusal-filter").value.trim().toLowerCase();
  const shown = refusals.filter(r => !filter || [r.function, r.capability, r.target, r.tokenId || ""].some(t => t.toLowerCase().includes(filter)));
  const body = document.getElementById("refusal-rows");
  body.replaceChildren();
  for (const r of shown) {
    const row = document.createElement("tr");
    row.dataset.capability = r.capability;
    cell(row, new Date(r.time).toISOString().substring(11, 23));
    cell(row, r.function);
    cell(row, r.capability);
    cell(row, r.target || "-", "wrap");
    cell(row, r.tokenId || "-");
    cell(row, r.node || "-");
    body.appendChild(row);
  }
  document.getElementById("refusal-count").textContent = filter ? `${shown.length} of ${refusals.length}` : `${refusals.length} recent`;
}

function renderChains(chains) {
  const body = document.getElementById("chain-rows");
  body.replaceChildren();
  for (const c of chains) {
    const row = document.createElement("tr");
    row.dataset.trace = c.trace;
    cell(row, c.trace);
    cell(row, new Date(c.time).toISOString().substring(11, 23));
    const steps = cell(row, "", "wrap");
    c.steps.forEach((s, i) => {
      const step = document.createElement("span");
      step.className = "step " + (s.status === "ok" ? "yes" : "no");
      step.dataset.step = String(s.step);
      step.textContent = `${i ? " → " : ""}${s.step} ${s.function} ${s.status} ${number(s.micros)} µs`;
      steps.appendChild(step);
    });
    body.appendChild(row);
  }
}

function renderDeadLetters(letters) {
  const body = document.getElementById("dead-rows");
  body.replaceChildren();
  for (const d of letters) {
    const row = document.createElement("tr");
    row.dataset.function = d.function;
    cell(row, String(d.seq), "num");
    cell(row, d.function);
    cell(row, d.status);
    cell(row, number(d.deliveries), "num");
    cell(row, d.message, "wrap");
    cell(row, d.tokenId);
    cell(row, `${number(d.inputBytes)} bytes`, "num");
    body.appendChild(row);
  }
  document.getElementById("dead-count").textContent = `${letters.length} (oldest first)`;
}

function render(snapshot) {
  latest = snapshot;
  renderDeadLetters(snapshot.deadLetters || []);
  renderChains(snapshot.chains || []);
  renderNodes(snapshot.nodes);
  renderFunctions(snapshot.functions, snapshot.time);
  renderRefusals(snapshot.refusals);
}

const status = document.getElementById("status");
const events = new EventSource("events");
events.onopen = () => { status.textContent = "live"; status.className = "status live"; };
events.onerror = () => { status.textContent = "reconnecting…"; status.className = "status down"; };
events.onmessage = message => render(JSON.parse(message.data));
document.getElementById("refusal-filter").addEventListener("input", () => latest && renderRefusals(latest.refusals));

// The token inspector: the server verifies it as mesh token inspect does and answers its report;
// the page shows each block's grant as a table (an action needs every block to allow it).
function list(values) {
  return values && values.length ? values.join(", ") : "-";
}

function renderReport(report) {
  const verdict = document.getElementById("verdict");
  const v = report.verification || {};
  verdict.textContent = v.ok ? `verifies (${v.checked})` : `${v.code}: ${v.message || ""}`;
  verdict.className = v.ok ? "ok" : "bad";
  const blocks = document.getElementById("blocks");
  blocks.replaceChildren();
  for (const block of report.blocks || []) {
    const div = document.createElement("div");
    div.className = "block";
    const title = document.createElement("h3");
    title.textContent = `block ${block.index} · token id ${block.tokenId} · until ${block.expires}`;
    div.appendChild(title);
    const table = document.createElement("table");
    const head = document.createElement("tr");
    for (const name of ["function", "log", "http", "key-value", "publish", "request", "then", "limits"]) {
      const th = document.createElement("th");
      th.textContent = name;
      head.appendChild(th);
    }
    table.appendChild(head);
    for (const f of block.functions || []) {
      const row = document.createElement("tr");
      row.dataset.function = f.function;
      cell(row, f.function);
      cell(row, f.log ? "yes" : "no");
      cell(row, list(f.http), "wrap");
      cell(row, list(f.kv), "wrap");
      cell(row, list(f.publish), "wrap");
      cell(row, list(f.request), "wrap");
      cell(row, list(f.then), "wrap");
      cell(row, counts(f.limits), "wrap");
      table.appendChild(row);
    }
    div.appendChild(table);
    blocks.appendChild(div);
  }
}

document.getElementById("inspect").addEventListener("click", async () => {
  const text = document.getElementById("token-text");
  const token = text.value;
  // The page keeps no whole token either: the report names it by its id.
  text.value = "";
  const response = await fetch("inspect", { method: "POST", body: token, headers: { "Content-Type": "text/plain" } });
  renderReport(await response.json());
});
