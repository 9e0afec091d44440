"""Calls the history, watchlist and market-hours tools over stdio with the official MCP Python SDK
(mcp 2.3.0) on the demo tape and prints a JSON summary.

Usage: history_client.py TTAI_BINARY DATA_DIR
The SDK validates every successful tool result against the tool's output schema (jsonschema), so a
result that does not match its schema fails here.
"""

import asyncio
import base64
import json
import sys

from mcp import Client

from ttai_stdio import replay_server

TOOLS = ["get_transactions", "get_realized_pnl", "get_net_liq_history", "get_watchlists", "get_market_status"]

CALLS = [
    ("get_transactions", {}),
    ("get_transactions", {"start_date": "2025-11-01", "symbol": "AAPL", "types": ["Trade", "Receive Deliver"]}),
    ("get_realized_pnl", {}),
    ("get_realized_pnl", {"start_date": "2025-11-01", "symbol": "SPY"}),
    ("get_net_liq_history", {}),
    ("get_net_liq_history", {"time_back": "all", "max_points": 12}),
    ("get_watchlists", {}),
    ("get_watchlists", {"name": "Index ETFs"}),
    ("get_market_status", {}),
]


async def main() -> None:
    binary, data_dir = sys.argv[1], sys.argv[2]
    params = replay_server(binary, data_dir)
    summary = {"calls": []}
    async with Client(params) as client:
        tools = await client.list_tools()
        summary["listed"] = [t.name for t in tools.tools if t.name in TOOLS]
        for name, args in CALLS:
            result = await client.call_tool(name, args)
            content = result.structured_content or {}
            summary["calls"].append(
                {
                    "tool": name,
                    "args": args,
                    "is_error": result.is_error,
                    "text_is_json": json.loads(result.content[0].text) == content,
                }
            )
        # Follow the cursor through a year of transactions, five at a time.
        seen, args = [], {"start_date": "2025-11-01", "limit": 5}
        for _ in range(40):
            page = (await client.call_tool("get_transactions", args)).structured_content
            seen.extend(t["id"] for t in page["transactions"])
            if page["next_cursor"] is None:
                break
            args = {**args, "cursor": page["next_cursor"]}
        summary["pages_followed"] = len(seen) == len(set(seen)) == page["total"] and len(seen) > 5
        chart = await client.call_tool("get_net_liq_history", {"time_back": "6m", "include_chart": True})
        images = [c for c in chart.content if c.type == "image"]
        summary["image_png"] = bool(images) and base64.b64decode(images[0].data)[:8] == b"\x89PNG\r\n\x1a\n"
        bad = await client.call_tool("get_transactions", {"types": ["Trades"]})
        summary["bad"] = {"is_error": bad.is_error, "error": bad.structured_content["error"]}
        scan = await client.get_prompt("iv-rank-scan", {"watchlist": "Wheel candidates"})
        summary["scan_names_the_watchlist"] = 'get_watchlists with name "Wheel candidates"' in scan.messages[0].content.text
    print(json.dumps(summary))


asyncio.run(main())
