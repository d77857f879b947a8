//! FLAC bytes to planar 16-bit samples, block by block into one buffer per channel.

use lode_guest::Error;

/// Decoded audio: one `Vec` per channel, all the same length.
pub struct Audio {
    /// Sample rate in Hz.
    pub rate: u32,
    /// Samples per channel as `i16`, as FFmpeg's FLAC decoder gives them for the `s16` path:
    /// shallower samples are shifted up to 16 bits; deeper ones (24-bit FLAC) are rounded down
    /// to 16 bits here, where FFmpeg would resample in `float` (so those are not bit-exact).
    pub channels: Vec<Vec<i16>>,
}

/// Most samples per channel reserved up front from the stream header (which may lie).
const MAX_RESERVE: usize = 1 << 22;

/// Decodes a whole FLAC stream.
pub fn decode(flac: &[u8]) -> Result<Audio, Error> {
    let mut reader = claxon::FlacReader::new(flac).map_err(flac_error)?;
    let info = reader.streaminfo();
    let bits = info.bits_per_sample;
    let reserve = info.samples.map_or(0, |n| {
        usize::try_from(n).unwrap_or(MAX_RESERVE).min(MAX_RESERVE)
    });
    let mut channels = vec![Vec::with_capacity(reserve); info.channels as usize];
    let mut blocks = reader.blocks();
    let mut buffer = Vec::new();
    while let Some(block) = blocks.read_next_or_eof(buffer).map_err(flac_error)? {
        for (index, channel) in channels.iter_mut().enumerate() {
            let samples = block.channel(index as u32);
            if bits <= 16 {
                let shift = 16 - bits;
                channel.extend(samples.iter().map(|&s| (s << shift) as i16));
            } else {
                let shift = bits - 16;
                let round = 1i32 << (shift - 1);
                channel.extend(
                    samples
                        .iter()
                        .map(|&s| (s.saturating_add(round) >> shift).min(32767) as i16),
                );
            }
        }
        buffer = block.into_buffer();
    }
    Ok(Audio {
        rate: info.sample_rate,
        channels,
    })
}

fn flac_error(err: claxon::Error) -> Error {
    Error::new(format!("flac2wav: input is not valid FLAC: {err}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_is_a_clear_error() {
        let err = decode(b"RIFF....WAVEfmt ").err().unwrap();
        assert!(
            err.message()
                .starts_with("flac2wav: input is not valid FLAC"),
            "{err}"
        );
        assert!(decode(b"").is_err());
    }
}
