"""Drives ttai with the official MCP Python SDK (mcp 2.3.0) in a chosen connect mode and prints a
JSON summary: how the client connected, then discover, list, call, read, errors, progress, and
(MCP 2026-07-28 only) a subscriptions/listen stream that hears a price alert fire when the replay
clock moves.

Usage: era_client.py MODE stdio TTAI_BINARY DATA_DIR
       era_client.py MODE http URL
MODE is the SDK's Client(mode=...): "auto", "2026-07-28" or "legacy".
"""

import asyncio
import json
import sys

import anyio
from mcp import Client, StdioServerParameters
from mcp.shared.exceptions import MCPError
from mcp.client.subscriptions import ListenNotSupportedError, ResourceUpdated

from ttai_stdio import with_clock

ALERTS = "alerts://active"


async def main() -> None:
    mode, kind, *rest = sys.argv[1:]
    if kind == "stdio":
        binary, data_dir = rest
        target = StdioServerParameters(
            command=binary,
            args=["--broker", "replay", "--replay-at", "2026-03-02T21:00:00Z", "serve"],
            env=with_clock({"TTAI_DATA_DIR": data_dir, "TTAI_LOG_LEVEL": "warn", "TTAI_ALERT_INTERVAL": "200ms"}),
        )
    else:
        target = rest[0]
    logs = []

    async def on_log(params) -> None:
        logs.append({"level": params.level, "logger": params.logger, "data": params.data})

    summary = {"mode": mode, "transport": kind}
    async with Client(target, mode=mode, read_timeout_seconds=60, log_level="warning", logging_callback=on_log) as c:
        s = c.session
        summary["protocol_version"] = c.protocol_version
        summary["via_discover"] = s.discover_result is not None
        summary["via_initialize"] = s.initialize_result is not None
        summary["server"] = c.server_info.name if c.server_info else None
        if s.discover_result is not None:
            summary["supported_versions"] = list(s.discover_result.supported_versions)
        else:
            # The handshake era opts in to log messages with logging/setLevel.
            await c.set_logging_level("warning")

        tools = await c.list_tools()
        summary["tools"] = len(tools.tools)
        summary["tools_ttl_ms"] = tools.ttl_ms
        summary["tools_cache_scope"] = tools.cache_scope
        quote = await c.call_tool("get_quote", {"symbol": "SPY"})
        summary["quote_symbol"] = quote.structured_content["quotes"][0]["symbol"]
        summary["quote_is_error"] = quote.is_error

        bad = await c.call_tool("get_quote", {"symbol": 42})
        summary["bad_call"] = {"is_error": bad.is_error, "code": bad.structured_content["error"]["code"]}
        await anyio.sleep(0.2)
        summary["failure_logged"] = any(l["logger"] == "get_quote" and l["level"] == "error" for l in logs)

        alerts = await c.read_resource(ALERTS)
        summary["alerts_read"] = json.loads(alerts.contents[0].text)["count"]
        try:
            await c.read_resource("nope://nothing")
            summary["unknown_resource"] = None
        except MCPError as e:
            summary["unknown_resource"] = {"code": e.error.code, "uri": (e.error.data or {}).get("uri")}
        try:
            await c.call_tool("no_such_tool", {})
            summary["unknown_tool"] = None
        except MCPError as e:
            summary["unknown_tool"] = e.error.code

        progress = []

        async def on_progress(done, total, message) -> None:
            progress.append(done)

        full = await c.call_tool(
            "run_full_analysis", {"symbol": "IWM", "strategy": "spread"}, progress_callback=on_progress
        )
        summary["full_action"] = full.structured_content["recommendation"]["action"]
        summary["progress_events"] = len(progress)

        summary["listen"] = await listen_for_an_alert(c, logs)
    print(json.dumps(summary))


async def listen_for_an_alert(c: Client, logs: list) -> dict:
    """Opens a listen stream on alerts://active, sets an alert above today's SPY price, and moves
    the replay clock a day at a time until the stream hears it fire."""
    try:
        async with c.listen(resource_subscriptions=[ALERTS]) as sub:
            heard = {"honored": list(sub.honored.resource_subscriptions or []), "updates": 0}
            events = []

            async def collect() -> None:
                async for event in sub:
                    events.append(event)

            async with anyio.create_task_group() as tg:
                tg.start_soon(collect)
                price = (await c.call_tool("get_quote", {"symbol": "SPY"})).structured_content["quotes"][0]["last"]
                threshold = round(price * 1.01, 2)
                await c.call_tool(
                    "set_price_alert",
                    {"symbol": "SPY", "condition": "above", "threshold": threshold, "note": "listen-e2e"},
                )
                fired = None
                for _ in range(90):
                    await c.call_tool("replay_clock", {"advance_days": 1})
                    with anyio.move_on_after(2):
                        while fired is None:
                            fired = next((l for l in logs if l["logger"] == "ttai.alerts"), None)
                            await anyio.sleep(0.05)
                    if fired is not None:
                        break
                await anyio.sleep(0.3)
                tg.cancel_scope.cancel()
            heard["updates"] = sum(1 for e in events if isinstance(e, ResourceUpdated) and str(e.uri) == ALERTS)
            heard["fired"] = fired is not None
            if fired is not None:
                heard["fired_level"] = fired["level"]
                heard["fired_note"] = "listen-e2e" in json.dumps(fired["data"])
                heard["fired_threshold"] = fired["data"]["alert"]["threshold"] == threshold
        # After the stream ended, the alert is no longer active.
        after = await c.read_resource(ALERTS)
        heard["active_after"] = json.loads(after.contents[0].text)["count"]
        return heard
    except ListenNotSupportedError:
        return {"not_supported": True}


asyncio.run(main())
