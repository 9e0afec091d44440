// Each MCP Apps view in a real browser (Debian chromium), hosted by the ext-apps AppBridge and
// fed by the real ttai binary over stdio on the demo tape: it renders, shows the numbers ttai
// computed (read back from the DOM), calls a tool back through the host, and logs no error and
// no CSP violation. Screenshots go to target/view-screenshots/.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";

import { deliver, launchBrowser, num, openView, repo, screenshot, startTtai, text } from "./harness.mjs";

let ttai;
let browser;
const html = {};

before(async () => {
  ttai = await startTtai();
  browser = await launchBrowser();
  for (const view of ["chart", "chain", "payoff", "backtest"]) {
    const read = await ttai.request("resources/read", { uri: `ui://ttai/${view}.html` });
    assert.equal(read.contents[0].mimeType, "text/html;profile=mcp-app");
    html[view] = read.contents[0].text;
  }
});

after(async () => {
  await browser?.close();
  await ttai?.close();
});

const cents = (v) => Math.round(v * 100) / 100;

/** Renders `view` for `tool(args)`, checks it is clean, screenshots it light and dark. */
async function show(view, tool, args) {
  const result = await ttai.call(tool, args);
  assert.equal(result.isError, false, JSON.stringify(result.content));
  assert.ok(result._meta?.["ttai/view"], `${tool} carries a view-model`);
  // View payloads stay bounded: they travel in every answer to a host that renders views.
  const metaBytes = JSON.stringify(result._meta).length;
  assert.ok(metaBytes < 32_000, `${tool}: view-model of ${metaBytes} bytes`);
  console.log(`${tool}: view-model ${metaBytes} bytes, whole result ${JSON.stringify(result).length} bytes`);
  const opened = await openView(browser, { html: html[view], ttai });
  await deliver(opened, args, result);
  return { ...opened, result, data: result.structuredContent };
}

async function finish(v, name) {
  await screenshot(v, `${name}-light`);
  await v.bridge.sendHostContextChange({ theme: "dark" });
  await v.frame.waitForFunction(() => document.documentElement.dataset.theme === "dark");
  await screenshot(v, `${name}-dark`);
  assert.deepEqual(v.seen.errors, [], "no console error or CSP violation");
  assert.deepEqual(v.seen.offsite, [], "no request leaves the view");
  assert.ok(v.seen.sizes.some((h) => h > 300), "the view reported its height");
  await v.page.close();
}

async function waitForCall(v, count) {
  const deadline = Date.now() + 30_000;
  while (v.seen.calls.length < count) {
    if (Date.now() > deadline) throw new Error("the view made no tool call");
    await new Promise((r) => setTimeout(r, 50));
  }
  return v.seen.calls[count - 1];
}

describe("MCP Apps views", () => {
  test("the vendored chart library is the pinned npm package, byte for byte", () => {
    const vendored = readFileSync(join(repo, "src/core/views/vendor/lightweight-charts/lightweight-charts.standalone.production.js"));
    const pinned = readFileSync(join(import.meta.dirname, "node_modules/lightweight-charts/dist/lightweight-charts.standalone.production.js"));
    assert.ok(vendored.equals(pinned));
    const version = JSON.parse(readFileSync(join(import.meta.dirname, "node_modules/lightweight-charts/package.json"))).version;
    assert.ok(vendored.toString().includes(`Lightweight Charts™ v${version}`));
    assert.ok(html.chart.includes(`Lightweight Charts™ v${version}`), "the embedded chart view carries the library and its licence header");
  });

  test("chart: candles, averages, levels and signals; the timeframe switch calls analyze_chart", async () => {
    const v = await show("chart", "analyze_chart", { symbol: "SPY" });
    const d = v.data;
    await v.frame.waitForSelector("#chart canvas");
    assert.equal(num(await text(v.frame, "last-close")), cents(d.last_close));
    assert.equal(num(await text(v.frame, "sma20")), cents(d.trend.sma20.value));
    assert.equal(num(await text(v.frame, "sma50")), cents(d.trend.sma50.value));
    assert.equal(num(await text(v.frame, "sma200")), cents(d.trend.sma200.value));
    assert.equal(num(await text(v.frame, "support")), cents(d.levels.nearest_support));
    assert.equal(num(await text(v.frame, "resistance")), cents(d.levels.nearest_resistance));
    assert.equal(num(await text(v.frame, "bb-upper")), cents(d.volatility.bollinger.upper));
    assert.equal(await text(v.frame, "trend"), d.trend.direction);
    assert.equal(await v.frame.locator('[data-testid="signals"] li').count(), d.signals.length);
    const label = await v.frame.locator("#chart").getAttribute("aria-label");
    assert.match(label, /candlestick chart/);
    assert.ok(label.includes(d.last_close.toFixed(2)));

    await v.frame.click('[data-tf="weekly"]');
    const call = await waitForCall(v, 1);
    assert.deepEqual(call, { name: "analyze_chart", arguments: { symbol: "SPY", timeframe: "weekly" } });
    await v.frame.waitForSelector('[data-tf="weekly"][aria-pressed="true"]');
    const weekly = (await ttai.call("analyze_chart", { symbol: "SPY", timeframe: "weekly" })).structuredContent;
    assert.equal(num(await text(v.frame, "sma20")), cents(weekly.trend.sma20.value));
    assert.equal(num(await text(v.frame, "support")), cents(weekly.levels.nearest_support));
    await v.frame.click('[data-tf="daily"]');
    await v.frame.waitForSelector('[data-tf="daily"][aria-pressed="true"]');
    // A timeframe the tape lacks: ttai's error is shown and the chart stays.
    await v.frame.click('[data-tf="intraday"]');
    const refusal = await v.frame.waitForSelector('p.error[role="alert"]');
    assert.match(await refusal.textContent(), /^intraday: .*no intraday candles/);
    assert.equal(v.seen.calls.length, 3);
    assert.equal(await v.frame.locator('[data-tf="daily"][aria-pressed="true"]').count(), 1);
    await v.frame.evaluate(() => document.querySelector('p.error[role="alert"]').remove());
    await finish(v, "chart");
  });

  test("chain: analyze_options candidates on the ladder, expected move, another expiration through get_option_chain", async () => {
    const v = await show("chain", "analyze_options", { symbol: "SPY", strategy: "csp" });
    const d = v.data;
    const top = d.candidates[0];
    await v.frame.waitForSelector('[data-testid="ladder"]');
    assert.equal(num(await text(v.frame, "underlying")), cents(d.underlying_price));
    assert.equal(num(await text(v.frame, "pop-1")), Math.round(top.pop * 1000) / 10);
    assert.equal(await v.frame.locator('[data-testid="candidates"] tbody tr').count(), d.candidates.length);
    // The top candidate's short put is highlighted on its expiration's ladder, with its market.
    const row = v.frame.locator(`tr[data-strike="${top.short_strike}"]`);
    const highlighted = row.locator("td.cand");
    assert.equal(await highlighted.count(), 5);
    const leg = top.legs[0];
    assert.equal(num((await highlighted.nth(0).textContent()).trim()), leg.bid);
    assert.equal(num((await highlighted.nth(1).textContent()).trim()), leg.ask);
    assert.match(await text(v.frame, "expected-move"), /Expected move to .*: ±\d+\.\d\d/);
    assert.equal(await v.frame.locator(`[data-exp="${top.expiration}"][aria-pressed="true"]`).count(), 1);

    const other = await v.frame.locator('[data-testid="more"] option').nth(1).getAttribute("value");
    await v.frame.selectOption('[data-testid="more"]', other);
    const call = await waitForCall(v, 1);
    assert.deepEqual(call, { name: "get_option_chain", arguments: { symbol: "SPY", expiration: other, strikes_around: 12 } });
    await v.frame.waitForSelector(`[data-exp="${other}"][aria-pressed="true"]`);
    const chain = (await ttai.call("get_option_chain", { symbol: "SPY", expiration: other, strikes_around: 12 })).structuredContent;
    const strikes = chain.expirations[0].strikes;
    const atm = strikes.reduce((b, s) => (Math.abs(s.strike - chain.underlying_price) < Math.abs(b.strike - chain.underlying_price) ? s : b));
    const cells = v.frame.locator(`tr[data-strike="${atm.strike}"] td`);
    // Calls: OI, Δ, IV, Ask, Bid | strike | puts: Bid, Ask, IV, Δ, OI.
    assert.equal(num((await cells.nth(4).textContent()).trim()), atm.call.bid);
    assert.equal(num((await cells.nth(6).textContent()).trim()), atm.put.bid);
    assert.equal(num((await cells.nth(7).textContent()).trim()), atm.put.ask);
    assert.equal(num((await cells.nth(9).textContent()).trim()), cents(atm.put.delta));
    await v.frame.click(`[data-exp="${top.expiration}"]`);
    await finish(v, "chain");
  });

  test("payoff: an analyze_options candidate's payoff; the days slider calls analyze_payoff", async () => {
    const options = await ttai.call("analyze_options", { symbol: "SPY", strategy: "csp" });
    const candidate = options._meta["ttai/view"].candidates[0];
    const top = options.structuredContent.candidates[0];
    const v = await show("payoff", "analyze_payoff", { symbol: "SPY", legs: candidate.payoff_legs });
    const d = v.data;
    await v.frame.waitForSelector('[data-testid="payoff-chart"] path.exp');
    assert.equal(num(await text(v.frame, "breakevens")), top.breakeven);
    assert.equal(num(await text(v.frame, "max-profit")), top.max_profit);
    assert.equal(num(await text(v.frame, "max-loss")), top.max_loss);
    assert.equal(num(await text(v.frame, "pop")), Math.round(top.pop * 1000) / 10);
    assert.equal(num(await text(v.frame, "net-premium")), d.net_premium);
    assert.match(await v.frame.locator("#payoff-desc").textContent(), /breakeven .*probability of profit/);

    const days = Math.min(10, d.dte);
    await v.frame.locator("#days").evaluate((input, n) => {
      input.value = String(n);
      input.dispatchEvent(new Event("input", { bubbles: true }));
    }, days);
    const call = await waitForCall(v, 1);
    assert.equal(call.name, "analyze_payoff");
    assert.equal(call.arguments.days_forward, days);
    assert.deepEqual(call.arguments.legs, d.legs.map((l) => ({ type: l.kind, strike: l.strike, expiration: l.expiration, quantity: l.quantity, price: l.entry_price })));
    await v.frame.waitForFunction((n) => document.querySelector('[data-testid="days"]').textContent === `${n} d` && !document.getElementById("app").classList.contains("busy"), days);
    const later = (await ttai.call("analyze_payoff", call.arguments)).structuredContent;
    await v.frame.waitForFunction((t) => document.querySelector('[data-testid="pnl-today"]').textContent.replace(/[^0-9.]/g, "") === t, Math.abs(later.pnl_today_at_spot).toFixed(2));
    assert.ok(later.pnl_today_at_spot > d.pnl_today_at_spot, "time decay earns the short put something");
    await finish(v, "payoff");
  });

  test("backtest: the equity curve and trades; a take-profit rerun calls run_backtest", async () => {
    const v = await show("backtest", "run_backtest", { symbol: "SPY", strategy: "csp" });
    const s = v.data.summary;
    await v.frame.waitForSelector('[data-testid="equity-chart"] path.curve');
    assert.equal(num(await text(v.frame, "total-pnl")), s.total_pnl);
    assert.equal(num(await text(v.frame, "trades")), s.trades);
    assert.equal(num(await text(v.frame, "win-rate")), s.win_rate_percent);
    assert.equal(num(await text(v.frame, "max-drawdown")), s.max_drawdown);
    assert.equal(await v.frame.locator('[data-testid="trades"] tbody tr').count(), v.data.trades.length);
    assert.equal(await v.frame.locator('[data-testid="equity-chart"] path.open').count(), v.data.trades.length);

    await v.frame.selectOption("#tp", "50");
    const call = await waitForCall(v, 1);
    assert.deepEqual(call, { name: "run_backtest", arguments: { symbol: "SPY", strategy: "csp", take_profit_percent: 50 } });
    const rerun = (await ttai.call("run_backtest", call.arguments)).structuredContent;
    await v.frame.waitForFunction((n) => document.querySelectorAll('[data-testid="trades"] tbody tr').length === n, rerun.trades.length);
    assert.equal(num(await text(v.frame, "total-pnl")), rerun.summary.total_pnl);
    assert.notEqual(rerun.summary.total_pnl, s.total_pnl);
    await finish(v, "backtest");
  });

  test("the harness catches a view that reaches the network (the CSP check can fail)", async () => {
    const bad = `<!doctype html><html><body><img src="http://example.com/x.png"><script>fetch("http://example.com/").catch(() => {});</script></body></html>`;
    const v = await openView(browser, { html: bad, ttai, initialize: false });
    await v.page.waitForTimeout(500);
    assert.ok(v.seen.errors.some((e) => /Content Security Policy|CSP violation/.test(e)), JSON.stringify(v.seen.errors));
    await v.page.close();
  });
});
