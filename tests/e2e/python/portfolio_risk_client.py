"""Calls get_portfolio_risk over stdio with the official MCP Python SDK (mcp 2.3.0) on the demo
tape and prints a JSON summary.

Usage: portfolio_risk_client.py TTAI_BINARY DATA_DIR
The SDK validates every successful tool result against the tool's output schema (jsonschema), so a
result that does not match its schema fails here.
"""

import asyncio
import base64
import json
import sys

from mcp import Client

from ttai_stdio import replay_server

CALLS = [
    {},
    {"symbol": "AAPL", "group_grids": True},
    {"moves": [-20, -10, 0, 10], "iv_shifts": [0, 15], "days": [0, 14, 30], "move_basis": "symbol"},
    {"include_chart": True},
]


async def main() -> None:
    binary, data_dir = sys.argv[1], sys.argv[2]
    params = replay_server(binary, data_dir)
    summary = {"calls": []}
    async with Client(params) as client:
        tools = await client.list_tools()
        summary["listed"] = any(t.name == "get_portfolio_risk" for t in tools.tools)
        for args in CALLS:
            result = await client.call_tool("get_portfolio_risk", args)
            content = result.structured_content or {}
            images = [c for c in result.content if c.type == "image"]
            summary["calls"].append(
                {
                    "args": args,
                    "is_error": result.is_error,
                    "text_is_json": json.loads(result.content[0].text) == content,
                    "strategies": [g["strategy"] for g in content.get("groups", [])],
                    "worst": (content.get("scenarios") or {}).get("worst"),
                    "signals": [s["rule"] for s in content.get("signals", [])],
                    "image_png": bool(images) and base64.b64decode(images[0].data)[:8] == b"\x89PNG\r\n\x1a\n",
                }
            )
        bad = await client.call_tool("get_portfolio_risk", {"moves": [99]})
        summary["bad"] = {"is_error": bad.is_error, "error": bad.structured_content["error"]}
        risk = await client.read_resource("portfolio://risk")
        summary["resource_groups"] = len(json.loads(risk.contents[0].text)["groups"])
        briefing = await client.get_prompt("morning-briefing", {})
        review = await client.get_prompt("position-review", {"symbol": "AAPL"})
        summary["prompts_use_the_tool"] = all(
            "get_portfolio_risk" in p.messages[0].content.text for p in (briefing, review)
        )
    print(json.dumps(summary))


asyncio.run(main())
