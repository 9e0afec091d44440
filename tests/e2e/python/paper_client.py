"""Paper trading on the bundled demo tape with the official MCP Python SDK (mcp 2.3.0): on
2026-05-08 sell the options analysis's best cash-secured put on SPY and a far out-of-the-money
put of the same expiration, confirmed by a scripted person; step the replay clock past the
expiration (2026-06-18) with the replay_clock tool; read positions, balances and the portfolio
risk before and after. A second server at the later date without paper trades gives the demo
account's own positions and balances to compare with. Prints a JSON summary.

Usage: paper_client.py TTAI_BINARY DATA_DIR BASELINE_DATA_DIR
"""

import asyncio
import json
import sys

import mcp.types as types
from mcp import Client, StdioServerParameters

from ttai_stdio import with_clock

START = "2026-05-08T21:00:00Z"
AFTER = "2026-06-19T21:00:00Z"


async def accept(context, params):
    code = params.requested_schema["properties"]["order"]["oneOf"][0]["const"]
    return types.ElicitResult(action="accept", content={"order": code, "confirm": True})


def server(binary, data_dir, at):
    return StdioServerParameters(
        command=binary,
        args=["--broker", "replay", "--replay-at", at, "--allow-orders", "serve"],
        env=with_clock({"TTAI_DATA_DIR": data_dir, "TTAI_LOG_LEVEL": "warn"}),
    )


async def call(client, tool, arguments):
    result = await client.call_tool(tool, arguments)
    if result.is_error:
        raise SystemExit(f"{tool} failed: {result.content[0].text}")
    return result.structured_content


def spy_book(positions):
    return {p["symbol"]: p["quantity"] for p in positions["positions"] if p["underlying"] == "SPY"}


async def main() -> None:
    binary, data_dir, baseline_dir = sys.argv[1:4]
    summary = {}
    async with Client(server(binary, data_dir, START), mode="legacy", elicitation_callback=accept) as client:
        summary["before"] = {
            "positions": spy_book(await call(client, "get_positions", {})),
            "balances": await call(client, "get_balances", {}),
        }
        analysis = await call(client, "analyze_options", {"symbol": "SPY", "strategy": "csp"})
        best = analysis["candidates"][0]
        summary["best"] = {"symbol": best["legs"][0]["symbol"], "strike": best["short_strike"],
                           "expiration": best["expiration"], "credit": best["credit"]}
        preview = await call(client, "preview_order", {"analysis_id": analysis["analysis_id"], "rank": 1})
        summary["preview"] = {"paper": preview["paper"], "source": preview["source"], "ticket": preview["order"]["ticket"],
                              "price": preview["order"]["price"], "checks": [c["code"] for c in preview["checks"]]}
        placed = await call(client, "place_order", {"analysis_id": analysis["analysis_id"], "rank": 1})
        far = await call(client, "place_order", {"symbol": "SPY", "legs": [
            {"type": "put", "strike": 530, "expiration": best["expiration"], "action": "sell_to_open", "quantity": 1}]})
        summary["placed"] = [
            {"placed": p["placed"], "paper": p["paper"], "status": p["broker_order"]["status"],
             "fill_price": p["broker_order"]["fill_price"], "price": p["order"]["price"], "source": p["source"],
             "symbol": p["order"]["legs"][0]["symbol"], "fees": p["broker"]["fees"]["total_fees"]}
            for p in (placed, far)
        ]
        summary["filled"] = {
            "positions": spy_book(await call(client, "get_positions", {})),
            "balances": await call(client, "get_balances", {}),
        }
        risk = await call(client, "get_portfolio_risk", {"symbol": "SPY"})
        summary["risk"] = {"source": risk["source"], "legs": [
            leg["symbol"] for group in risk["groups"] for leg in group["legs"]]}
        orders = await call(client, "list_orders", {})
        summary["orders"] = {"paper": orders["paper"], "today": [[o["status"], o["ticket"]] for o in orders["today"]]}
        clock = await call(client, "replay_clock", {"to": AFTER})
        summary["clock"] = clock["now"]
        summary["after"] = {
            "positions": spy_book(await call(client, "get_positions", {})),
            "balances": await call(client, "get_balances", {}),
        }
        risk = await call(client, "get_portfolio_risk", {"symbol": "SPY"})
        summary["risk_after"] = [leg["symbol"] for group in risk["groups"] for leg in group["legs"]]
        audit = await client.read_resource("audit://orders")
        summary["audit"] = [[e["action"], e["outcome"], e["paper"]] for e in reversed(json.loads(audit.contents[0].text)["entries"])]
    # The demo account at the later date on its own (no paper trades), to compare with.
    async with Client(server(binary, baseline_dir, AFTER), mode="legacy") as client:
        summary["baseline"] = {
            "positions": spy_book(await call(client, "get_positions", {})),
            "balances": await call(client, "get_balances", {}),
        }
    print(json.dumps(summary))


asyncio.run(main())
