//! The resampler's inner loop: dot products of `i16` samples with `i16` Q15 coefficients,
//! accumulated in wrapping `i32` like FFmpeg's `resample_common`, then rounded, shifted and
//! saturated to `i16`. Four output samples at a time, so the four horizontal sums, the rounding
//! and the narrowing are one vector each. One SIMD vector per 8 taps: Wasm SIMD128
//! (`i32x4.dot_i16x8_s`), x86-64 SSE2 (`pmaddwd`), else plain Rust.

// unsafe here: SIMD128 / SSE2 intrinsics; each block says why it is sound.
#![allow(unsafe_code)]

use crate::filter_bank::{LANES, SHIFT};

/// The four outputs `(sum(window[k][i] * coeffs[k][i]) + (1 << (SHIFT - 1))) >> SHIFT`,
/// saturated to `i16`, `k` in `0..4`. Every `coeffs[k]` is `taps` long, a multiple of
/// [`LANES`]; every `window[k]` at least as long.
#[inline]
pub fn filter4(window: [&[i16]; 4], coeffs: [&[i16]; 4]) -> [i16; 4] {
    let taps = coeffs[0].len();
    assert!(taps.is_multiple_of(LANES));
    let window = window.map(|w| &w[..taps]);
    let coeffs = coeffs.map(|c| &c[..taps]);
    // FFmpeg's default filter for upsampling has 32 taps: with the count a constant the
    // compiler unrolls the loop and keeps the coefficients in registers.
    match taps {
        32 => simd(window, coeffs, 32),
        _ => simd(window, coeffs, taps),
    }
}

/// [`filter4`] for one output (the last few of a channel).
pub fn filter1(window: &[i16], coeffs: &[i16]) -> i16 {
    narrow(scalar(&window[..coeffs.len()], coeffs))
}

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
#[inline(always)]
fn simd(window: [&[i16]; 4], coeffs: [&[i16]; 4], taps: usize) -> [i16; 4] {
    use core::arch::wasm32::*;
    let mut acc = [i32x4_splat(0); 4];
    for i in (0..taps).step_by(LANES) {
        for k in 0..4 {
            // SAFETY: `filter4` cut every slice to `taps` (the count passed here), a multiple of
            // `LANES`, so the 8 `i16`s (16 bytes) at `i` are in bounds; Wasm loads need no
            // alignment.
            let (s, c) = unsafe {
                (
                    v128_load(window[k].as_ptr().add(i).cast::<v128>()),
                    v128_load(coeffs[k].as_ptr().add(i).cast::<v128>()),
                )
            };
            acc[k] = i32x4_add(acc[k], i32x4_dot_i16x8(s, c));
        }
    }
    // Transpose-add: lane k of `sum` is the horizontal sum of `acc[k]`.
    let ab = i32x4_add(
        i32x4_shuffle::<0, 4, 1, 5>(acc[0], acc[1]),
        i32x4_shuffle::<2, 6, 3, 7>(acc[0], acc[1]),
    );
    let cd = i32x4_add(
        i32x4_shuffle::<0, 4, 1, 5>(acc[2], acc[3]),
        i32x4_shuffle::<2, 6, 3, 7>(acc[2], acc[3]),
    );
    let sum = i32x4_add(
        i32x4_shuffle::<0, 1, 4, 5>(ab, cd),
        i32x4_shuffle::<2, 3, 6, 7>(ab, cd),
    );
    let rounded = i32x4_shr(i32x4_add(sum, i32x4_splat(1 << (SHIFT - 1))), SHIFT);
    let out = i16x8_narrow_i32x4(rounded, rounded);
    [
        i16x8_extract_lane::<0>(out),
        i16x8_extract_lane::<1>(out),
        i16x8_extract_lane::<2>(out),
        i16x8_extract_lane::<3>(out),
    ]
}

#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn simd(window: [&[i16]; 4], coeffs: [&[i16]; 4], taps: usize) -> [i16; 4] {
    use core::arch::x86_64::*;
    // SAFETY: SSE2 is part of the x86-64 baseline, so these intrinsics are always available;
    // `filter4` cut every slice to `taps` (the count passed here), a multiple of `LANES`, so
    // each load of 8 `i16`s (16 bytes) at `i` is in bounds, and `loadu` needs no alignment.
    unsafe {
        let mut acc = [_mm_setzero_si128(); 4];
        for i in (0..taps).step_by(LANES) {
            for k in 0..4 {
                let s = _mm_loadu_si128(window[k].as_ptr().add(i).cast::<__m128i>());
                let c = _mm_loadu_si128(coeffs[k].as_ptr().add(i).cast::<__m128i>());
                acc[k] = _mm_add_epi32(acc[k], _mm_madd_epi16(s, c));
            }
        }
        // Transpose-add: lane k of `sum` is the horizontal sum of `acc[k]`.
        let ab = _mm_add_epi32(
            _mm_unpacklo_epi32(acc[0], acc[1]),
            _mm_unpackhi_epi32(acc[0], acc[1]),
        );
        let cd = _mm_add_epi32(
            _mm_unpacklo_epi32(acc[2], acc[3]),
            _mm_unpackhi_epi32(acc[2], acc[3]),
        );
        let sum = _mm_add_epi32(_mm_unpacklo_epi64(ab, cd), _mm_unpackhi_epi64(ab, cd));
        let rounded = _mm_srai_epi32::<{ SHIFT as i32 }>(_mm_add_epi32(
            sum,
            _mm_set1_epi32(1 << (SHIFT - 1)),
        ));
        let out = _mm_packs_epi32(rounded, rounded);
        let mut lanes = [0i16; 8];
        _mm_storeu_si128(lanes.as_mut_ptr().cast::<__m128i>(), out);
        [lanes[0], lanes[1], lanes[2], lanes[3]]
    }
}

#[cfg(not(any(
    target_arch = "x86_64",
    all(target_arch = "wasm32", target_feature = "simd128")
)))]
#[inline]
fn simd(window: [&[i16]; 4], coeffs: [&[i16]; 4], _taps: usize) -> [i16; 4] {
    std::array::from_fn(|k| filter1(window[k], coeffs[k]))
}

/// The wrapping dot product, plainly (the reference the SIMD forms are tested against).
fn scalar(window: &[i16], coeffs: &[i16]) -> i32 {
    window.iter().zip(coeffs).fold(0i32, |acc, (&s, &c)| {
        acc.wrapping_add(i32::from(s) * i32::from(c))
    })
}

fn narrow(acc: i32) -> i16 {
    (acc.wrapping_add(1 << (SHIFT - 1)) >> SHIFT).clamp(i32::from(i16::MIN), i32::from(i16::MAX))
        as i16
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn four_at_once_equals_one_at_a_time_even_when_it_wraps_or_saturates() {
        let samples: Vec<i16> = (0..80).map(|i| (i * 7919 % 65536 - 32768) as i16).collect();
        let coeffs: Vec<i16> = (0..128)
            .map(|i| (i * 104_729 % 65536 - 32768) as i16)
            .collect();
        let extreme = vec![i16::MIN; 32];
        let window = [&samples[..], &samples[5..], &extreme[..], &samples[40..]];
        let taps = [&coeffs[..32], &coeffs[32..64], &extreme[..], &coeffs[96..]];
        let expected: [i16; 4] = std::array::from_fn(|k| filter1(window[k], taps[k]));
        assert_eq!(filter4(window, taps), expected);
        assert_eq!(expected[2], narrow(scalar(&extreme, &extreme)));
    }
}
