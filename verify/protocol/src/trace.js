// The space-time diagram's drawing script: reads the trace the page carries as JSON
// and draws one window of messages as SVG. verify-protocol's trace.rs puts it in the page.
(function () {
  "use strict";
  const trace = JSON.parse(document.getElementById("trace-data").textContent);
  const NS = "http://www.w3.org/2000/svg";
  const WINDOW = 2000, COL = 150, LEFT = 70, TOP = 50, HEIGHT = 1400;
  const messages = trace.events.filter(e => e.kind === "delivered" || (e.kind && e.kind.dropped));
  let first = 0;

  function el(name, attrs, text) {
    const node = document.createElementNS(NS, name);
    for (const k in attrs) node.setAttribute(k, attrs[k]);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function summary() {
    const box = document.getElementById("summary");
    const rows = [];
    if (trace.seed !== null && trace.seed !== undefined) rows.push(["seed", String(trace.seed)]);
    rows.push(["messages delivered", String(trace.events.filter(e => e.kind === "delivered").length)]);
    rows.push(["messages dropped", String(trace.events.filter(e => e.kind && e.kind.dropped).length)]);
    for (const [k, v] of trace.figures) rows.push([k, v]);
    const table = document.createElement("table");
    for (const [k, v] of rows) {
      const tr = document.createElement("tr");
      const th = document.createElement("th"); th.textContent = k;
      const td = document.createElement("td"); td.textContent = v;
      tr.append(th, td); table.append(tr);
    }
    box.append(table);
    if (trace.violation) {
      const p = document.createElement("p");
      p.className = "violation";
      p.textContent = "Broken at " + trace.violation[0].toFixed(0) + " ms: " + trace.violation[1];
      box.append(p);
    }
  }

  function controls() {
    const box = document.getElementById("controls");
    if (messages.length <= WINDOW) return;
    const info = document.createElement("span");
    const prev = document.createElement("button"); prev.textContent = "◀ earlier";
    const next = document.createElement("button"); next.textContent = "later ▶";
    function update() { info.textContent = " messages " + (first + 1) + "–" + Math.min(first + WINDOW, messages.length) + " of " + messages.length; }
    prev.onclick = () => { first = Math.max(0, first - WINDOW); update(); draw(); };
    next.onclick = () => { first = Math.min(messages.length - 1, first + WINDOW); update(); draw(); };
    box.append(prev, next, info);
    update();
  }

  function show(text, keep) {
    const detail = document.getElementById("detail");
    if (keep) detail.dataset.kept = "1";
    if (keep || !detail.dataset.kept) detail.textContent = text;
  }

  function draw() {
    const box = document.getElementById("diagram");
    box.textContent = "";
    const shown = messages.slice(first, first + WINDOW);
    let t0 = shown.length ? shown[0].sent_ms : 0, t1 = shown.length ? shown[shown.length - 1].at_ms : 1;
    for (const e of shown) { t0 = Math.min(t0, e.sent_ms); t1 = Math.max(t1, e.at_ms); }
    const others = trace.events.filter(e => !(e.kind === "delivered" || (e.kind && e.kind.dropped)) && e.sent_ms >= t0 && e.sent_ms <= t1);
    if (trace.violation && trace.violation[0] > t1) t1 = trace.violation[0];
    const span = Math.max(t1 - t0, 1);
    const scale = Math.max(HEIGHT / span, 0.02);
    const y = t => TOP + (t - t0) * scale;
    const x = name => LEFT + Math.max(0, trace.nodes.indexOf(name)) * COL;
    const width = LEFT + trace.nodes.length * COL;
    const height = y(t1) + 40;
    const svg = el("svg", { width: width, height: height, viewBox: "0 0 " + width + " " + height, role: "img" });
    svg.append(el("title", {}, "Space-time diagram: nodes as columns, time downwards"));
    trace.nodes.forEach(name => {
      svg.append(el("line", { class: "lane", x1: x(name), y1: TOP - 10, x2: x(name), y2: height - 10 }));
      svg.append(el("text", { class: "node-name", x: x(name), y: TOP - 18, "text-anchor": "middle" }, name));
    });
    const step = Math.pow(10, Math.floor(Math.log10(span / 5 || 1)));
    for (let t = Math.ceil(t0 / step) * step; t <= t1; t += step) {
      svg.append(el("text", { class: "time", x: 4, y: y(t) + 3 }, t.toFixed(step < 1 ? 1 : 0) + " ms"));
    }
    for (const e of others) {
      if (e.kind === "timer") {
        const tick = el("line", { class: "timer", x1: x(e.from) - 6, y1: y(e.sent_ms), x2: x(e.from) + 6, y2: y(e.sent_ms) });
        tick.append(el("title", {}, e.from + " timer " + e.body + " at " + e.sent_ms.toFixed(1) + " ms"));
        tick.addEventListener("mouseover", () => show(e.from + " timer at " + e.sent_ms.toFixed(1) + " ms\n" + e.body));
        svg.append(tick);
      } else if (e.kind === "note") {
        const g = el("g", { class: "note" });
        g.append(el("line", { x1: LEFT - 20, y1: y(e.sent_ms), x2: width - 10, y2: y(e.sent_ms) }));
        g.append(el("text", { x: width - 14, y: y(e.sent_ms) - 3, "text-anchor": "end" }, e.label + " at " + e.sent_ms.toFixed(0) + " ms"));
        svg.append(g);
      }
    }
    for (const e of shown) {
      const x1 = x(e.from), x2 = x(e.to), y1 = y(e.sent_ms), y2 = y(e.at_ms);
      const text = e.from + " → " + e.to + ", sent " + e.sent_ms.toFixed(1) + " ms, " +
        (e.kind === "delivered" ? "arrived " + e.at_ms.toFixed(1) + " ms" : "dropped (" + e.kind.dropped.why + ")") + "\n" + e.body;
      let line;
      if (e.kind === "delivered") {
        const client = e.from === "clients" || e.to === "clients";
        line = el("line", { class: "msg" + (client ? " client" : ""), x1: x1, y1: y1, x2: x2, y2: y2, "marker-end": "url(#arrow)" });
        if (Math.abs(y2 - y1) > 14 && shown.length <= 400) {
          svg.append(el("text", { class: "msg-label", x: (x1 + x2) / 2 + 3, y: (y1 + y2) / 2 }, e.label));
        }
      } else {
        const mx = (x1 + x2) / 2, my = (y1 + y2) / 2;
        line = el("line", { class: "drop", x1: x1, y1: y1, x2: mx, y2: my });
        svg.append(el("path", { class: "cross", d: "M" + (mx - 4) + " " + (my - 4) + "l8 8m0 -8l-8 8" }));
      }
      line.append(el("title", {}, text));
      line.addEventListener("mouseover", () => show(text, false));
      line.addEventListener("click", () => show(text, true));
      svg.append(line);
    }
    if (trace.violation) {
      const g = el("g", { class: "violation" });
      g.append(el("line", { x1: LEFT - 30, y1: y(trace.violation[0]), x2: width - 10, y2: y(trace.violation[0]) }));
      g.append(el("text", { x: LEFT - 28, y: y(trace.violation[0]) - 4 }, "✗ " + trace.violation[1]));
      svg.append(g);
    }
    const defs = el("defs", {});
    const marker = el("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 6, markerHeight: 6, orient: "auto-start-reverse" });
    marker.append(el("path", { d: "M0 0L10 5L0 10z", fill: "#1f5fbf" }));
    defs.append(marker);
    svg.prepend(defs);
    box.append(svg);
  }

  summary();
  controls();
  draw();
})();
