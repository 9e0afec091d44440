// The chain ladder: strikes around the money per expiration (calls left, puts right), the
// expected move marked, analyze_options candidates highlighted; another listed expiration is
// fetched with get_option_chain through the host.
const app = document.getElementById("app");
let model = null;
let selected = null; // expiration date shown
let focus = null; // candidate rank selected

const shortDate = (d) => new Date(d + "T12:00:00Z").toLocaleDateString("en-US", { month: "short", day: "numeric", timeZone: "UTC" });
const legLabel = (c) => c.legs.map((l) => `${l.action === "sell" ? "−" : "+"}${l.strike}${l.type === "call" ? "C" : "P"}`).join(" / ");

function expirationOf(date) {
  return model.expirations.find((e) => e.date === date);
}

function ladder(e) {
  const spot = model.underlying_price;
  const em = e.expected_move;
  const marks = new Map(); // strike -> [kind, text]
  for (const c of model.candidates.filter((c) => c.expiration === e.date)) {
    for (const l of c.legs) {
      const key = `${l.strike}|${l.type}`;
      if (!marks.has(key) || l.action === "sell") marks.set(key, { rank: c.rank, short: l.action === "sell", focused: c.rank === focus });
    }
  }
  // A dashed line where each expected-move bound falls between two strikes: under the row
  // at or below the bound.
  const rowBelow = (price) => {
    const i = e.rows.findIndex((r, j) => r.strike <= price && (!e.rows[j + 1] || e.rows[j + 1].strike > price));
    return i >= 0 ? e.rows[i].strike : null;
  };
  const low = em && spot ? rowBelow(spot - em) : null;
  const high = em && spot ? rowBelow(spot + em) : null;
  const sideCells = (contract, kind, strike) => {
    const mark = marks.get(`${strike}|${kind}`);
    const cls = kind + (!mark ? "" : !mark.focused ? " cand-other" : mark.short ? " cand" : " cand-long");
    const cells = contract
      ? [fmt.price(contract.bid), fmt.price(contract.ask), fmt.pct(contract.iv), fmt.price(contract.delta, 2), fmt.num(contract.oi)]
      : ["–", "–", "–", "–", "–"];
    if (kind === "call") cells.reverse();
    return cells.map((v) => el("td", { class: "n " + cls }, v));
  };
  const rows = e.rows.map((r, i) => {
    const next = e.rows[i + 1];
    const spotBelow = spot && r.strike <= spot && (!next || next.strike > spot);
    const classes = [spot && r.strike < spot ? "itm-call" : "", spot && r.strike > spot ? "itm-put" : "", spotBelow ? "spot" : "",
      r.strike === low ? "em-low" : "", r.strike === high ? "em-high" : ""].filter(Boolean).join(" ");
    const tags = [];
    const callMark = marks.get(`${r.strike}|call`);
    const putMark = marks.get(`${r.strike}|put`);
    const mark = [putMark, callMark].filter(Boolean).sort((a, b) => b.focused - a.focused)[0];
    if (mark) tags.push(el("span", { class: "tag rank" + (mark.focused ? "" : " dim"), title: `candidate #${mark.rank}` }, `#${mark.rank}`));
    if (r.strike === low) tags.push(el("span", { class: "tag em", title: `expected move, low side: ${fmt.price(spot - em)}` }, "−1σ ↓"));
    if (r.strike === high) tags.push(el("span", { class: "tag em", title: `expected move, high side: ${fmt.price(spot + em)}` }, "+1σ ↓"));
    return el("tr", { class: classes, "data-strike": r.strike },
      ...sideCells(r.call, "call", r.strike),
      el("td", { class: "strike" }, fmt.price(r.strike), ...tags),
      ...sideCells(r.put, "put", r.strike));
  });
  const head = ["OI", "Δ", "IV", "Ask", "Bid"];
  return el("table", { class: "ladder", "data-testid": "ladder" },
    el("caption", { class: "sr-only" }, `${model.symbol} options expiring ${e.date}: calls on the left, puts on the right, strikes in the middle; underlying ${fmt.price(spot)}.`),
    el("thead", {},
      el("tr", {}, el("th", { class: "side", colspan: 5, scope: "colgroup" }, "Calls"), el("th", { class: "strike" }, ""), el("th", { class: "side", colspan: 5, scope: "colgroup" }, "Puts")),
      el("tr", {}, ...head.map((h) => el("th", { class: "n", scope: "col" }, h)), el("th", { class: "strike", scope: "col" }, "Strike"),
        ...[...head].reverse().map((h) => el("th", { class: "n", scope: "col" }, h)))),
    el("tbody", {}, ...rows));
}

function candidatesTable() {
  if (!model.candidates.length) return null;
  const rows = model.candidates.map((c) =>
    el("tr", { "data-rank": c.rank, "aria-selected": String(c.rank === focus), tabindex: "0",
      onclick: () => choose(c), onkeydown: (ev) => { if (ev.key === "Enter" || ev.key === " ") choose(c); } },
      el("td", {}, `#${c.rank}`), el("td", {}, c.kind.replace(/_/g, " ")), el("td", { class: "n" }, legLabel(c)),
      el("td", {}, `${shortDate(c.expiration)} (${c.dte}d)`), el("td", { class: "n" }, fmt.price(c.credit)),
      el("td", { class: "n", "data-testid": `pop-${c.rank}` }, fmt.pct(c.pop)), el("td", { class: "n" }, fmt.price(c.breakeven)),
      el("td", { class: "n up" }, fmt.money(c.max_profit)), el("td", { class: "n down" }, fmt.money(c.max_loss)),
      el("td", { class: "n" }, fmt.price(c.annualized_return_percent, 1) + "%")));
  return el("table", { class: "cands", "data-testid": "candidates" },
    el("caption", { class: "sr-only" }, "Candidates, best first"),
    el("thead", {}, el("tr", {}, ...["Rank", "Trade", "Legs", "Expiration", "Credit", "POP", "Breakeven", "Max profit", "Max loss", "Annualized"]
      .map((h, i) => el("th", { scope: "col", class: i > 3 ? "n" : "" }, h)))),
    el("tbody", {}, ...rows));
}

function choose(c) {
  focus = c.rank;
  selected = c.expiration;
  render();
}

async function fetchExpiration(date) {
  if (expirationOf(date)) { selected = date; return render(); }
  app.classList.add("busy");
  try {
    const result = await bridge.callTool("get_option_chain", { symbol: model.symbol, expiration: date, strikes_around: model.strikes_each_side });
    const fetched = bridge.model(result);
    const e = fetched && fetched.expirations[0];
    if (!e) throw new Error(`no ${date} expiration in the answer`);
    model.expirations.push(e);
    model.expirations.sort((a, b) => a.dte - b.dte);
    selected = date;
    render();
  } catch (err) {
    app.append(el("p", { class: "error", role: "alert" }, `${date}: ${err.message}`));
  } finally {
    app.classList.remove("busy");
  }
}

function render() {
  const e = expirationOf(selected) || model.expirations[0];
  if (!e) return showError(app, `No expirations of ${model.symbol} in this view.`);
  selected = e.date;
  const tabs = model.expirations.map((x) =>
    el("button", { type: "button", "aria-pressed": String(x.date === e.date), "data-exp": x.date, onclick: () => { selected = x.date; render(); } },
      `${shortDate(x.date)} · ${x.dte}d`));
  const others = (model.available || []).filter(([d]) => !expirationOf(d));
  const more = others.length
    ? el("select", { "aria-label": "another expiration", "data-testid": "more", onchange: (ev) => ev.target.value && fetchExpiration(ev.target.value) },
      el("option", { value: "" }, "Other expiration…"), ...others.map(([d, dte]) => el("option", { value: d }, `${d} · ${dte}d`)))
    : null;
  const spot = model.underlying_price;
  const em = e.expected_move;
  const emText = em
    ? `Expected move to ${shortDate(e.date)}: ±${fmt.price(em)} (ATM IV ${fmt.pct(e.atm_iv)}) → ${fmt.price(spot - em)} – ${fmt.price(spot + em)}`
    : "Expected move: no at-the-money implied volatility";
  app.replaceChildren(
    el("div", { class: "head" },
      el("h1", {}, `${model.symbol} options`),
      el("span", { class: "num", "data-testid": "underlying" }, fmt.price(spot)),
      model.strategy ? el("span", { class: "muted" }, `${model.strategy.replace(/_/g, " ")} candidates: ${model.candidates.length}`) : null,
      el("span", { class: "muted" }, "quotes " + model.as_of.replace("T", " ").replace("Z", " UTC"))),
    el("div", { class: "tabs", role: "group", "aria-label": "expiration" }, ...tabs, more),
    el("p", { class: "spotline", "data-testid": "expected-move" }, emText),
    candidatesTable(),
    el("figure", {}, ladder(e),
      el("figcaption", {}, "Shaded: in the money. Solid line: the underlying price. Dashed lines: the expected move (one standard deviation at the at-the-money IV), between the strikes it falls between. Highlighted: the chosen candidate's legs (solid = sold, dashed = bought); other candidates tinted — pick one in the table.")),
    sourceNote(model));
}

bridge.connect("ttai-chain", {
  result: (r) => {
    const m = bridge.model(r);
    if (!m || m.view !== "chain") return showError(app, bridge.textOf(r) || "No chain data in this result.");
    model = m;
    const top = m.candidates[0];
    focus = top ? top.rank : null;
    selected = top ? top.expiration : m.expirations[0] && m.expirations[0].date;
    render();
  },
});
