"""Orders a person confirms, with the official MCP Python SDK (mcp 2.3.0) as the client and a
scripted person behind its elicitation callback: one who accepts, one who declines, no callback
at all, one whose answer names another order, and a server without --allow-orders. Prints a JSON
summary; the Rust test (tests/e2e/orders.rs) compares it with what the fake TastyTrade saw.

Usage: orders_client.py TTAI_BINARY DATA_DIR API_URL CLIENT_SECRET REFRESH_TOKEN OCC_SYMBOL
The handshake era is forced (mode="legacy"): there the server asks through elicitation/create.
"""

import asyncio
import json
import sys

import mcp.types as types
from mcp import Client, StdioServerParameters

from ttai_stdio import with_clock


class Person:
    """Answers every confirmation form by a script and remembers what it was shown."""

    def __init__(self, answer):
        self.answer = answer
        self.seen = []

    async def __call__(self, context, params):
        order = params.requested_schema["properties"]["order"]
        code = order["oneOf"][0]["const"]
        shown = {"code": code, "label": order["oneOf"][0]["title"], "message": params.message}
        self.seen.append(shown)
        return self.answer(shown)


def accept(shown):
    return types.ElicitResult(action="accept", content={"order": shown["code"], "confirm": True})


def decline(shown):
    return types.ElicitResult(action="decline")


def server(binary, data_dir, env, allow_orders=True):
    env = dict(env, TTAI_DATA_DIR=data_dir, TTAI_LOG_LEVEL="warn")
    if allow_orders:
        env["TTAI_ALLOW_ORDERS"] = "1"
    return StdioServerParameters(command=binary, args=["serve"], env=with_clock(env))


def outcome(result):
    content = result.structured_content or {}
    if result.is_error:
        error = content.get("error", {})
        return {"error": True, "reason": error.get("details", {}).get("reason"), "message": error.get("message")}
    return {"error": False, **{k: content.get(k) for k in ("placed", "outcome", "paper", "order_hash", "message")},
            "broker_order": content.get("broker_order")}


async def place(params, person, arguments):
    async with Client(params, mode="legacy", elicitation_callback=person) as client:
        return outcome(await client.call_tool("place_order", arguments))


async def main() -> None:
    binary, data_dir, api_url, secret, refresh, occ = sys.argv[1:7]
    env = {"TASTYTRADE_API_URL": api_url, "TASTYTRADE_CLIENT_SECRET": secret, "TASTYTRADE_REFRESH_TOKEN": refresh}
    params = server(binary, data_dir, env)
    # Two different orders of the same put: a credit far above the market (it works, unfilled)
    # and one a cent lower.
    order = {"symbol": "SPY", "legs": [{"symbol": occ, "action": "sell_to_open", "quantity": 1}], "price": 99.0,
             "price_effect": "credit", "time_in_force": "gtc"}
    other = dict(order, price=98.99)
    summary = {}

    async with Client(params, mode="legacy") as client:
        preview = (await client.call_tool("preview_order", order)).structured_content
        summary["preview"] = {k: preview[k] for k in ("order_code", "order_hash", "placeable", "orders_enabled", "paper")}
        summary["preview"]["ticket"] = preview["order"]["ticket"]
        summary["preview"]["fees"] = preview["broker"]["fees"]["total_fees"]
        summary["preview"]["buying_power_used"] = preview["broker"]["buying_power_used"]
        summary["preview"]["checks"] = [c["code"] for c in preview["checks"]]

    accepting = Person(accept)
    summary["accepted"] = await place(params, accepting, order)
    summary["accepted_shown"] = accepting.seen

    declining = Person(decline)
    summary["declined"] = await place(params, declining, order)
    summary["declined_shown"] = len(declining.seen)

    # No elicitation callback: the client does not declare the capability.
    summary["absent"] = await place(params, None, order)

    # The person's answer names the order confirmed before, not the one on the form.
    stale_code = accepting.seen[0]["code"]
    replaying = Person(lambda shown: types.ElicitResult(action="accept", content={"order": stale_code, "confirm": True}))
    summary["changed"] = await place(params, replaying, other)
    summary["changed_shown"] = replaying.seen

    async with Client(params, mode="legacy", elicitation_callback=Person(accept)) as client:
        listed = (await client.call_tool("list_orders", {})).structured_content
        summary["listed"] = [{"id": o["id"], "status": o["status"], "ticket": o["ticket"]} for o in listed["today"]]
        placed_id = summary["accepted"]["broker_order"]["id"]
        cancelled = await client.call_tool("cancel_order", {"order_id": placed_id})
        summary["cancelled"] = {"error": cancelled.is_error, **(cancelled.structured_content or {})}
        audit = await client.read_resource("audit://orders")
        entries = json.loads(audit.contents[0].text)["entries"]
        summary["audit"] = [[e["action"], e["outcome"], e.get("order_hash")] for e in reversed(entries)]

    # A server without --allow-orders: refused before anyone is asked.
    off = Person(accept)
    summary["orders_off"] = await place(server(binary, data_dir, env, allow_orders=False), off, order)
    summary["orders_off_shown"] = len(off.seen)
    print(json.dumps(summary))


asyncio.run(main())
