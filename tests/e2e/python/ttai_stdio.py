"""What every stdio client of the e2e tests starts: ttai on the bundled demo tape."""

from mcp import StdioServerParameters


def replay_server(binary: str, data_dir: str) -> StdioServerParameters:
    """`ttai --broker replay serve` on a data dir of its own, logging warnings only."""
    return StdioServerParameters(
        command=binary,
        args=["--broker", "replay", "serve"],
        env={"TTAI_DATA_DIR": data_dir, "TTAI_LOG_LEVEL": "warn"},
    )
