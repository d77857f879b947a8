//! The polyphase filter bank of FFmpeg's default resampler (libswresample, `resample.c`
//! `resample_init` + `build_filter`, as in FFmpeg 5.1 with its default options): Kaiser-windowed
//! sinc (beta 9), `filter_size` 32, cutoff 0.97 of the lower Nyquist frequency, exact rational
//! phases, Q15 `int16` coefficients normalised by phase 0's sum.

use std::f64::consts::PI;

/// swresample's `filter_size` option (default 32): taps per phase at factor 1.
const FILTER_SIZE: f64 = 32.0;
/// `1 << phase_shift` (default 10): the most phases an exact-rational bank may have.
pub const MAX_PHASES: u32 = 1 << 10;
/// swresample's default `cutoff`, relative to the lower of the two Nyquist frequencies.
const CUTOFF: f64 = 0.97;
/// swresample's default `kaiser_beta`.
const KAISER_BETA: f64 = 9.0;
/// Q15: coefficients of one phase sum to about `1 << 15`.
pub const SHIFT: u32 = 15;
/// Each phase's coefficients are padded with zeros to a multiple of this many (one SIMD vector
/// of `i16`), so the dot product needs no tail loop.
pub const LANES: usize = 8;

/// `phases` filters of `taps` Q15 coefficients each, phase `p` at `coeffs[p * stride..]`.
pub struct FilterBank {
    /// Taps per phase (FFmpeg's `filter_length`).
    pub taps: usize,
    /// Distance between phases in `coeffs`: `taps` rounded up to [`LANES`], zero padded.
    pub stride: usize,
    /// Phase count: `to / gcd(from, to)`.
    pub phases: u32,
    /// Input frames per output frame, in phases: `from / gcd(from, to)`.
    pub step: u32,
    /// The coefficients.
    pub coeffs: Vec<i16>,
}

fn gcd(mut a: u32, mut b: u32) -> u32 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

impl FilterBank {
    /// The bank FFmpeg uses for `from` -> `to` Hz, or `None` when the ratio needs more than
    /// [`MAX_PHASES`] phases (FFmpeg then interpolates between 1024 phases; flac2wav falls back
    /// to another resampler, see `resample`).
    pub fn new(from: u32, to: u32) -> Option<FilterBank> {
        if from == 0 || to == 0 {
            return None;
        }
        let g = gcd(from, to);
        let (phases, step) = (to / g, from / g);
        if phases > MAX_PHASES {
            return None;
        }
        let factor = (f64::from(to) * CUTOFF / f64::from(from)).min(1.0);
        let mut taps = ((FILTER_SIZE / factor).ceil() as usize).max(1);
        if taps > 1 {
            taps = taps.next_multiple_of(2);
        }
        let stride = taps.next_multiple_of(LANES);
        let mut coeffs = vec![0i16; stride * phases as usize];
        build(&mut coeffs, factor, taps, stride, phases as usize);
        Some(FilterBank {
            taps,
            stride,
            phases,
            step,
            coeffs,
        })
    }

    /// Phase `p`'s coefficients, `stride` long (zeros past `taps`).
    pub fn phase(&self, p: usize) -> &[i16] {
        &self.coeffs[p * self.stride..(p + 1) * self.stride]
    }
}

/// FFmpeg's `build_filter` for `AV_SAMPLE_FMT_S16P` and `SWR_FILTER_TYPE_KAISER`, operation for
/// operation (the sine table for factor 1, the norm taken from phase 0 only, and for an even
/// phase count the upper half mirrored from the lower), so the coefficients come out the same.
fn build(coeffs: &mut [i16], factor: f64, taps: usize, stride: usize, phases: usize) {
    let computed = if phases % 2 == 1 {
        phases
    } else {
        phases / 2 + 1
    };
    let center = (taps as i64 - 1) / 2;
    let sign = if center & 1 == 1 { 1.0 } else { -1.0 };
    let scale = f64::from(1u32 << SHIFT);
    let mut tab = vec![0.0f64; taps];
    let mut norm = 0.0f64;
    for ph in 0..computed {
        let mut s = if factor == 1.0 {
            (PI * ph as f64 / phases as f64).sin() * sign
        } else {
            0.0
        };
        for (i, slot) in tab.iter_mut().enumerate() {
            let x = PI * ((i as i64 - center) as f64 - ph as f64 / phases as f64) * factor;
            let mut y = if x == 0.0 {
                1.0
            } else if factor == 1.0 {
                s / x
            } else {
                x.sin() / x
            };
            let w = 2.0 * x / (factor * taps as f64 * PI);
            y *= bessel_i0(KAISER_BETA * (1.0 - w * w).max(0.0).sqrt());
            *slot = y;
            s = -s;
            if ph == 0 {
                norm += y;
            }
        }
        for (i, &t) in tab.iter().enumerate() {
            // lrintf: to float, then round half to even; then av_clip_int16.
            let q = ((t * scale / norm) as f32).round_ties_even();
            coeffs[ph * stride + i] = q.clamp(-32768.0, 32767.0) as i16;
        }
        // The upper phases mirror the lower ones; phase `phases` itself is not stored.
        if phases.is_multiple_of(2) && ph > 0 {
            for i in 0..taps {
                coeffs[(phases - ph) * stride + taps - 1 - i] = coeffs[ph * stride + i];
            }
        }
    }
}

/// Horner's rule as FFmpeg's `eval_poly`: `coeff[0] + coeff[1] x + ...`.
fn eval_poly(coeff: &[f64], x: f64) -> f64 {
    let mut iter = coeff.iter().rev();
    let mut sum = iter.next().copied().unwrap_or(0.0);
    for &c in iter {
        sum *= x;
        sum += c;
    }
    sum
}

/// The modified Bessel function I0 as libswresample computes it (minimax rational
/// approximations, Blair and Edwards, Chalk River Report AECL-4928, 1974). The constants are
/// written as libswresample writes them, digits beyond f64's included.
#[allow(clippy::excessive_precision)]
fn bessel_i0(x: f64) -> f64 {
    const P1: [f64; 15] = [
        -2.233_558_263_947_437_5e15,
        -5.505_036_967_301_842_8e14,
        -3.294_008_762_740_775e13,
        -8.492_510_124_711_416e11,
        -1.191_274_610_498_523_7e10,
        -1.031_306_670_873_798e8,
        -5.954_562_601_984_79e5,
        -2.412_519_587_604_19e3,
        -7.093_534_744_921_055,
        -1.545_397_779_178_685e-2,
        -2.517_264_467_068_897_5e-5,
        -3.051_722_645_045_107e-8,
        -2.684_344_857_346_848_3e-11,
        -1.598_222_667_565_318_5e-14,
        -5.248_786_662_794_57e-18,
    ];
    const Q1: [f64; 6] = [
        -2.233_558_263_947_437_5e15,
        7.885_869_256_675_1e12,
        -1.220_706_739_780_898e10,
        1.037_708_105_806_216_6e7,
        -4.852_756_017_996_277e3,
        1.0,
    ];
    const P2: [f64; 7] = [
        -2.221_026_223_330_657_3e-4,
        1.306_739_203_810_692_4e-2,
        -4.470_080_572_117_445_4e-1,
        5.567_451_837_124_076,
        -2.351_794_567_923_948e1,
        3.161_132_281_870_113e1,
        -9.609_002_196_865_618,
    ];
    const Q2: [f64; 8] = [
        -5.519_433_023_100_548e-4,
        3.254_769_759_481_961_5e-2,
        -1.115_175_918_874_131_3,
        1.398_259_535_389_285_2e1,
        -6.022_800_206_674_334e1,
        8.553_956_325_801_293e1,
        -3.144_669_027_513_549e1,
        1.0,
    ];
    if x == 0.0 {
        return 1.0;
    }
    let x = x.abs();
    if x <= 15.0 {
        let y = x * x;
        eval_poly(&P1, y) / eval_poly(&Q1, y)
    } else {
        let y = 1.0 / x - 1.0 / 15.0;
        let r = eval_poly(&P2, y) / eval_poly(&Q2, y);
        x.exp() / x.sqrt() * r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seed_ratio_has_441_phases_of_32_taps() {
        let bank = FilterBank::new(16_000, 44_100).unwrap();
        assert_eq!(
            (bank.phases, bank.step, bank.taps, bank.stride),
            (441, 160, 32, 32)
        );
        let down = FilterBank::new(44_100, 16_000).unwrap();
        // ceil(32 / (16000 * 0.97 / 44100)) = 91, rounded up to even; padded to 96.
        assert_eq!(
            (down.phases, down.step, down.taps, down.stride),
            (160, 441, 92, 96)
        );
        let near = FilterBank::new(48_000, 44_100).unwrap();
        assert_eq!((near.phases, near.step), (147, 160));
        assert!(FilterBank::new(44_100, 44_101).is_none(), "44101 phases");
    }

    #[test]
    fn every_phase_sums_to_about_one_in_q15() {
        for (from, to) in [
            (16_000, 44_100),
            (44_100, 16_000),
            (48_000, 44_100),
            (22_050, 44_100),
        ] {
            let bank = FilterBank::new(from, to).unwrap();
            for p in 0..bank.phases as usize {
                let sum: i32 = bank.phase(p).iter().map(|&c| i32::from(c)).sum();
                assert!(
                    (sum - 32768).abs() <= 48,
                    "{from} -> {to} Hz phase {p}: coefficients sum to {sum}"
                );
                assert!(bank.phase(p)[bank.taps..].iter().all(|&c| c == 0));
            }
        }
    }

    #[test]
    fn upsampling_phase_0_is_an_impulse_at_the_centre_tap() {
        let bank = FilterBank::new(16_000, 44_100).unwrap();
        let p0 = bank.phase(0);
        // Upsampling: phase 0 samples the sinc at whole input frames, so it is a unit impulse
        // at the centre tap: 32768, clipped to 32767 as FFmpeg does.
        assert_eq!(p0[15], 32767);
        assert!(
            p0.iter().enumerate().all(|(i, &c)| i == 15 || c == 0),
            "{p0:?}"
        );
    }

    #[test]
    fn bessel_i0_matches_its_series() {
        for x in [0.0f64, 0.5, 3.0, 9.0] {
            let series: f64 = (0..60)
                .scan(1.0f64, |term, k| {
                    let t = *term;
                    *term *= (x / 2.0).powi(2) / f64::from((k + 1) * (k + 1));
                    Some(t)
                })
                .sum();
            assert!((bessel_i0(x) / series - 1.0).abs() < 1e-12, "I0({x})");
        }
    }
}
