// The chart view: candles, volume, SMA 20/50/200, Bollinger bands, support/resistance, signals;
// the timeframe buttons call analyze_chart again through the host.
const LW = LightweightCharts;
const app = document.getElementById("app");
let chart = null;
let current = null;
let busy = false;

const css = (name) => getComputedStyle(document.documentElement).getPropertyValue(name).trim();
const LINE_COLORS = { "SMA 20": "--sma20", "SMA 50": "--sma50", "SMA 200": "--sma200", "BB upper": "--band", "BB lower": "--band" };

function chartOptions(intraday) {
  return {
    autoSize: true,
    layout: { background: { type: "solid", color: css("--bg") }, textColor: css("--fg2"), fontFamily: css("--font"), attributionLogo: true },
    grid: { vertLines: { color: css("--line") + "55" }, horzLines: { color: css("--line") + "55" } },
    rightPriceScale: { borderColor: css("--line") },
    timeScale: { borderColor: css("--line"), timeVisible: intraday, secondsVisible: false },
    crosshair: { mode: LW.CrosshairMode.Normal },
  };
}

function describe(m) {
  const parts = [`${m.symbol} ${m.timeframe} candlestick chart of ${m.bars.length} bars ending ${m.last_bar.slice(0, 10)}, last close ${fmt.price(m.last_close)}.`];
  parts.push(`Trend: ${m.trend}.`);
  const s = m.sma;
  parts.push(`SMA 20 ${fmt.price(s.sma20)}, SMA 50 ${fmt.price(s.sma50)}, SMA 200 ${fmt.price(s.sma200)}.`);
  parts.push(`Bollinger bands ${fmt.price(m.bollinger.lower)} to ${fmt.price(m.bollinger.upper)}.`);
  parts.push(`Nearest support ${fmt.price(m.nearest_support)}, nearest resistance ${fmt.price(m.nearest_resistance)}.`);
  return parts.join(" ");
}

function render(m) {
  current = m;
  if (chart) { chart.remove(); chart = null; }
  const intraday = m.timeframe === "intraday";
  const buttons = ["daily", "weekly", "intraday"].map((tf) =>
    el("button", { type: "button", "aria-pressed": String(tf === m.timeframe), "data-tf": tf, onclick: () => switchTo(tf) }, tf[0].toUpperCase() + tf.slice(1)));
  const legend = el("div", { class: "legend", "aria-hidden": "true" },
    ...m.lines.filter((l) => LINE_COLORS[l.label]).map((l) => el("span", {}, el("span", { class: "swatch", style: `background:${css(LINE_COLORS[l.label])}` }), l.label)),
    el("span", {}, el("span", { class: "swatch", style: `background:${css("--up")}` }), "support"),
    el("span", {}, el("span", { class: "swatch", style: `background:${css("--down")}` }), "resistance"));
  const box = el("div", { id: "chart", role: "img", "aria-label": describe(m) });
  const trendClass = m.trend === "uptrend" ? "up" : m.trend === "downtrend" ? "down" : "";
  app.replaceChildren(
    el("div", { class: "head" },
      el("h1", {}, `${m.symbol} · ${m.timeframe}`),
      el("span", { class: "num", "data-testid": "last-close" }, fmt.price(m.last_close)),
      el("span", { class: trendClass, "data-testid": "trend" }, m.trend),
      el("div", { class: "tf", role: "group", "aria-label": "timeframe" }, ...buttons)),
    el("div", { class: "stats" },
      stat("SMA 20", fmt.price(m.sma.sma20), "sma20"),
      stat("SMA 50", fmt.price(m.sma.sma50), "sma50"),
      stat("SMA 200", fmt.price(m.sma.sma200), "sma200"),
      stat("BB lower", fmt.price(m.bollinger.lower), "bb-lower"),
      stat("BB upper", fmt.price(m.bollinger.upper), "bb-upper"),
      stat("Support", fmt.price(m.nearest_support), "support", "up"),
      stat("Resistance", fmt.price(m.nearest_resistance), "resistance", "down"),
      stat("RSI 14", fmt.price(m.rsi14, 1), "rsi")),
    el("figure", {}, el("div", { id: "ohlc", "aria-hidden": "true" }), box,
      el("figcaption", {}, legend, el("p", { "data-testid": "summary" }, m.summary))),
    el("h2", {}, "Signals"),
    el("ul", { class: "signals", "data-testid": "signals" },
      ...m.signals.map((s) => el("li", {}, el("strong", { class: s.direction === "bullish" ? "up" : s.direction === "bearish" ? "down" : "" }, s.name.replace(/_/g, " ")), " — ", s.detail))),
    sourceNote(m),
    el("p", { class: "source muted" }, "Chart: TradingView Lightweight Charts™ (Apache-2.0), www.tradingview.com"));
  draw(box, m, intraday);
}

function draw(box, m, intraday) {
  chart = LW.createChart(box, chartOptions(intraday));
  const time = (i) => m.bars[i][0];
  const candles = chart.addSeries(LW.CandlestickSeries, {
    upColor: css("--up"), downColor: css("--down"), wickUpColor: css("--up"), wickDownColor: css("--down"), borderVisible: false,
  });
  candles.setData(m.bars.map((b) => ({ time: b[0], open: b[1], high: b[2], low: b[3], close: b[4] })));
  const volume = chart.addSeries(LW.HistogramSeries, { priceFormat: { type: "volume" }, priceScaleId: "volume", lastValueVisible: false, priceLineVisible: false });
  volume.priceScale().applyOptions({ scaleMargins: { top: 0.82, bottom: 0 } });
  volume.setData(m.bars.map((b) => ({ time: b[0], value: b[5], color: (b[4] >= b[1] ? css("--up") : css("--down")) + "66" })));
  for (const line of m.lines) {
    const color = LINE_COLORS[line.label];
    if (!color) continue; // the middle band is the SMA 20
    const band = line.label.startsWith("BB");
    const series = chart.addSeries(LW.LineSeries, {
      color: css(color), lineWidth: band ? 1 : 2, lineStyle: band ? LW.LineStyle.Dashed : LW.LineStyle.Solid,
      priceLineVisible: false, lastValueVisible: false, crosshairMarkerVisible: false, title: "",
    });
    series.setData(line.values.map((v, i) => (v === null ? { time: time(i) } : { time: time(i), value: v })));
  }
  for (const level of m.levels) {
    const support = level.kind === "support";
    candles.createPriceLine({ price: level.price, color: css(support ? "--up" : "--down"), lineWidth: 1, lineStyle: LW.LineStyle.LargeDashed, axisLabelVisible: true, title: support ? "S" : "R" });
  }
  if (m.markers.length) {
    LW.createSeriesMarkers(candles, m.markers.filter((k) => m.bars[k.index]).map((k) => ({
      time: time(k.index), position: k.direction === "bullish" ? "belowBar" : "aboveBar",
      color: css(k.direction === "bullish" ? "--up" : "--down"), shape: k.direction === "bullish" ? "arrowUp" : "arrowDown", text: "MACD",
    })));
  }
  const ohlc = document.getElementById("ohlc");
  const showBar = (i) => {
    const b = m.bars[i];
    if (!b) return;
    ohlc.textContent = `${new Date(b[0] * 1000).toISOString().slice(0, intraday ? 16 : 10).replace("T", " ")}  O ${fmt.price(b[1])}  H ${fmt.price(b[2])}  L ${fmt.price(b[3])}  C ${fmt.price(b[4])}  V ${fmt.num(b[5])}`;
  };
  showBar(m.bars.length - 1);
  chart.subscribeCrosshairMove((p) => {
    if (!p || p.time === undefined) return showBar(m.bars.length - 1);
    const i = m.bars.findIndex((b) => b[0] === p.time);
    if (i >= 0) showBar(i);
  });
  // The recent bars fill the frame (where the levels matter); scroll or zoom out for the rest.
  const n = m.bars.length;
  if (n > 140) chart.timeScale().setVisibleLogicalRange({ from: n - 130, to: n + 2 });
  else chart.timeScale().fitContent();
}

async function switchTo(timeframe) {
  if (!current || busy || timeframe === current.timeframe) return;
  busy = true;
  app.classList.add("busy");
  document.querySelectorAll("[data-tf]").forEach((b) => (b.disabled = true));
  try {
    const result = await bridge.callTool("analyze_chart", { symbol: current.symbol, timeframe });
    const m = bridge.model(result);
    if (!m) throw new Error("the host passed no chart data");
    render(m);
  } catch (e) {
    const note = el("p", { class: "error", role: "alert" }, `${timeframe}: ${e.message}`);
    app.append(note);
    document.querySelectorAll("[data-tf]").forEach((b) => (b.disabled = false));
  } finally {
    busy = false;
    app.classList.remove("busy");
  }
}

bridge.onTheme(() => { if (current) render(current); });
bridge.connect("ttai-chart", {
  result: (r) => {
    const m = bridge.model(r);
    if (m && m.view === "chart") render(m);
    else showError(app, bridge.textOf(r) || "No chart data in this result.");
  },
});
