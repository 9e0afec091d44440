// The backtest view: the equity curve (P&L to date, open positions marked) with every trade's
// entry and exit, the totals and the trades; strategy and take-profit run run_backtest again.
const app = document.getElementById("app");
let model = null;
let args = {};
const W = 780, H = 300, M = { l: 64, r: 16, t: 14, b: 30 };
const DAY = 86400;
const EXIT = { expired_worthless: "expired worthless", take_profit: "take profit", assigned: "assigned", called_away: "called away", settled_in_the_money: "settled ITM", open: "open" };

const secondsOf = (date) => Date.parse(date + "T00:00:00Z") / 1000;

// The equity at a date: the last point at or before it.
function equityAt(points, t) {
  let value = 0;
  for (const [at, pnl] of points) { if (at <= t + DAY / 2) value = pnl; else break; }
  return value;
}

function chart(m) {
  const pts = m.equity;
  if (pts.length < 2) return el("p", { class: "muted" }, "Too few snapshots for an equity curve.");
  const t0 = pts[0][0], t1 = pts[pts.length - 1][0];
  let y0 = Math.min(0, ...pts.map((p) => p[1])), y1 = Math.max(0, ...pts.map((p) => p[1]));
  const pad = (y1 - y0) * 0.1 || 1;
  y0 -= pad; y1 += pad;
  const X = (t) => M.l + ((t - t0) / (t1 - t0 || 1)) * (W - M.l - M.r);
  const Y = (v) => M.t + ((y1 - v) / (y1 - y0)) * (H - M.t - M.b);
  const g = [];
  const yt = niceTicks(y0, y1, 6);
  g.push(el("g", { class: "grid" }, ...yt.map((v) => el("line", { x1: M.l, x2: W - M.r, y1: Y(v), y2: Y(v) }))));
  // Drawdown from the running peak, shaded.
  let peak = -Infinity;
  const under = pts.map(([t, v]) => { peak = Math.max(peak, v); return [t, v, peak]; });
  const dd = under.map(([t, , p], i) => `${i ? "L" : "M"}${X(t).toFixed(1)},${Y(p).toFixed(1)}`).join("") +
    [...under].reverse().map(([t, v]) => `L${X(t).toFixed(1)},${Y(v).toFixed(1)}`).join("") + "Z";
  g.push(el("path", { class: "dd", d: dd }));
  g.push(el("line", { class: "zero", x1: M.l, x2: W - M.r, y1: Y(0), y2: Y(0) }));
  const months = [];
  for (let d = new Date(t0 * 1000); d.getTime() / 1000 <= t1; d.setUTCMonth(d.getUTCMonth() + 1, 1)) {
    const t = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1) / 1000;
    if (t >= t0) months.push(t);
  }
  const step = Math.ceil(months.length / 8) || 1;
  g.push(el("g", { class: "axis" },
    ...yt.map((v) => el("text", { x: M.l - 6, y: Y(v) + 4, "text-anchor": "end" }, fmt.money(v).replace(".00", ""))),
    ...months.filter((_, i) => i % step === 0).map((t) => el("text", { x: X(t), y: H - M.b + 16, "text-anchor": "middle" },
      new Date(t * 1000).toLocaleDateString("en-US", { month: "short", year: "2-digit", timeZone: "UTC" })))));
  g.push(el("path", { class: "curve", d: pts.map(([t, v], i) => `${i ? "L" : "M"}${X(t).toFixed(1)},${Y(v).toFixed(1)}`).join("") }));
  for (const tr of m.trades) {
    const to = secondsOf(tr.opened);
    g.push(el("path", { class: "open", d: `M${X(to)},${Y(equityAt(pts, to)) + 9}l-5,8h10z`, "data-trade": tr.number },
      el("title", {}, `#${tr.number} opened ${tr.opened}: ${tr.legs} for ${fmt.price(tr.credit)} credit`)));
    if (tr.closed) {
      const tc = secondsOf(tr.closed);
      const cls = tr.exit === "open" ? "still" : tr.pnl >= 0 ? "win" : "lossm";
      g.push(el("circle", { class: cls, cx: X(Math.min(tc, t1)), cy: Y(equityAt(pts, tc)), r: 4.5, "data-trade": tr.number },
        el("title", {}, `#${tr.number} ${EXIT[tr.exit] || tr.exit} ${tr.closed}: ${fmt.signedMoney(tr.pnl)}`)));
    }
  }
  const s = m.summary;
  return el("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-labelledby": "bt-title bt-desc", "data-testid": "equity-chart" },
    el("title", { id: "bt-title" }, `${m.strategy} on ${m.symbol}: equity curve`),
    el("desc", { id: "bt-desc" }, `P&L to date from ${s.first_entry} to ${s.last_date}: ${fmt.signedMoney(s.total_pnl)} over ${s.trades} trades, ` +
      `win rate ${fmt.price(s.win_rate_percent, 1)}%, maximum drawdown ${fmt.money(s.max_drawdown)}. Triangles mark entries; dots mark exits (green won, red lost).`),
    ...g);
}

async function rerun() {
  const strategy = document.getElementById("strategy").value;
  const tp = document.getElementById("tp").value;
  const next = { ...args, symbol: model.symbol, strategy };
  delete next.take_profit_percent;
  if (tp) next.take_profit_percent = Number(tp);
  app.classList.add("busy");
  document.querySelectorAll("select").forEach((s) => (s.disabled = true));
  try {
    const result = await bridge.callTool("run_backtest", next);
    const m = bridge.model(result);
    if (!m) throw new Error("the host passed no backtest data");
    args = next;
    render(m);
  } catch (e) {
    document.querySelectorAll("select").forEach((s) => (s.disabled = false));
    app.append(el("p", { class: "error", role: "alert" }, e.message));
  } finally {
    app.classList.remove("busy");
  }
}

function render(m) {
  model = m;
  const s = m.summary;
  const tp = m.settings.take_profit;
  const strategy = el("select", { id: "strategy", "aria-label": "strategy", onchange: rerun },
    ...["csp", "covered_call", "spread", "wheel"].map((k) => el("option", { value: k, selected: k === m.strategy }, k.replace("_", " "))));
  const takeProfit = el("select", { id: "tp", "aria-label": "take profit", onchange: rerun },
    el("option", { value: "", selected: !tp }, "hold to expiration"),
    ...[25, 50, 75].map((p) => el("option", { value: p, selected: tp && Math.round(tp * 100) === p }, `take profit at ${p}%`)));
  const rows = m.trades.map((t) => el("tr", { "data-trade": t.number },
    el("td", {}, `#${t.number}`), el("td", {}, t.opened), el("td", {}, t.expiration), el("td", {}, t.kind.replace(/_/g, " ")),
    el("td", { class: "n" }, t.legs), el("td", { class: "n" }, fmt.price(t.credit)), el("td", { class: "n" }, fmt.price(t.underlying_at_open)),
    el("td", { class: "n" }, fmt.price(t.underlying_at_close)), el("td", {}, EXIT[t.exit] || t.exit),
    el("td", { class: "n " + (t.pnl >= 0 ? "up" : "down") }, fmt.signedMoney(t.pnl))));
  app.replaceChildren(
    el("div", { class: "head" },
      el("h1", {}, `Backtest · ${m.strategy.replace("_", " ")} on ${m.symbol}`),
      el("span", { class: "muted" }, `${s.first_entry || "–"} → ${s.last_date} · DTE ${m.settings.dte_min}–${m.settings.dte_max} · Δ ${m.settings.delta_min}–${m.settings.delta_max} · fill ${m.settings.fill}`)),
    el("div", { class: "controls" }, strategy, takeProfit),
    el("div", { class: "stats" },
      stat("Total P&L", fmt.signedMoney(s.total_pnl), "total-pnl", s.total_pnl >= 0 ? "up" : "down"),
      stat("Trades", `${s.trades}`, "trades"),
      stat("Win rate", fmt.price(s.win_rate_percent, 1) + "%", "win-rate"),
      stat("Return", fmt.price(s.total_return_percent) + "%", "return"),
      stat("Annualized", fmt.price(s.annualized_return_percent) + "%", "annualized"),
      stat("Max drawdown", fmt.money(s.max_drawdown), "max-drawdown", "down"),
      stat("Capital", fmt.money(s.capital), "capital")),
    el("figure", {}, chart(m),
      el("figcaption", { class: "legend" },
        el("span", {}, el("span", { class: "swatch", style: "background:var(--accent)" }), "P&L to date (open positions at the mid)"),
        el("span", {}, "▲ entry"), el("span", { class: "up" }, "● won"), el("span", { class: "down" }, "● lost"),
        el("span", {}, el("span", { class: "swatch", style: "background:var(--down);opacity:.3" }), "drawdown"))),
    el("h2", {}, "Trades"),
    el("table", { class: "trades", "data-testid": "trades" },
      el("caption", { class: "sr-only" }, "Every trade of the backtest"),
      el("thead", {}, el("tr", {}, ...["#", "Opened", "Expires", "Trade", "Legs", "Credit", "Open", "Close", "Exit", "P&L"]
        .map((h, i) => el("th", { scope: "col", class: [4, 5, 6, 7, 9].includes(i) ? "n" : "" }, h)))),
      el("tbody", {}, ...rows)),
    el("p", { class: "muted", style: "font-size:11px" }, "One contract at a time, chosen by the options analysis at each chain snapshot of the tape; settled at intrinsic value against the expiration close. Past results on a tape say nothing certain about the future."),
    sourceNote(m));
}

bridge.onTheme(() => { if (model) render(model); });
bridge.connect("ttai-backtest", {
  input: (a) => { args = { ...a }; },
  result: (r) => {
    const m = bridge.model(r);
    if (m && m.view === "backtest") render(m);
    else showError(app, bridge.textOf(r) || "No backtest data in this result.");
  },
});
