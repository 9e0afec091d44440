"""Orders a person confirms under MCP 2026-07-28, with the official MCP Python SDK (mcp 2.3.0) in
mode "2026-07-28" as the client: the server answers place_order / cancel_order with an
InputRequiredResult carrying the confirmation form, and the client answers by calling again with
inputResponses and the requestState. Prints a JSON summary for the Rust test (tests/e2e/orders.rs).

- accepted: driven by hand (session.call_tool(..., allow_input_required=True)), then the same
  retry replayed (refused, nothing more sent);
- declined: the SDK's own retry loop with a person who declines behind its elicitation callback;
- absent: no elicitation callback (the requests declare no elicitation capability);
- tampered: the requestState altered before the retry;
- cancelled: the SDK's loop with a person who accepts the cancel of the placed order.

Usage: orders_modern_client.py TTAI_BINARY DATA_DIR API_URL CLIENT_SECRET REFRESH_TOKEN OCC  (stdio)
       orders_modern_client.py MCP_URL      (Streamable HTTP, a server on the demo tape: paper orders)
"""

import asyncio
import json
import sys

import mcp.types as types
from mcp import Client, StdioServerParameters
from mcp.shared.exceptions import MCPError

from ttai_stdio import with_clock

MODE = "2026-07-28"


class Person:
    """Answers every confirmation form by a script and remembers what it was shown."""

    def __init__(self, action):
        self.action = action
        self.seen = []

    async def __call__(self, context, params):
        order = params.requested_schema["properties"]["order"]
        code = order["oneOf"][0]["const"]
        self.seen.append({"code": code, "label": order["oneOf"][0]["title"], "message": params.message})
        if self.action == "accept":
            return types.ElicitResult(action="accept", content={"order": code, "confirm": True})
        return types.ElicitResult(action=self.action)


def outcome(result):
    content = result.structured_content or {}
    if result.is_error:
        error = content.get("error", {})
        return {"error": True, "reason": error.get("details", {}).get("reason"), "message": error.get("message")}
    return {"error": False, "result_type": getattr(result, "result_type", None),
            **{k: content.get(k) for k in ("placed", "cancelled", "outcome", "paper", "order_hash", "message")},
            "broker_order": content.get("broker_order")}


def asked(first):
    """What an InputRequiredResult asks: the form's order code, label and message."""
    request = first.input_requests["confirm"]
    params = request.params if hasattr(request, "params") else request["params"]
    params = params.model_dump(by_alias=True) if hasattr(params, "model_dump") else params
    order = params["requestedSchema"]["properties"]["order"]
    return {"method": getattr(request, "method", None), "code": order["oneOf"][0]["const"],
            "label": order["oneOf"][0]["title"], "message": params["message"]}


async def main() -> None:
    args = sys.argv[1:]
    if len(args) == 6:
        binary, data_dir, api_url, secret, refresh, occ = args
        target = StdioServerParameters(command=binary, args=["serve"], env=with_clock({
            "TTAI_DATA_DIR": data_dir, "TTAI_LOG_LEVEL": "warn", "TTAI_ALLOW_ORDERS": "1",
            "TASTYTRADE_API_URL": api_url, "TASTYTRADE_CLIENT_SECRET": secret, "TASTYTRADE_REFRESH_TOKEN": refresh}))
        order = {"symbol": "SPY", "legs": [{"symbol": occ, "action": "sell_to_open", "quantity": 1}], "price": 99.0,
                 "price_effect": "credit", "time_in_force": "gtc"}
    else:
        target = args[0]
        order = {"symbol": "SPY", "legs": [{"type": "put", "strike": 530, "expiration": "2026-12-31",
                                            "action": "sell_to_open", "quantity": 1}], "price": 99.0,
                 "price_effect": "credit", "time_in_force": "gtc"}
    summary = {}

    # Accepted, by hand: the first call asks; the retry with the person's answer places it.
    async with Client(target, mode=MODE, elicitation_callback=Person("accept")) as client:
        summary["protocol_version"] = client.protocol_version
        first = await client.session.call_tool("place_order", order, allow_input_required=True)
        summary["first_type"] = type(first).__name__
        shown = asked(first)
        summary["shown"] = shown
        answer = {"confirm": types.ElicitResult(action="accept", content={"order": shown["code"], "confirm": True})}
        placed = await client.session.call_tool("place_order", order, input_responses=answer,
                                                request_state=first.request_state, allow_input_required=True)
        summary["accepted"] = outcome(placed)
        # The same retry again: the confirmation is used, nothing more is sent.
        replayed = await client.session.call_tool("place_order", order, input_responses=answer,
                                                  request_state=first.request_state, allow_input_required=True)
        summary["replayed"] = outcome(replayed)

        # Tampered: one character of the state changed.
        again = await client.session.call_tool("place_order", order, allow_input_required=True)
        state = again.request_state
        middle = len(state) // 2
        altered = state[:middle] + ("A" if state[middle] != "A" else "B") + state[middle + 1:]
        try:
            await client.session.call_tool("place_order", order, input_responses=answer, request_state=altered,
                                           allow_input_required=True)
            summary["tampered"] = {"refused": False}
        except MCPError as err:
            summary["tampered"] = {"refused": True, "code": err.error.code, "message": err.error.message}

    # Declined, through the SDK's own retry loop.
    declining = Person("decline")
    async with Client(target, mode=MODE, elicitation_callback=declining) as client:
        summary["declined"] = outcome(await client.call_tool("place_order", order))
        summary["declined_shown"] = len(declining.seen)

    # No elicitation callback: refused before anything is asked.
    async with Client(target, mode=MODE) as client:
        summary["absent"] = outcome(await client.call_tool("place_order", order))

    # Cancel the placed order, the person accepting through the SDK's loop; then the audit log.
    cancelling = Person("accept")
    async with Client(target, mode=MODE, elicitation_callback=cancelling) as client:
        listed = (await client.call_tool("list_orders", {})).structured_content
        summary["listed"] = [{"id": o["id"], "status": o["status"]} for o in listed["today"]]
        placed_id = (summary["accepted"].get("broker_order") or {}).get("id")
        summary["cancelled"] = outcome(await client.call_tool("cancel_order", {"order_id": placed_id}))
        summary["cancel_shown"] = cancelling.seen
        audit = await client.read_resource("audit://orders")
        entries = json.loads(audit.contents[0].text)["entries"]
        summary["audit"] = [[e["action"], e["outcome"], e.get("order_hash")] for e in reversed(entries)]
    print(json.dumps(summary))


asyncio.run(main())
