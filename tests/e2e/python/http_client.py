"""Drives ttai over Streamable HTTP and over HTTP+SSE with the official MCP Python SDK.

Usage: http_client.py BASE_URL   (e.g. http://127.0.0.1:5180). Prints a JSON summary.
"""

import asyncio
import json
import sys

from mcp import ClientSession
from mcp.client.sse import sse_client
from mcp.client.streamable_http import streamable_http_client


async def exercise(session: ClientSession) -> dict:
    tools = await session.list_tools()
    quote = await session.call_tool("get_quote", {"symbol": "SPY"})
    chain = await session.call_tool("get_option_chain", {"symbol": "QQQ", "strikes_around": 2})
    progress = []

    async def on_progress(done, total, message):
        progress.append((done, total, message))

    full = await session.call_tool("run_full_analysis", {"symbol": "IWM", "strategy": "spread"}, progress_callback=on_progress)
    return {
        "tools": len(tools.tools),
        "quote_symbol": quote.structured_content["quotes"][0]["symbol"],
        "chain_is_error": chain.is_error,
        "full_action": full.structured_content["recommendation"]["action"],
        "progress_events": len(progress),
    }


async def main() -> None:
    base = sys.argv[1]
    summary = {}
    async with streamable_http_client(f"{base}/mcp") as streams:
        read, write = streams[0], streams[1]
        async with ClientSession(read, write) as session:
            await session.initialize()
            summary["streamable_http"] = await exercise(session)
    async with sse_client(f"{base}/sse") as (read, write):
        async with ClientSession(read, write) as session:
            await session.initialize()
            summary["sse"] = await exercise(session)
    print(json.dumps(summary))


asyncio.run(main())
