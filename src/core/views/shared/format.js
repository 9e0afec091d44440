// Number formatting shared by the views (en-US, fixed decimals: traders compare digits).
const fmt = {
  price: (v, d = 2) => (v === null || v === undefined || !isFinite(v) ? "–" : Number(v).toFixed(d)),
  money: (v) => {
    if (v === null || v === undefined || !isFinite(v)) return "–";
    const s = Math.abs(v).toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
    return (v < 0 ? "−$" : "$") + s;
  },
  signedMoney: (v) => (v === null || v === undefined || !isFinite(v) ? "–" : (v > 0 ? "+" : "") + fmt.money(v)),
  pct: (v, d = 1) => (v === null || v === undefined || !isFinite(v) ? "–" : (v * 100).toFixed(d) + "%"),
  num: (v, d = 0) => (v === null || v === undefined || !isFinite(v) ? "–" : Number(v).toLocaleString("en-US", { minimumFractionDigits: d, maximumFractionDigits: d })),
  signed: (v, d = 2) => (v === null || v === undefined || !isFinite(v) ? "–" : (v > 0 ? "+" : v < 0 ? "−" : "") + Math.abs(v).toFixed(d)),
};
// Element helper: el("div", {class: "x"}, child, "text").
function el(tag, attrs, ...children) {
  const node = document.createElementNS(tag === "svg" || el.svgTags.has(tag) ? "http://www.w3.org/2000/svg" : "http://www.w3.org/1999/xhtml", tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "text") node.textContent = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined) node.append(c.nodeType ? c : document.createTextNode(String(c)));
  return node;
}
el.svgTags = new Set(["g", "path", "line", "rect", "circle", "text", "title", "desc", "polyline", "polygon", "defs", "clipPath", "tspan"]);
// The banner every view shows for synthetic or replayed data, and the source line.
function sourceNote(model) {
  const parts = [];
  if (model.synthetic) parts.push(el("strong", { class: "synthetic", role: "note" }, "SYNTHETIC demo data — not market prices"));
  parts.push(el("span", { class: "muted" }, "source " + model.source));
  return el("p", { class: "source" }, ...parts);
}
function showError(container, message) {
  container.replaceChildren(el("p", { class: "error", role: "alert" }, message));
}
// About `count` round axis values from `lo` to `hi` (steps of 1, 2, 2.5 or 5 × 10^n).
function niceTicks(lo, hi, count) {
  const span = hi - lo || 1;
  const step0 = span / count;
  const mag = Math.pow(10, Math.floor(Math.log10(step0)));
  const step = [1, 2, 2.5, 5, 10].map((f) => f * mag).find((s) => s >= step0) || 10 * mag;
  const ticks = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9; v += step) ticks.push(Math.round(v * 1e6) / 1e6);
  return ticks;
}
// One labelled figure of a view's stats row; `id` is its data-testid.
function stat(key, value, id, cls) {
  return el("div", { class: "stat" }, el("span", { class: "k" }, key), el("span", { class: "v " + (cls || ""), "data-testid": id }, value));
}
