"""place_order over Streamable HTTP with the official MCP Python SDK (mcp 2.3.0): the server's
elicitation/create reaches the client on its stream and the person's answer comes back as a POST.
A person who accepts, then one who declines. Prints a JSON summary.

Usage: orders_http_client.py MCP_URL
"""

import asyncio
import json
import sys

import mcp.types as types
from mcp import Client

ORDER = {"symbol": "SPY", "legs": [{"type": "put", "strike": 530, "expiration": "2026-12-31",
                                    "action": "sell_to_open", "quantity": 1}]}


def person(action):
    async def answer(context, params):
        code = params.requested_schema["properties"]["order"]["oneOf"][0]["const"]
        if action == "accept":
            return types.ElicitResult(action="accept", content={"order": code, "confirm": True})
        return types.ElicitResult(action=action)
    return answer


async def main() -> None:
    url = sys.argv[1]
    summary = {}
    for action in ("accept", "decline"):
        async with Client(url, mode="legacy", elicitation_callback=person(action)) as client:
            result = await asyncio.wait_for(client.call_tool("place_order", ORDER), 60)
            content = result.structured_content or {}
            summary[action] = {"error": result.is_error, "placed": content.get("placed"),
                               "outcome": content.get("outcome"), "paper": content.get("paper")}
        async with Client(url, mode="legacy") as client:
            listed = (await client.call_tool("list_orders", {})).structured_content
            summary[action]["orders"] = len(listed["today"])
    print(json.dumps(summary))


asyncio.run(main())
