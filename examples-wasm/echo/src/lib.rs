//! Example lode transform: echo. The output is the input, byte for byte.
//!
//! The smallest useful transform, and the baseline the benches measure the runtime's own
//! overhead with. Exported in both forms.

#![deny(missing_docs)]

use std::io::Write;

use lode_guest::{Error, Input, Output};

/// Whole-object form: returns a copy of `input`.
pub fn transform(input: &[u8], _args: &str) -> Result<Vec<u8>, Error> {
    Ok(input.to_vec())
}

/// Streaming form: copies the input to the output chunk by chunk.
pub fn transform_stream(input: &mut Input, output: &mut Output, _args: &str) -> Result<(), Error> {
    input.for_each_chunk(|chunk| Ok(output.write_all(chunk)?))
}

lode_guest::transform!(transform);
lode_guest::stream_transform!(transform_stream);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_forms_return_the_input() {
        let data: Vec<u8> = (0..150_000u32).map(|i| (i % 251) as u8).collect();
        assert_eq!(transform(&data, "").unwrap(), data);
        let (mut src, mut dst) = (&data[..], Vec::new());
        transform_stream(
            &mut Input::from_reader(&mut src),
            &mut Output::from_writer(&mut dst),
            "",
        )
        .unwrap();
        assert_eq!(dst, data);
        assert!(transform(b"", "").unwrap().is_empty());
    }
}
