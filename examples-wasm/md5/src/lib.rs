//! Example lode transform: md5. The output is the object's MD5 digest as 32 lower-case hex
//! characters (no newline). Exported in both forms; the streaming form hashes objects of any
//! size in constant guest memory.

#![deny(missing_docs)]

use std::io::Write;

use lode_guest::{Error, Input, Output};
use md5::{Digest, Md5};

/// Whole-object form: the hex digest of `input`.
pub fn transform(input: &[u8], _args: &str) -> Result<Vec<u8>, Error> {
    Ok(hex(&Md5::digest(input)))
}

/// Streaming form: hashes the input chunk by chunk, then writes the hex digest.
pub fn transform_stream(input: &mut Input, output: &mut Output, _args: &str) -> Result<(), Error> {
    let mut hasher = Md5::new();
    input.for_each_chunk(|chunk| {
        hasher.update(chunk);
        Ok(())
    })?;
    output.write_all(&hex(&hasher.finalize()))?;
    Ok(())
}

fn hex(digest: &[u8]) -> Vec<u8> {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    digest
        .iter()
        .flat_map(|b| [DIGITS[usize::from(b >> 4)], DIGITS[usize::from(b & 0xf)]])
        .collect()
}

lode_guest::transform!(transform);
lode_guest::stream_transform!(transform_stream);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_digests() {
        // RFC 1321 test suite.
        assert_eq!(
            transform(b"", "").unwrap(),
            b"d41d8cd98f00b204e9800998ecf8427e"
        );
        assert_eq!(
            transform(b"abc", "").unwrap(),
            b"900150983cd24fb0d6963f7d28e17f72"
        );
    }

    #[test]
    fn streaming_matches_whole_object() {
        let data: Vec<u8> = (0..300_000u32).map(|i| (i * 7) as u8).collect();
        let (mut src, mut dst) = (&data[..], Vec::new());
        transform_stream(
            &mut Input::from_reader(&mut src),
            &mut Output::from_writer(&mut dst),
            "",
        )
        .unwrap();
        assert_eq!(dst, transform(&data, "").unwrap());
    }
}
