//! The resampler's inner loop: a dot product of `i16` samples with `i16` Q15 coefficients,
//! accumulated in wrapping `i32` like FFmpeg's `resample_common`. One SIMD vector per 8 taps:
//! Wasm SIMD128 (`i32x4.dot_i16x8_s`), x86-64 SSE2 (`pmaddwd`), else plain Rust that LLVM
//! vectorises.

use crate::filter_bank::LANES;

/// `sum(samples[i] * coeffs[i])` in wrapping `i32`. `coeffs.len()` is a multiple of [`LANES`]
/// and `samples` is at least as long.
#[inline]
pub fn dot(samples: &[i16], coeffs: &[i16]) -> i32 {
    assert!(coeffs.len().is_multiple_of(LANES) && samples.len() >= coeffs.len());
    simd(&samples[..coeffs.len()], coeffs)
}

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
#[inline]
fn simd(samples: &[i16], coeffs: &[i16]) -> i32 {
    use core::arch::wasm32::*;
    let mut acc = i32x4_splat(0);
    for (s, c) in samples.chunks_exact(LANES).zip(coeffs.chunks_exact(LANES)) {
        // SAFETY: `s` and `c` are 8 `i16`s (16 bytes) each, in bounds; Wasm loads need no
        // alignment.
        let (s, c) = unsafe {
            (
                v128_load(s.as_ptr().cast::<v128>()),
                v128_load(c.as_ptr().cast::<v128>()),
            )
        };
        acc = i32x4_add(acc, i32x4_dot_i16x8(s, c));
    }
    i32x4_extract_lane::<0>(acc)
        .wrapping_add(i32x4_extract_lane::<1>(acc))
        .wrapping_add(i32x4_extract_lane::<2>(acc))
        .wrapping_add(i32x4_extract_lane::<3>(acc))
}

#[cfg(target_arch = "x86_64")]
#[inline]
fn simd(samples: &[i16], coeffs: &[i16]) -> i32 {
    use core::arch::x86_64::*;
    // SAFETY: SSE2 is part of the x86-64 baseline, so these intrinsics are always available;
    // every load reads 8 `i16`s (16 bytes) of a chunk that `chunks_exact` keeps in bounds, and
    // `loadu` needs no alignment.
    unsafe {
        let mut acc = _mm_setzero_si128();
        for (s, c) in samples.chunks_exact(LANES).zip(coeffs.chunks_exact(LANES)) {
            let s = _mm_loadu_si128(s.as_ptr().cast::<__m128i>());
            let c = _mm_loadu_si128(c.as_ptr().cast::<__m128i>());
            acc = _mm_add_epi32(acc, _mm_madd_epi16(s, c));
        }
        let hi = _mm_shuffle_epi32::<0b01_00_11_10>(acc);
        acc = _mm_add_epi32(acc, hi);
        let hi = _mm_shuffle_epi32::<0b10_11_00_01>(acc);
        _mm_cvtsi128_si32(_mm_add_epi32(acc, hi))
    }
}

#[cfg(not(any(
    target_arch = "x86_64",
    all(target_arch = "wasm32", target_feature = "simd128")
)))]
#[inline]
fn simd(samples: &[i16], coeffs: &[i16]) -> i32 {
    scalar(samples, coeffs)
}

/// The portable form (and the reference the SIMD forms are tested against).
#[cfg_attr(
    any(
        target_arch = "x86_64",
        all(target_arch = "wasm32", target_feature = "simd128")
    ),
    allow(dead_code)
)]
fn scalar(samples: &[i16], coeffs: &[i16]) -> i32 {
    samples.iter().zip(coeffs).fold(0i32, |acc, (&s, &c)| {
        acc.wrapping_add(i32::from(s) * i32::from(c))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simd_equals_scalar_even_when_it_wraps() {
        let samples: Vec<i16> = (0..40).map(|i| (i * 7919 % 65536 - 32768) as i16).collect();
        let coeffs: Vec<i16> = (0..32)
            .map(|i| (i * 104_729 % 65536 - 32768) as i16)
            .collect();
        assert_eq!(dot(&samples, &coeffs), scalar(&samples[..32], &coeffs));
        let extreme = vec![i16::MIN; 32];
        assert_eq!(dot(&extreme, &extreme), scalar(&extreme, &extreme));
    }
}
