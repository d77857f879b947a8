//! Example lode transform: flac2wav, the seed workload's FFmpeg transformer as a Wasm module.
//!
//! Does what `ffmpeg -i in.flac -ar AR -ac AC out.wav` does to a FLAC object: decode it
//! (symphonia's FLAC decoder) to 16-bit samples, mix to `AC` channels and resample to `AR` Hz the way FFmpeg's
//! default swresample does in its `s16` path (Q15 rematrix; exact-rational polyphase Kaiser
//! FIR, SIMD inner loop, see `resample`), in FFmpeg's order, and write 16-bit PCM WAV.
//! Rate ratios needing more than 1024 filter phases (e.g. 44100 -> 44101 Hz) fall back to
//! rubato's FFT resampler, and FLAC deeper than 16 bits is rounded to 16 bits first; those
//! two cases are close to FFmpeg but not equal. Arguments are JSON, `{"AR":44100,"AC":2}`; a missing key takes its default
//! (`AR` 44100, `AC` 2, the seed benchmark's settings), empty arguments take both, and
//! anything that is not such an object fails the object with a message saying so.
//! Whole-object form only: the WAV header needs the length up front.
//!
//! How close to FFmpeg: `tests/ffmpeg_parity.rs` transforms speech (espeak-ng, FLAC encoded)
//! and compares sample by sample with FFmpeg 5.1's own output (Debian's `ffmpeg`).

#![deny(missing_docs)]

mod args;
mod decode;
mod dot;
mod filter_bank;
mod mix;
mod resample;
mod rubato_fallback;
mod wav;

use lode_guest::Error;

pub use args::{Params, DEFAULT_CHANNELS, DEFAULT_RATE};

/// Converts one FLAC object to WAV as the arguments (`{"AR":..,"AC":..}`) say.
pub fn transform(input: &[u8], args: &str) -> Result<Vec<u8>, Error> {
    convert(input, Params::parse(args)?)
}

/// Converts FLAC bytes to WAV bytes with explicit parameters.
pub fn convert(flac: &[u8], params: Params) -> Result<Vec<u8>, Error> {
    let audio = decode::decode(flac)?;
    let channels = usize::from(params.channels);
    let pcm = if mix::resample_first(audio.channels.len(), channels, audio.rate, params.rate) {
        mix::mix(
            resample::resample(audio.channels, audio.rate, params.rate)?,
            channels,
        )
    } else {
        resample::resample(mix::mix(audio.channels, channels), audio.rate, params.rate)?
    };
    Ok(wav::encode(&pcm, params.rate))
}

lode_guest::transform!(transform);
