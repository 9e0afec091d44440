"""The comparison server of the HTTP benchmark: the official MCP Python SDK (mcp 2.3.0, in the
project's .venv) serving one tool, get_quote, with the same answer shape as ttai's, over
Streamable HTTP. Usage: .venv/bin/python benches/reference/python_sdk_server.py PORT
"""

import sys

from mcp.server.mcpserver import MCPServer

server = MCPServer("reference")


@server.tool()
def get_quote(symbol: str) -> dict:
    """Current quote for one symbol."""
    return {
        "quotes": [{
            "symbol": symbol, "instrument_type": "equity", "bid": 589.94, "ask": 589.96, "mid": 589.95,
            "mark": 589.95, "last": 589.95, "volume": 61234567.0, "open": 588.1, "day_high": 591.2,
            "day_low": 587.3, "prev_close": 588.0, "change": 1.95, "change_percent": 0.33,
            "as_of": "2026-11-20T21:00:00Z",
        }],
        "missing": [], "count": 1, "source": "replay:demo", "synthetic": True,
    }


if __name__ == "__main__":
    server.run(transport="streamable-http", port=int(sys.argv[1]), json_response=True)
