"""What every stdio client of the e2e tests starts: ttai on the bundled demo tape."""

import os

from mcp import StdioServerParameters


def with_clock(env: dict) -> dict:
    """`env` and the fake clock scripts/clock-sweep runs the tests at (libfaketime's variables),
    when there is one: the SDK starts the binary with the variables it is given only, and the
    binary must keep the test's time (the fake TastyTrade's market is dated by it)."""
    clock = {k: v for k, v in os.environ.items() if k == "LD_PRELOAD" or k.startswith("FAKETIME")}
    return {**clock, **env}


def replay_server(binary: str, data_dir: str) -> StdioServerParameters:
    """`ttai --broker replay serve` on a data dir of its own, logging warnings only."""
    return StdioServerParameters(
        command=binary,
        args=["--broker", "replay", "serve"],
        env=with_clock({"TTAI_DATA_DIR": data_dir, "TTAI_LOG_LEVEL": "warn"}),
    )
