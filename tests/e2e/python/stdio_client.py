"""Drives ttai over stdio with the official MCP Python SDK (mcp 2.3.0) and prints a JSON summary.

Usage: stdio_client.py TTAI_BINARY DATA_DIR
The SDK validates every successful tool result against the tool's output schema (jsonschema), so a
mismatch fails here.
"""

import asyncio
import json
import sys

from mcp import Client

from ttai_stdio import replay_server

CALLS = [
    ("get_quote", {"symbol": "SPY"}),
    ("get_quote", {"symbols": ["SPY", "QQQ", "AAPL"]}),
    ("get_option_chain", {"symbol": "SPY", "strikes_around": 3}),
    ("get_positions", {}),
    ("get_balances", {}),
    ("get_market_metrics", {"symbols": ["SPY", "AAPL"]}),
    ("search_symbols", {"query": "apple"}),
    ("analyze_chart", {"symbol": "SPY"}),
    ("analyze_chart", {"symbol": "QQQ", "timeframe": "weekly"}),
    ("analyze_options", {"symbol": "AAPL", "strategy": "csp"}),
    ("analyze_options", {"symbol": "AAPL", "strategy": "covered_call"}),
    ("analyze_options", {"symbol": "IWM", "strategy": "spread"}),
    ("run_full_analysis", {"symbol": "QQQ", "strategy": "csp"}),
    ("get_analysis_history", {"symbol": "QQQ", "include_details": True}),
    ("set_price_alert", {"symbol": "SPY", "condition": "below", "threshold": 100}),
    ("list_alerts", {"status": "all"}),
    ("search_knowledge", {"query": "rolling a covered call"}),
    ("replay_clock", {}),
    ("analyze_payoff", {"symbol": "SPY", "legs": [{"type": "put", "strike": 540, "expiration": "2026-12-24", "quantity": -1}, {"type": "put", "strike": 530, "expiration": "2026-12-24", "quantity": 1}]}),
    ("run_backtest", {"symbol": "SPY", "strategy": "spread", "take_profit_percent": 50}),
]


async def main() -> None:
    binary, data_dir = sys.argv[1], sys.argv[2]
    params = replay_server(binary, data_dir)
    summary = {}
    async with Client(params) as client:
        summary["protocol_version"] = client.protocol_version
        summary["server"] = client.server_info.name if client.server_info else None
        tools = await client.list_tools()
        summary["tools"] = sorted(t.name for t in tools.tools)
        results = []
        for name, args in CALLS:
            result = await client.call_tool(name, args)
            results.append(
                {
                    "tool": name,
                    "is_error": result.is_error,
                    "source": (result.structured_content or {}).get("source"),
                    "text_is_json": json.loads(result.content[0].text) == result.structured_content,
                }
            )
        bad = await client.call_tool("get_quote", {"symbol": 42})
        results.append({"tool": "get_quote(bad)", "is_error": bad.is_error, "code": bad.structured_content["error"]["code"]})
        summary["calls"] = results
        resources = await client.list_resources()
        summary["resources"] = sorted(str(r.uri) for r in resources.resources)
        positions = await client.read_resource("portfolio://positions")
        summary["positions_resource_account"] = json.loads(positions.contents[0].text)["account"]
        prompts = await client.list_prompts()
        summary["prompts"] = sorted(p.name for p in prompts.prompts)
        prompt = await client.get_prompt("analyze-for-csp", {"symbol": "SPY"})
        summary["prompt_mentions_symbol"] = "SPY" in prompt.messages[0].content.text
    print(json.dumps(summary))


asyncio.run(main())
