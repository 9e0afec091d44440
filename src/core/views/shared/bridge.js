// The view side of MCP Apps (spec 2026-01-26) over postMessage: ui/initialize, the host's
// notifications (tool input and result, context changes), tools/call through the host, size
// reports, theme from the host context. No library: the protocol is a few JSON-RPC messages.
const bridge = (() => {
  const PROTOCOL = "2026-01-26";
  let nextId = 1;
  const pending = new Map();
  const handlers = {};
  const themeListeners = [];
  let context = {};

  const post = (message) => window.parent.postMessage(message, "*");
  const request = (method, params) => {
    const id = nextId++;
    post({ jsonrpc: "2.0", id, method, params });
    return new Promise((resolve, reject) => pending.set(id, { resolve, reject }));
  };
  const notify = (method, params) => post({ jsonrpc: "2.0", method, params });

  window.addEventListener("message", (event) => {
    if (event.source !== window.parent) return;
    const m = event.data;
    if (!m || m.jsonrpc !== "2.0") return;
    if (m.method === undefined && m.id !== undefined) {
      const p = pending.get(m.id);
      if (!p) return;
      pending.delete(m.id);
      if (m.error) p.reject(new Error(m.error.message || "the host refused the request"));
      else p.resolve(m.result);
      return;
    }
    if (m.id !== undefined) {
      // Requests from the host: teardown and ping need nothing from a read-only view.
      if (m.method === "ui/resource-teardown" || m.method === "ping") post({ jsonrpc: "2.0", id: m.id, result: {} });
      else post({ jsonrpc: "2.0", id: m.id, error: { code: -32601, message: "Method not found: " + m.method } });
      return;
    }
    const handler = handlers[m.method];
    if (handler) handler(m.params || {});
  });

  function applyContext() {
    const root = document.documentElement;
    const dark = context.theme ? context.theme === "dark" : window.matchMedia("(prefers-color-scheme: dark)").matches;
    root.dataset.theme = dark ? "dark" : "light";
    root.style.colorScheme = dark ? "dark" : "light";
    const vars = (context.styles && context.styles.variables) || {};
    for (const [name, value] of Object.entries(vars)) if (value) root.style.setProperty(name, value);
    themeListeners.forEach((f) => f());
  }

  function reportSize() {
    let last = "";
    const send = () => {
      const r = document.documentElement.getBoundingClientRect();
      const size = { width: Math.ceil(r.width), height: Math.ceil(document.documentElement.scrollHeight) };
      const key = size.width + "x" + size.height;
      if (key !== last) { last = key; notify("ui/notifications/size-changed", size); }
    };
    let timer = 0;
    new ResizeObserver(() => { clearTimeout(timer); timer = setTimeout(send, 30); }).observe(document.body);
    send();
  }

  const textOf = (result) => ((result && result.content) || []).filter((c) => c.type === "text").map((c) => c.text).join("\n");

  return {
    // Connects to the host; `on.result(result)` receives the tool's result (the host's, then the
    // view's own calls), `on.input(args)` the arguments it was called with.
    async connect(name, on) {
      handlers["ui/notifications/tool-input"] = (p) => on.input && on.input(p.arguments || {});
      handlers["ui/notifications/tool-result"] = (p) => on.result(p);
      handlers["ui/notifications/tool-cancelled"] = (p) => on.cancelled && on.cancelled(p.reason);
      handlers["ui/notifications/host-context-changed"] = (p) => { Object.assign(context, p); applyContext(); };
      applyContext();
      const init = await request("ui/initialize", {
        appInfo: { name, version: "1.0.0" },
        appCapabilities: { availableDisplayModes: ["inline"] },
        protocolVersion: PROTOCOL,
      });
      context = (init && init.hostContext) || {};
      applyContext();
      notify("ui/notifications/initialized", {});
      reportSize();
      return init;
    },
    // Calls one of ttai's tools through the host; throws with the tool's message on an error.
    async callTool(name, args) {
      const result = await request("tools/call", { name, arguments: args });
      if (result && result.isError) {
        let message = textOf(result);
        try { message = JSON.parse(message).message || message; } catch (_) { /* plain text */ }
        throw new Error(message);
      }
      return result;
    },
    // The view-model ttai put in a result's _meta.
    model: (result) => (result && result._meta && result._meta["ttai/view"]) || null,
    textOf,
    onTheme: (f) => themeListeners.push(f),
    get context() { return context; },
  };
})();
