//! The MCP engine.

/// Placeholder while the engine is written.
#[derive(Debug)]
pub struct McpServer;
