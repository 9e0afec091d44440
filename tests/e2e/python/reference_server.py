"""The conformance comparison: a minimal server on the official MCP Python SDK (mcp 2.3.0), which
serves both eras like ttai, with one tool, one resource and one prompt, over Streamable HTTP.

Usage: reference_server.py PORT
"""

import sys

from mcp.server.mcpserver import MCPServer

server = MCPServer("python-sdk-reference", instructions="A minimal server of the official Python SDK.")


@server.tool()
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


@server.resource("memo://hello")
def hello() -> str:
    return "hello"


@server.prompt()
def greet(name: str) -> str:
    return f"Say hello to {name}"


if __name__ == "__main__":
    server.run("streamable-http", host="127.0.0.1", port=int(sys.argv[1]))
