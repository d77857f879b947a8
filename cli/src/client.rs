//! STUB: HTTP client helpers shared by the client commands.
