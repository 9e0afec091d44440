// The payoff view: P&L at expiration and on the chosen day over the underlying's price, from
// analyze_payoff; the sliders ask analyze_payoff again (days forward, IV shift) through the host.
const app = document.getElementById("app");
let model = null;
let pending = 0;
const W = 780, H = 330, M = { l: 64, r: 16, t: 16, b: 34 };

const legText = (l) => l.kind === "stock"
  ? `${l.quantity > 0 ? "+" : "−"}${Math.abs(l.quantity)} sh`
  : `${l.quantity > 0 ? "+" : "−"}${Math.abs(l.quantity)} ${l.strike}${l.kind === "call" ? "C" : "P"} ${l.expiration.slice(5)}`;

function describe(m) {
  const be = m.breakevens.length ? `breakeven${m.breakevens.length > 1 ? "s" : ""} ${m.breakevens.map((b) => fmt.price(b)).join(" and ")}` : "no breakeven";
  const maxP = m.max_profit_unbounded ? "unlimited profit" : `maximum profit ${fmt.money(m.max_profit)}`;
  const maxL = m.max_loss_unbounded ? "unlimited loss" : `maximum loss ${fmt.money(m.max_loss)}`;
  return `Payoff of ${m.legs.map(legText).join(", ")} on ${m.symbol} at ${fmt.price(m.underlying_price)}: at expiration ${m.expiration}, ${be}, ${maxP}, ${maxL}, probability of profit ${fmt.pct(m.pop)}. ` +
    `Dashed: P&L on ${m.today_date} (${m.days_forward} days forward, IV shift ${fmt.signed(m.iv_shift, 0)} points): ${fmt.signedMoney(m.pnl_today_at_spot)} at the current price.`;
}

function chart(m) {
  const pts = m.curve;
  const xs = pts.map((p) => p[0]);
  const ys = pts.flatMap((p) => [p[1], p[2]]).concat([0]);
  const x0 = Math.min(...xs), x1 = Math.max(...xs);
  let y0 = Math.min(...ys), y1 = Math.max(...ys);
  const pad = (y1 - y0) * 0.08 || 1;
  y0 -= pad; y1 += pad;
  const X = (v) => M.l + ((v - x0) / (x1 - x0)) * (W - M.l - M.r);
  const Y = (v) => M.t + ((y1 - v) / (y1 - y0)) * (H - M.t - M.b);
  const path = (k) => pts.map((p, i) => `${i ? "L" : "M"}${X(p[0]).toFixed(1)},${Y(p[k]).toFixed(1)}`).join("");
  const area = `${path(1)}L${X(x1).toFixed(1)},${Y(0).toFixed(1)}L${X(x0).toFixed(1)},${Y(0).toFixed(1)}Z`;
  const plotW = W - M.l - M.r, plotH = H - M.t - M.b;
  const spot = m.underlying_price;
  const em = m.expected_move;
  const g = [];
  g.push(el("defs", {},
    el("clipPath", { id: "above" }, el("rect", { x: M.l, y: M.t, width: plotW, height: Math.max(Y(0) - M.t, 0) })),
    el("clipPath", { id: "below" }, el("rect", { x: M.l, y: Y(0), width: plotW, height: Math.max(M.t + plotH - Y(0), 0) }))));
  if (em) {
    const a = Math.max(spot - em, x0), b = Math.min(spot + em, x1);
    g.push(el("rect", { class: "em", x: X(a), y: M.t, width: Math.max(X(b) - X(a), 0), height: plotH }));
    g.push(el("text", { class: "label", x: X(a) + 3, y: M.t + 10 }, "±1σ"));
  }
  const yt = niceTicks(y0, y1, 6);
  const xt = niceTicks(x0, x1, 8);
  g.push(el("g", { class: "grid" }, ...yt.map((v) => el("line", { x1: M.l, x2: W - M.r, y1: Y(v), y2: Y(v), opacity: 0.5 }))));
  g.push(el("path", { class: "profit", d: area, "clip-path": "url(#above)" }));
  g.push(el("path", { class: "loss", d: area, "clip-path": "url(#below)" }));
  g.push(el("line", { class: "zero", x1: M.l, x2: W - M.r, y1: Y(0), y2: Y(0) }));
  g.push(el("g", { class: "axis" },
    ...yt.map((v) => el("text", { x: M.l - 6, y: Y(v) + 4, "text-anchor": "end" }, fmt.money(v).replace(".00", ""))),
    ...xt.map((v) => el("text", { x: X(v), y: H - M.b + 16, "text-anchor": "middle" }, fmt.num(v, v % 1 ? 1 : 0))),
    el("text", { x: W - M.r, y: H - 4, "text-anchor": "end" }, `${m.symbol} at expiration ${m.expiration}`)));
  for (const b of m.breakevens.filter((b) => b >= x0 && b <= x1)) {
    g.push(el("line", { class: "be", x1: X(b), x2: X(b), y1: M.t, y2: M.t + plotH }));
    g.push(el("text", { class: "label strong", x: X(b) + 3, y: Y(0) - 5 }, `BE ${fmt.price(b)}`));
  }
  g.push(el("line", { class: "spot", x1: X(spot), x2: X(spot), y1: M.t, y2: M.t + plotH }));
  g.push(el("text", { class: "label", x: X(spot) + 3, y: M.t + plotH - 4, fill: "var(--accent)" }, `spot ${fmt.price(spot)}`));
  g.push(el("path", { class: "exp", d: path(1) }));
  g.push(el("path", { class: "today", d: path(2) }));
  const hover = el("g", { class: "hover", visibility: "hidden" });
  const vline = el("line", { y1: M.t, y2: M.t + plotH });
  const box = el("rect", { class: "tip", width: 172, height: 50, rx: 4 });
  const t1 = el("text", { class: "label strong" }), t2 = el("text", { class: "label" }), t3 = el("text", { class: "label" });
  hover.append(vline, box, t1, t2, t3);
  g.push(hover);
  const svg = el("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-labelledby": "payoff-title payoff-desc", "data-testid": "payoff-chart" },
    el("title", { id: "payoff-title" }, `${m.symbol} payoff`), el("desc", { id: "payoff-desc" }, describe(m)), ...g);
  svg.addEventListener("mousemove", (ev) => {
    const r = svg.getBoundingClientRect();
    const x = ((ev.clientX - r.left) / r.width) * W;
    if (x < M.l || x > W - M.r) return hover.setAttribute("visibility", "hidden");
    const price = x0 + ((x - M.l) / plotW) * (x1 - x0);
    const p = pts.reduce((best, q) => (Math.abs(q[0] - price) < Math.abs(best[0] - price) ? q : best), pts[0]);
    const px = X(p[0]);
    vline.setAttribute("x1", px); vline.setAttribute("x2", px);
    const bx = px + 180 > W ? px - 180 : px + 8;
    box.setAttribute("x", bx); box.setAttribute("y", M.t + 4);
    [[t1, `${m.symbol} ${fmt.price(p[0])}`], [t2, `expiration ${fmt.signedMoney(p[1])}`], [t3, `${m.today_date} ${fmt.signedMoney(p[2])}`]].forEach(([t, s], i) => {
      t.setAttribute("x", bx + 8); t.setAttribute("y", M.t + 19 + i * 14); t.textContent = s;
    });
    hover.setAttribute("visibility", "visible");
  });
  svg.addEventListener("mouseleave", () => hover.setAttribute("visibility", "hidden"));
  return svg;
}

async function recompute() {
  const days = Number(document.getElementById("days").value);
  const iv = Number(document.getElementById("iv").value);
  const ticket = ++pending;
  app.classList.add("busy");
  try {
    const result = await bridge.callTool("analyze_payoff", { ...model.request, days_forward: days, iv_shift: iv });
    if (ticket !== pending) return;
    const m = bridge.model(result);
    if (!m) throw new Error("the host passed no payoff data");
    render(m);
  } catch (e) {
    if (ticket === pending) app.append(el("p", { class: "error", role: "alert" }, e.message));
  } finally {
    if (ticket === pending) app.classList.remove("busy");
  }
}

let timer = 0;
const later = () => { clearTimeout(timer); timer = setTimeout(recompute, 200); };

function render(m) {
  model = m;
  const maxDays = Math.max(m.dte, 0);
  const days = el("input", { id: "days", type: "range", min: 0, max: maxDays, step: 1, value: Math.min(m.days_forward, maxDays), "aria-describedby": "days-out",
    oninput: (e) => { document.getElementById("days-out").textContent = `${e.target.value} d`; later(); } });
  const iv = el("input", { id: "iv", type: "range", min: -20, max: 20, step: 1, value: m.iv_shift, "aria-describedby": "iv-out",
    oninput: (e) => { document.getElementById("iv-out").textContent = `${fmt.signed(Number(e.target.value), 0)} pts`; later(); } });
  const credit = m.net_premium >= 0;
  app.replaceChildren(
    el("div", { class: "head" },
      el("h1", {}, `${m.symbol} payoff`),
      el("span", { class: "num" }, m.legs.map(legText).join("  ")),
      el("span", { class: "muted" }, `${m.symbol} ${fmt.price(m.underlying_price)} · expires ${m.expiration} (${m.dte}d)`)),
    el("div", { class: "stats" },
      stat(credit ? "Net credit" : "Net debit", fmt.money(Math.abs(m.net_premium)), "net-premium"),
      stat("Max profit", m.max_profit_unbounded ? "unlimited" : fmt.money(m.max_profit), "max-profit", "up"),
      stat("Max loss", m.max_loss_unbounded ? "unlimited" : fmt.money(m.max_loss), "max-loss", "down"),
      stat("Breakeven", m.breakevens.length ? m.breakevens.map((b) => fmt.price(b)).join(" / ") : "none", "breakevens"),
      stat("POP", fmt.pct(m.pop), "pop"),
      stat("Expected move", m.expected_move ? "±" + fmt.price(m.expected_move) : "–", "expected-move"),
      stat(`P&L ${m.today_date}`, fmt.signedMoney(m.pnl_today_at_spot), "pnl-today", m.pnl_today_at_spot >= 0 ? "up" : "down")),
    el("figure", {}, chart(m),
      el("figcaption", { class: "legend" },
        el("span", {}, el("span", { class: "swatch", style: "background:var(--fg)" }), `at expiration ${m.expiration}`),
        el("span", {}, el("span", { class: "swatch", style: "background:var(--accent)" }), `on ${m.today_date} (T+${m.days_forward}, IV ${fmt.signed(m.iv_shift, 0)} pts)`),
        el("span", {}, el("span", { class: "swatch", style: "background:var(--warn);opacity:.4" }), "±1σ expected move"))),
    el("div", { class: "controls" },
      el("label", { for: "days" }, "Days forward"), days, el("output", { id: "days-out", "data-testid": "days" }, `${days.value} d`),
      el("label", { for: "iv" }, "IV shift"), iv, el("output", { id: "iv-out", "data-testid": "iv" }, `${fmt.signed(m.iv_shift, 0)} pts`)),
    el("div", { class: "tables" },
      el("table", { "data-testid": "legs" },
        el("caption", { class: "sr-only" }, "Legs"),
        el("thead", {}, el("tr", {}, ...["Leg", "Entry", "Mark", "IV"].map((h, i) => el("th", { scope: "col", class: i ? "n" : "" }, h)))),
        el("tbody", {}, ...m.legs.map((l) => el("tr", {}, el("td", {}, legText(l)), el("td", { class: "n" }, fmt.price(l.entry_price)),
          el("td", { class: "n" }, fmt.price(l.mark)), el("td", { class: "n" }, fmt.pct(l.iv)))))),
      el("table", { "data-testid": "scenarios" },
        el("caption", { class: "sr-only" }, "P&L at standard moves"),
        el("thead", {}, el("tr", {}, ...["Move", "Price", "At expiration", m.today_date].map((h, i) => el("th", { scope: "col", class: i ? "n" : "" }, h)))),
        el("tbody", {}, ...m.scenarios.map((s) => el("tr", {}, el("td", {}, s.label), el("td", { class: "n" }, fmt.price(s.price)),
          el("td", { class: "n " + (s.pnl_at_expiration >= 0 ? "up" : "down") }, fmt.signedMoney(s.pnl_at_expiration)),
          el("td", { class: "n " + (s.pnl_today >= 0 ? "up" : "down") }, fmt.signedMoney(s.pnl_today))))))),
    ...m.warnings.map((w) => el("p", { class: "synthetic", role: "note" }, w)),
    el("p", { class: "muted", style: "font-size:11px" }, "P&L for the whole position in dollars. POP: risk-neutral, at the short leg's implied volatility. Values before expiration: Black-Scholes-Merton, a European approximation of American options."),
    sourceNote(m));
}

bridge.onTheme(() => { if (model) render(model); });
bridge.connect("ttai-payoff", {
  result: (r) => {
    const m = bridge.model(r);
    if (m && m.view === "payoff") render(m);
    else showError(app, bridge.textOf(r) || "No payoff data in this result.");
  },
});
