//! The lode daemon: gateway and target roles behind the AIS-compatible HTTP API
