// The host side of the browser tests: the real ttai binary over stdio (replay broker, demo
// tape), Debian's chromium through playwright-core, and the ext-apps package's AppBridge as the
// host. The view runs in a sandboxed iframe (allow-scripts only) served with the MCP Apps
// default CSP; the host page relays its postMessage traffic to the AppBridge in Node.

import { spawn } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

import { AppBridge } from "@modelcontextprotocol/ext-apps/app-bridge";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
export const repo = resolve(here, "../..");
export const artifacts = process.env.TTAI_VIEW_ARTIFACTS || join(repo, "target", "view-screenshots");

export const UI_MIME = "text/html;profile=mcp-app";
// The spec's default CSP for a view that declares no domains, as a sandbox proxy applies it.
export const DEFAULT_CSP =
  "default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; " +
  "img-src 'self' data:; media-src 'self' data:; connect-src 'none'; frame-src 'none'; " +
  "object-src 'none'; base-uri 'self'";

/** ttai over stdio: newline-delimited JSON-RPC, as an MCP client speaks it. */
export async function startTtai({ capabilities } = {}) {
  const bin = process.env.TTAI_BIN || join(repo, "target", "debug", "ttai");
  const dataDir = mkdtempSync(join(tmpdir(), "ttai-views-"));
  const child = spawn(bin, ["--broker", "replay", "--data-dir", dataDir], {
    stdio: ["pipe", "pipe", "pipe"],
    env: { ...process.env, TTAI_LOG_LEVEL: "warn" },
  });
  const stderr = [];
  child.stderr.on("data", (d) => stderr.push(d.toString()));
  const waiting = new Map();
  let nextId = 1;
  createInterface({ input: child.stdout }).on("line", (line) => {
    const message = JSON.parse(line);
    const entry = waiting.get(message.id);
    if (entry) {
      waiting.delete(message.id);
      entry(message);
    }
  });
  const exchange = (method, params) =>
    new Promise((resolveAnswer, reject) => {
      const id = nextId++;
      const timer = setTimeout(() => reject(new Error(`ttai did not answer ${method} in 60 s: ${stderr.join("")}`)), 60_000);
      waiting.set(id, (m) => {
        clearTimeout(timer);
        resolveAnswer(m);
      });
      child.stdin.write(JSON.stringify({ jsonrpc: "2.0", id, method, params }) + "\n");
    });
  const request = async (method, params) => {
    const answer = await exchange(method, params);
    if (answer.error) throw new Error(`${method}: ${answer.error.message}`);
    return answer.result;
  };
  const init = await request("initialize", {
    protocolVersion: "2025-11-25",
    capabilities: capabilities ?? { extensions: { "io.modelcontextprotocol/ui": { mimeTypes: [UI_MIME] } } },
    clientInfo: { name: "ttai-view-tests", version: "1.0.0" },
  });
  child.stdin.write(JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }) + "\n");
  return {
    init,
    request,
    exchange,
    call: (name, args) => request("tools/call", { name, arguments: args }),
    async close() {
      child.stdin.end();
      await new Promise((r) => child.once("exit", r));
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export async function launchBrowser() {
  const userDataDir = mkdtempSync(join(tmpdir(), "ttai-chromium-"));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    viewport: { width: 900, height: 900 },
    deviceScaleFactor: 1,
    args: [
      "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ],
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

const HOST_PAGE = `<!doctype html><html><head><meta charset="utf-8"><title>host</title>
<style>body{margin:0;padding:16px;background:#e9ebee;font:13px system-ui}iframe{display:block;width:820px;height:300px;border:1px solid #c4c8cf;border-radius:8px;background:transparent}</style>
</head><body><iframe id="view" sandbox="allow-scripts" title="ttai view" src="http://view.test/view.html"></iframe>
<script>
const frame = document.getElementById("view");
window.addEventListener("message", (e) => { if (e.source === frame.contentWindow) window.__toHost(e.data); });
window.__toView = (m) => frame.contentWindow.postMessage(m, "*");
window.__resize = (h) => { frame.style.height = Math.min(Math.max(h, 120), 4000) + "px"; };
</script></body></html>`;

/** A transport from the Node-side AppBridge to the view in the page. */
class PageTransport {
  constructor(page) {
    this.page = page;
  }
  async start() {}
  async send(message) {
    await this.page.evaluate((m) => window.__toView(m), message);
  }
  async close() {
    this.onclose?.();
  }
  deliver(message) {
    this.onmessage?.(message);
  }
}

/**
 * Opens `html` as a view in a fresh page, with the AppBridge as its host. Tool calls from the
 * view go to `ttai`. Returns the page, the view's frame and what happened.
 */
export async function openView(browser, { html, theme = "light", ttai, styles, initialize = true }) {
  const page = await browser.context.newPage();
  const seen = { errors: [], offsite: [], calls: [], sizes: [], logs: [] };
  page.on("console", (m) => {
    if (m.type() === "error") seen.errors.push(m.text());
  });
  page.on("pageerror", (e) => seen.errors.push("uncaught: " + e.message));
  await page.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (e) =>
      console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI}`));
  });
  await page.route("**/*", async (route) => {
    const url = route.request().url();
    if (url === "http://host.test/") {
      return route.fulfill({ status: 200, contentType: "text/html", body: HOST_PAGE });
    }
    if (url === "http://view.test/view.html") {
      return route.fulfill({
        status: 200,
        headers: { "content-type": "text/html; charset=utf-8", "content-security-policy": DEFAULT_CSP },
        body: html,
      });
    }
    seen.offsite.push(url);
    return route.abort("blockedbyclient");
  });
  const transport = new PageTransport(page);
  await page.exposeFunction("__toHost", (m) => transport.deliver(m));
  const hostContext = {
    theme,
    displayMode: "inline",
    availableDisplayModes: ["inline"],
    containerDimensions: { width: 820, maxHeight: 4000 },
    platform: "web",
    locale: "en-US",
    ...(styles ? { styles } : {}),
  };
  const bridge = new AppBridge(
    null,
    { name: "ttai-view-tests", version: "1.0.0" },
    { serverTools: {}, logging: {} },
    { hostContext },
  );
  const initialized = new Promise((r) => (bridge.oninitialized = r));
  bridge.onsizechange = ({ height }) => {
    seen.sizes.push(height);
    if (height) page.evaluate((h) => window.__resize(h), height).catch(() => {});
  };
  bridge.oncalltool = async (params) => {
    seen.calls.push(params);
    return ttai.call(params.name, params.arguments ?? {});
  };
  bridge.onloggingmessage = (p) => seen.logs.push(p);
  await bridge.connect(transport);
  await page.goto("http://host.test/");
  if (initialize) await initialized;
  const frame = page.frames().find((f) => f.url() === "http://view.test/view.html");
  return { page, frame, bridge, seen };
}

/** Sends the tool's input and result to the view, as a host does after the call. */
export async function deliver(view, args, result) {
  await view.bridge.sendToolInput({ arguments: args });
  await view.bridge.sendToolResult(result);
}

/** A screenshot of the view's frame, saved under the artifacts folder. */
export async function screenshot(view, name) {
  mkdirSync(artifacts, { recursive: true });
  const path = join(artifacts, name + ".png");
  await view.page.waitForTimeout(150);
  await view.page.locator("#view").screenshot({ path });
  return path;
}

export async function text(frame, testid) {
  return (await frame.locator(`[data-testid="${testid}"]`).first().textContent()).trim();
}

export function num(textValue) {
  const cleaned = textValue.replace(/[−–]/g, "-").replace(/[$,%+\s]/g, "");
  return Number(cleaned);
}
