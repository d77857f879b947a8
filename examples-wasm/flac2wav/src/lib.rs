//! Example lode transform: flac2wav, the seed workload's FFmpeg transformer as a Wasm module.
//!
//! Does what `ffmpeg -i in.flac -ar AR -ac AC out.wav` does to a FLAC object: decode it
//! (claxon), mix to `AC` channels, resample to `AR` Hz (rubato's FFT resampler), and write
//! 16-bit PCM WAV. Arguments are JSON, `{"AR":44100,"AC":2}`; a missing key takes its default
//! (`AR` 44100, `AC` 2, the seed benchmark's settings), empty arguments take both, and
//! anything that is not such an object fails the object with a message saying so.
//! Whole-object form only: the WAV header needs the length up front.
//!
//! How close to FFmpeg: `tests/ffmpeg_parity.rs` transforms real speech (espeak-ng, FLAC
//! encoded) and compares with FFmpeg's own output: same rate, channel count and length
//! (within 2 frames), and a signal-to-noise ratio of at least 30 dB per channel after the
//! best alignment within ±64 frames (the resamplers' filters differ; the mixing matrices
//! are FFmpeg's, see `mix`).

#![deny(missing_docs)]

mod args;
mod decode;
mod mix;
mod resample;
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
    // Mix on the side with fewer channels: the resampler's cost is per channel.
    let pcm = if channels <= audio.channels.len() {
        resample::resample(mix::mix(audio.channels, channels), audio.rate, params.rate)?
    } else {
        mix::mix(
            resample::resample(audio.channels, audio.rate, params.rate)?,
            channels,
        )
    };
    Ok(wav::encode(&pcm, params.rate))
}

lode_guest::transform!(transform);
