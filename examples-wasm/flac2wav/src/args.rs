//! The transform arguments: `{"AR": <rate>, "AC": <channels>}`, the FFmpeg transformer's knobs.

use lode_guest::Error;
use serde_json::{Map, Value};

/// Output sample rate when `AR` is not given.
pub const DEFAULT_RATE: u32 = 44_100;
/// Output channel count when `AC` is not given.
pub const DEFAULT_CHANNELS: u16 = 2;

/// Highest `AR` accepted (FFmpeg's own limit for WAV is far higher, but nothing real is).
const MAX_RATE: u32 = 768_000;
/// Highest `AC` accepted; FLAC itself carries at most 8 channels.
const MAX_CHANNELS: u16 = 8;

/// What to produce: `ffmpeg -ar rate -ac channels`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Params {
    /// Output sample rate in Hz (`AR`).
    pub rate: u32,
    /// Output channel count (`AC`).
    pub channels: u16,
}

impl Default for Params {
    fn default() -> Params {
        Params {
            rate: DEFAULT_RATE,
            channels: DEFAULT_CHANNELS,
        }
    }
}

impl Params {
    /// Parses the transform arguments. Empty arguments, or a missing key, take the defaults
    /// ([`DEFAULT_RATE`], [`DEFAULT_CHANNELS`]); values may be JSON numbers or numeric strings
    /// (the FFmpeg transformer read them from environment variables). Other keys are ignored.
    pub fn parse(args: &str) -> Result<Params, Error> {
        let mut params = Params::default();
        if args.trim().is_empty() {
            return Ok(params);
        }
        let value: Value = serde_json::from_str(args).map_err(|err| {
            Error::new(format!(
                "flac2wav: arguments must be a JSON object like {{\"AR\":44100,\"AC\":2}}: {err}"
            ))
        })?;
        let Value::Object(map) = value else {
            return Err(Error::new(
                "flac2wav: arguments must be a JSON object like {\"AR\":44100,\"AC\":2}",
            ));
        };
        if let Some(rate) = field(&map, "AR", MAX_RATE)? {
            params.rate = rate;
        }
        if let Some(channels) = field(&map, "AC", u32::from(MAX_CHANNELS))? {
            params.channels = channels as u16; // bounded by MAX_CHANNELS just above
        }
        Ok(params)
    }
}

/// `map[key]` as an integer in `1..=max`, if present.
fn field(map: &Map<String, Value>, key: &str, max: u32) -> Result<Option<u32>, Error> {
    let Some(value) = map.get(key) else {
        return Ok(None);
    };
    let number = match value {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse::<u64>().ok(),
        _ => None,
    };
    match number {
        Some(n @ 1..) if n <= u64::from(max) => Ok(Some(n as u32)),
        _ => Err(Error::new(format!(
            "flac2wav: {key} must be an integer from 1 to {max}, got {value}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_args_take_the_defaults() {
        assert_eq!(Params::parse("").unwrap(), Params::default());
        assert_eq!(Params::parse("  ").unwrap(), Params::default());
        assert_eq!(Params::parse("{}").unwrap(), Params::default());
    }

    #[test]
    fn reads_numbers_and_numeric_strings() {
        let p = Params::parse(r#"{"AR":16000,"AC":1}"#).unwrap();
        assert_eq!((p.rate, p.channels), (16_000, 1));
        let p = Params::parse(r#"{"AR":"48000","other":true}"#).unwrap();
        assert_eq!((p.rate, p.channels), (48_000, DEFAULT_CHANNELS));
    }

    #[test]
    fn rejects_bad_json_and_bad_values() {
        let err = Params::parse("AR=44100").unwrap_err();
        assert!(err.message().contains("JSON object"), "{err}");
        assert!(Params::parse("[1,2]")
            .unwrap_err()
            .message()
            .contains("JSON object"));
        let err = Params::parse(r#"{"AC":0}"#).unwrap_err();
        assert!(
            err.message().contains("AC must be an integer from 1 to 8"),
            "{err}"
        );
        assert!(Params::parse(r#"{"AR":-5}"#).is_err());
        assert!(Params::parse(r#"{"AR":44100.5}"#).is_err());
        assert!(Params::parse(r#"{"AR":"fast"}"#).is_err());
    }
}
