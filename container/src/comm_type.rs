//! The communication types a container ETL can use, in AIStore's `scheme://` spelling.

use crate::SpecError;

/// How a target talks to a transformer (see `docs/container-protocol.md` §3-§8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CommType {
    /// `hpush://`: PUT each object (the default).
    Hpush,
    /// `hpull://`: the container GETs (inline: the client is redirected).
    Hpull,
    /// `ws://`: persistent WebSocket connections; requires direct put.
    Ws,
    /// `io://`: one process per object, object on stdin, result on stdout.
    Io,
    /// `hrev://`: the target reverse-proxies to the container, which reads the object back
    /// through `AIS_TARGET_URL` (removed from AIStore in 2025; kept here for old specs).
    Hrev,
}

impl CommType {
    /// Parses `communication` as AIStore does: empty means `hpush://`; the `://` suffix is
    /// required (a bare `hpush` is an unknown type). `field` names the field in errors.
    pub fn parse(text: &str, field: &str) -> Result<CommType, SpecError> {
        match text {
            "" | "hpush://" => Ok(CommType::Hpush),
            "hpull://" => Ok(CommType::Hpull),
            "ws://" => Ok(CommType::Ws),
            "io://" => Ok(CommType::Io),
            "hrev://" => Ok(CommType::Hrev),
            other => Err(SpecError::new(
                field,
                format!("unknown communication type {other:?} (expected hpush://, hpull://, ws://, io:// or hrev://)"),
            )),
        }
    }

    /// The wire spelling, e.g. `"hpush://"`.
    pub fn as_str(self) -> &'static str {
        match self {
            CommType::Hpush => "hpush://",
            CommType::Hpull => "hpull://",
            CommType::Ws => "ws://",
            CommType::Io => "io://",
            CommType::Hrev => "hrev://",
        }
    }

    /// `ws://` needs `support_direct_put`, as in AIStore's `InitMsgBase.Validate`.
    pub(crate) fn check_direct_put(self, direct_put: bool) -> Result<(), SpecError> {
        if self == CommType::Ws && !direct_put {
            return Err(SpecError::new(
                "support_direct_put",
                "ws:// communication requires support_direct_put: true",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_full_forms_and_defaults_to_hpush() {
        assert_eq!(CommType::parse("", "c"), Ok(CommType::Hpush));
        for t in [
            CommType::Hpush,
            CommType::Hpull,
            CommType::Ws,
            CommType::Io,
            CommType::Hrev,
        ] {
            assert_eq!(CommType::parse(t.as_str(), "c"), Ok(t));
        }
    }

    #[test]
    fn bare_names_are_unknown() {
        let err = CommType::parse("hpush", "communication").unwrap_err();
        assert_eq!(err.field, "communication");
        assert!(CommType::parse("hrev", "c").is_err());
        assert!(CommType::parse("HPUSH://", "c").is_err());
    }

    #[test]
    fn ws_requires_direct_put() {
        assert_eq!(
            CommType::Ws.check_direct_put(false).unwrap_err().field,
            "support_direct_put"
        );
        assert!(CommType::Ws.check_direct_put(true).is_ok());
        assert!(CommType::Hpush.check_direct_put(false).is_ok());
    }
}
