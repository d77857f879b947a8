//! Sample-rate conversion (`-ar`) as FFmpeg's default swresample does it, on `i16` samples.
//!
//! Where `to / gcd(from, to)` is at most 1024 (every common rate pair), this is FFmpeg's
//! exact-rational polyphase FIR ([`FilterBank`]): output frame `k` sits at input position
//! `k * from / to`, its window reaches `(taps - 1) / 2` frames back, the input is mirrored about
//! its first frame before the start and about its end (`(min(len, taps) + 1) / 2` frames) at the
//! flush, and `ceil(len * to / from)` frames come out. Products accumulate in `i32` from
//! `1 << 14` and are shifted by 15 and clipped, as in `resample_common`. Other ratios (FFmpeg
//! interpolates between 1024 phases there) use rubato's FFT resampler ([`rubato_fallback`]),
//! which is close to FFmpeg's output but not equal.

use lode_guest::Error;

use crate::dot::{filter1, filter4};
use crate::filter_bank::FilterBank;
use crate::rubato_fallback;

/// Resamples planar `input` (all channels the same length) from `from` Hz to `to` Hz.
pub fn resample(input: Vec<Vec<i16>>, from: u32, to: u32) -> Result<Vec<Vec<i16>>, Error> {
    if from == to || input.is_empty() {
        return Ok(input);
    }
    match FilterBank::new(from, to) {
        Some(bank) => Ok(input.iter().map(|ch| polyphase(&bank, ch)).collect()),
        None => rubato_fallback::resample(input, from, to),
    }
}

/// One channel through the filter bank.
fn polyphase(bank: &FilterBank, x: &[i16]) -> Vec<i16> {
    let (n, taps) = (x.len(), bank.taps);
    if n == 0 {
        return Vec::new();
    }
    let reflection = n.min(taps).div_ceil(2);
    // ext = x[taps] .. x[1], x[0] .. x[n-1], x[n-1] .. x[n-reflection], zeros for the padding
    // the SIMD dot product reads past the last window.
    let mirror = |i: usize| x[i.min(n - 1)];
    let mut ext = Vec::with_capacity(taps + n + reflection + bank.stride);
    ext.extend((1..=taps).rev().map(mirror));
    ext.extend_from_slice(x);
    ext.extend((0..reflection).map(|j| x[n - 1 - j.min(n - 1)]));
    let filled = ext.len();
    ext.resize(filled + bank.stride, 0);

    // Output k's window starts at ext[first + floor(k * step / phases)].
    let first = taps - (taps - 1) / 2;
    let (phases, step) = (bank.phases as usize, bank.step as usize);
    // The last window must end within the filled part: floor(k * step / phases) <= last.
    let Some(last) = (filled + 1).checked_sub(first + taps + 1) else {
        return Vec::new();
    };
    let frames = ((last + 1) * phases).div_ceil(step);
    // Output k = k0 + i * phases (k0 < phases) uses phase (k0 * step) % phases and starts at
    // first + (k0 * step) / phases + i * step: one phase's outputs are evenly spaced. So the
    // bank is walked phase by phase (one phase's coefficients serve four outputs at a time,
    // and no output needs the position bookkeeping), over blocks of PERIODS periods whose
    // input and output stay in cache. Wrapping i32 sums do not depend on the order.
    let mut out = vec![0i16; frames];
    let periods = frames.div_ceil(phases);
    for block in (0..periods).step_by(PERIODS) {
        for k0 in 0..phases.min(frames) {
            let coeffs = bank.phase(k0 * step % phases);
            let start = first + k0 * step / phases;
            let end = (block + PERIODS).min((frames - k0).div_ceil(phases));
            let mut i = block;
            while i + 4 <= end {
                let window = std::array::from_fn(|j| &ext[start + (i + j) * step..]);
                for (j, y) in filter4(window, [coeffs; 4]).into_iter().enumerate() {
                    out[k0 + (i + j) * phases] = y;
                }
                i += 4;
            }
            for i in i..end {
                out[k0 + i * phases] = filter1(&ext[start + i * step..], coeffs);
            }
        }
    }
    out
}

/// Periods (rounds through all phases) per block of [`polyphase`]: 32 x 160 input frames for
/// 16 -> 44.1 kHz, 28 KiB for 44.1 -> 16 kHz.
const PERIODS: usize = 32;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dc_passes_through_and_length_is_ceil_of_the_ratio() {
        for (from, to) in [(16_000, 44_100), (44_100, 16_000), (48_000, 44_100)] {
            let out = resample(vec![vec![10_000i16; 4_000]], from, to).unwrap();
            let frames = (4_000u64 * u64::from(to)).div_ceil(u64::from(from)) as usize;
            assert_eq!(out[0].len(), frames, "{from} -> {to}");
            assert!(
                out[0].iter().all(|&s| (i32::from(s) - 10_000).abs() <= 20),
                "{from} -> {to}: {:?}",
                &out[0][..8]
            );
        }
    }

    #[test]
    fn a_low_tone_keeps_its_amplitude_and_phase() {
        let tone = |rate: u32, n: u32| -> Vec<i16> {
            let step = 2.0 * std::f64::consts::PI * 441.0 / f64::from(rate);
            (0..n)
                .map(|i| ((f64::from(i) * step).sin() * 16_000.0) as i16)
                .collect()
        };
        for (from, to) in [(44_100, 16_000), (16_000, 44_100), (48_000, 44_100)] {
            let out = resample(vec![tone(from, from)], from, to).unwrap();
            let expected = tone(to, to);
            let worst = (1000..to as usize - 1000)
                .map(|i| (i32::from(out[0][i]) - i32::from(expected[i])).abs())
                .max()
                .unwrap();
            assert!(worst < 40, "{from} -> {to} Hz: max deviation {worst}");
        }
    }

    #[test]
    fn short_inputs_do_not_panic() {
        for n in [1, 2, 5, 40, 93] {
            let out = resample(vec![vec![100i16; n]], 44_100, 16_000).unwrap();
            assert!(out[0].len() <= n);
            resample(vec![vec![100i16; n]], 16_000, 44_100).unwrap();
        }
    }
}
