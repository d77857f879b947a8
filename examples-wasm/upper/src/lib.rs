//! Example lode transform: upper. ASCII letters become upper case; every other byte
//! (including non-ASCII UTF-8) passes through unchanged. Exported in both forms.

#![deny(missing_docs)]

use std::io::Write;

use lode_guest::{Error, Input, Output};

/// Whole-object form: `input` with ASCII `a-z` mapped to `A-Z`.
pub fn transform(input: &[u8], _args: &str) -> Result<Vec<u8>, Error> {
    Ok(input.to_ascii_uppercase())
}

/// Streaming form: the same, chunk by chunk.
pub fn transform_stream(input: &mut Input, output: &mut Output, _args: &str) -> Result<(), Error> {
    input.for_each_chunk(|chunk| {
        chunk.make_ascii_uppercase();
        Ok(output.write_all(chunk)?)
    })
}

lode_guest::transform!(transform);
lode_guest::stream_transform!(transform_stream);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uppercases_ascii_only() {
        assert_eq!(
            transform("héllo, lode 42".as_bytes(), "").unwrap(),
            "HéLLO, LODE 42".as_bytes()
        );
    }

    #[test]
    fn streaming_matches_whole_object() {
        let data: Vec<u8> = (0..200_000u32).map(|i| (i % 256) as u8).collect();
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
