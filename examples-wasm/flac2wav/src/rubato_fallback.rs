//! The fallback resampler for rate ratios FFmpeg's exact-rational filter bank cannot take
//! (more than 1024 phases, e.g. 44100 -> 44101 Hz): rubato's FFT resampler, delay-compensated
//! and trimmed to FFmpeg's output length. Close to FFmpeg's output (30 dB SNR or better on
//! speech) but not equal to it.

use lode_guest::Error;
use rubato::{FftFixedIn, Resampler};

/// About this many input frames per resampler call; it sets the filter length too (rubato's
/// FFT resampler filters with one chunk's worth of taps), so it trades quality for speed.
const CHUNK: usize = 1024;

/// The input chunk for `from` -> `to` Hz: an even number of rubato's smallest FFT units
/// (`from / gcd` frames), near [`CHUNK`]. With an even count the filter's centre falls on a
/// whole output frame, so skipping `output_delay()` frames aligns the output exactly; an odd
/// count leaves up to half an input frame of skew.
fn chunk_len(from: u32, to: u32) -> usize {
    let (mut a, mut b) = (from, to);
    while b != 0 {
        (a, b) = (b, a % b);
    }
    let unit = (from / a) as usize;
    2 * unit * (CHUNK / (2 * unit)).max(1)
}

/// Frames FFmpeg emits for `frames` input frames at `from` Hz resampled to `to` Hz.
fn output_len(frames: usize, from: u32, to: u32) -> usize {
    (frames as u128 * u128::from(to)).div_ceil(u128::from(from)) as usize
}

/// Resamples planar `input` from `from` Hz to `to` Hz (in `f32`, rounded back to `i16`).
pub fn resample(input: Vec<Vec<i16>>, from: u32, to: u32) -> Result<Vec<Vec<i16>>, Error> {
    let input: Vec<Vec<f32>> = input
        .iter()
        .map(|ch| ch.iter().map(|&s| f32::from(s) / 32768.0).collect())
        .collect();
    let output = resample_f32(input, from, to)?;
    Ok(output
        .iter()
        .map(|ch| {
            ch.iter()
                .map(|&s| (s * 32768.0).round().clamp(-32768.0, 32767.0) as i16)
                .collect()
        })
        .collect())
}

fn resample_f32(input: Vec<Vec<f32>>, from: u32, to: u32) -> Result<Vec<Vec<f32>>, Error> {
    if from == to || input.is_empty() {
        return Ok(input);
    }
    let frames = input[0].len();
    let mut resampler = FftFixedIn::<f32>::new(
        from as usize,
        to as usize,
        chunk_len(from, to),
        1,
        input.len(),
    )
    .map_err(|err| {
        Error::new(format!(
            "flac2wav: cannot resample {from} Hz to {to} Hz: {err}"
        ))
    })?;
    let skip = resampler.output_delay();
    let wanted = output_len(frames, from, to);
    let mut output: Vec<Vec<f32>> = vec![Vec::with_capacity(skip + wanted); input.len()];
    let mut chunk_out = resampler.output_buffer_allocate(true);
    let mut pos = 0;
    while output[0].len() < skip + wanted {
        let need = resampler.input_frames_next();
        let end = (pos + need).min(frames);
        let chunk_in: Vec<&[f32]> = input.iter().map(|ch| &ch[pos..end]).collect();
        // A short last chunk is zero-padded; past the end, zeros flush the filter's delay.
        let (_, produced) = if end - pos == need {
            resampler.process_into_buffer(&chunk_in, &mut chunk_out, None)
        } else if end > pos {
            resampler.process_partial_into_buffer(Some(&chunk_in), &mut chunk_out, None)
        } else {
            resampler.process_partial_into_buffer(None::<&[&[f32]]>, &mut chunk_out, None)
        }
        .map_err(|err| Error::new(format!("flac2wav: resampling failed: {err}")))?;
        for (out, chunk) in output.iter_mut().zip(&chunk_out) {
            out.extend_from_slice(&chunk[..produced]);
        }
        pos = end;
    }
    for out in &mut output {
        out.drain(..skip);
        out.truncate(wanted);
    }
    Ok(output)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_follows_the_rate_ratio() {
        assert_eq!(output_len(22_050, 22_050, 44_100), 44_100);
        assert_eq!(output_len(1000, 48_000, 44_100), 919);
        let tone: Vec<f32> = (0..10_000).map(|i| (i as f32 * 0.05).sin() * 0.5).collect();
        let out = resample_f32(vec![tone.clone(), tone], 22_050, 16_000).unwrap();
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].len(), output_len(10_000, 22_050, 16_000));
    }

    #[test]
    fn chunks_are_an_even_number_of_fft_units() {
        assert_eq!(chunk_len(22_050, 44_100), 1024);
        assert_eq!(chunk_len(44_100, 16_000), 882); // unit 441
        assert_eq!(chunk_len(16_000, 44_100), 960); // unit 160
        assert_eq!(chunk_len(44_100, 44_101), 88_200); // coprime: unit 44100
    }

    #[test]
    fn a_low_tone_keeps_its_amplitude_and_phase() {
        // Regression: an odd number of FFT units per chunk skewed the output by up to half an
        // input frame (0.18 frames at 44.1 -> 16 kHz, 0.5 at 16 -> 44.1 kHz).
        let tone = |rate: u32, n: u32| -> Vec<f32> {
            let step = 2.0 * std::f32::consts::PI * 441.0 / rate as f32;
            (0..n).map(|i| (i as f32 * step).sin() * 0.5).collect()
        };
        for (from, to) in [
            (44_100, 16_000),
            (16_000, 44_100),
            (48_000, 44_100),
            (22_050, 8_000),
        ] {
            let out = resample_f32(vec![tone(from, from)], from, to).unwrap();
            let expected = tone(to, to);
            let range = 1000..(to as usize - 1000);
            let worst = out[0][range.clone()]
                .iter()
                .zip(&expected[range])
                .map(|(a, b)| (a - b).abs())
                .fold(0.0f32, f32::max);
            assert!(worst < 1e-3, "{from} -> {to} Hz: max deviation {worst}");
        }
    }
}
