//! The one error type a transform returns.

use std::fmt;

/// Why a transform failed on one object; the host reports the message as that object's error.
///
/// Build one from anything printable with [`Error::new`], or with `?` from an
/// [`std::io::Error`], a `String` or a `&str`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    message: String,
}

impl Error {
    /// An error carrying `message`.
    pub fn new(message: impl fmt::Display) -> Error {
        Error {
            message: message.to_string(),
        }
    }

    /// The message the host will report.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

impl From<std::io::Error> for Error {
    fn from(err: std::io::Error) -> Error {
        Error::new(err)
    }
}

impl From<String> for Error {
    fn from(message: String) -> Error {
        Error { message }
    }
}

impl From<&str> for Error {
    fn from(message: &str) -> Error {
        Error::new(message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_message_from_every_source() {
        assert_eq!(Error::new(42).message(), "42");
        assert_eq!(Error::from("bad input").to_string(), "bad input");
        assert_eq!(Error::from(String::from("x")).message(), "x");
        let io = std::io::Error::other("disk gone");
        assert_eq!(Error::from(io).message(), "disk gone");
    }
}
