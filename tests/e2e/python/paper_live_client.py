"""Paper trading on the live broker (--paper) against the fake TastyTrade, with the official MCP
Python SDK (mcp 2.3.0) and a person who accepts: live quotes, orders filled locally. Prints a
JSON summary.

Usage: paper_live_client.py TTAI_BINARY DATA_DIR API_URL CLIENT_SECRET REFRESH_TOKEN OCC_SYMBOL
"""

import asyncio
import json
import sys

import mcp.types as types
from mcp import Client, StdioServerParameters

from ttai_stdio import with_clock


async def accept(context, params):
    code = params.requested_schema["properties"]["order"]["oneOf"][0]["const"]
    return types.ElicitResult(action="accept", content={"order": code, "confirm": True})


async def main() -> None:
    binary, data_dir, api_url, secret, refresh, occ = sys.argv[1:7]
    params = StdioServerParameters(
        command=binary,
        args=["--paper", "--allow-orders", "serve"],
        env=with_clock({"TTAI_DATA_DIR": data_dir, "TTAI_LOG_LEVEL": "warn", "TASTYTRADE_API_URL": api_url,
                        "TASTYTRADE_CLIENT_SECRET": secret, "TASTYTRADE_REFRESH_TOKEN": refresh}),
    )
    order = {"symbol": "SPY", "legs": [{"symbol": occ, "action": "sell_to_open", "quantity": 1}]}
    summary = {}
    async with Client(params, mode="legacy", elicitation_callback=accept) as client:
        quote = (await client.call_tool("get_quote", {"symbol": "SPY"})).structured_content
        summary["quote_source"] = quote["source"]
        placed = (await client.call_tool("place_order", order)).structured_content
        summary["placed"] = {k: placed.get(k) for k in ("placed", "paper", "source")}
        summary["placed"]["status"] = placed["broker_order"]["status"]
        summary["placed"]["id"] = placed["broker_order"]["id"]
        positions = (await client.call_tool("get_positions", {})).structured_content
        summary["positions"] = {p["symbol"]: p["quantity"] for p in positions["positions"]}
        summary["positions_source"] = positions["source"]
    print(json.dumps(summary))


asyncio.run(main())
