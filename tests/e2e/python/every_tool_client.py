"""Calls every tool ttai lists, with the default arguments of tests/e2e/default_arguments.json, through
the official MCP Python SDK (mcp 2.3.0) over stdio, and prints a JSON summary.

Usage: every_tool_client.py TTAI_BINARY DATA_DIR
The SDK validates each result against the tool's output schema; this client checks that the text
content and structuredContent say the same thing (the text is the same JSON), and follows
get_option_chain's next_cursor through a long answer.
"""

import asyncio
import json
import sys
from pathlib import Path

from mcp import Client

from ttai_stdio import replay_server

ARGUMENTS = json.loads((Path(__file__).parent.parent / "default_arguments.json").read_text())


def consistent(result) -> bool:
    texts = [c.text for c in result.content if c.type == "text"]
    return len(texts) == 1 and json.loads(texts[0]) == result.structured_content


async def main() -> None:
    binary, data_dir = sys.argv[1], sys.argv[2]
    params = replay_server(binary, data_dir)
    summary = {"calls": [], "pages": []}
    async with Client(params) as client:
        tools = await client.list_tools()
        for tool in tools.tools:
            if tool.name in ARGUMENTS["_not_called"]:
                continue
            for args in ARGUMENTS.get(tool.name, [{}]):
                result = await client.call_tool(tool.name, args)
                summary["calls"].append(
                    {
                        "tool": tool.name,
                        "is_error": result.is_error,
                        "consistent": consistent(result),
                        "text_bytes": sum(len(c.text.encode()) for c in result.content if c.type == "text"),
                    }
                )
        # Every expiration of the next 60 days pages: follow the cursor to the end.
        args = {"symbol": "SPY", "dte_max": 60}
        while True:
            page = await client.call_tool("get_option_chain", args)
            chain = page.structured_content
            summary["pages"].append(
                {
                    "consistent": consistent(page),
                    "rows": sum(len(e["strikes"]) for e in chain["expirations"]),
                    "later": chain["left_out"]["rows_on_later_pages"],
                    "dates": [e["date"] for e in chain["expirations"]],
                }
            )
            if chain["next_cursor"] is None:
                break
            args = {"symbol": "SPY", "dte_max": 60, "cursor": chain["next_cursor"]}
    print(json.dumps(summary))


asyncio.run(main())
