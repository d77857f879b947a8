//! Channel mixing (`-ac`) as swresample's `s16` rematrix does it: a Q15 integer matrix, each
//! output `(sum(coeff * in) + (1 << 14)) >> 15`, with FFmpeg's default matrices where it matters.
//!
//! | from → to | each output channel |
//! |---|---|
//! | n → n | the same input channel |
//! | 1 → 2 | mono × √½ (23170 in Q15; FFmpeg's −3 dB centre-to-front pan) |
//! | 2 → 1 | (left + right) / 2 (16384 each) |
//! | n → m, m < n | the mean of inputs `i` with `i % m` equal to its index |
//! | n → m, m > n | input `i` for the first `n` outputs, silence after |
//!
//! The last two are plain, layout-blind rules; FFmpeg follows named channel layouts there
//! (e.g. mono to 5.1 lands on the centre channel). Float weights become Q15 the way
//! swresample's `swri_rematrix_init` does it (`lrintf`, carrying the rounding error along the
//! row).

/// Mixes planar `input` (all channels the same length) to `channels` output channels.
pub fn mix(input: Vec<Vec<i16>>, channels: usize) -> Vec<Vec<i16>> {
    let from = input.len();
    if from == channels || from == 0 {
        return input;
    }
    let frames = input[0].len();
    let matrix = matrix(from, channels);
    let mut out: Vec<Vec<i16>> = Vec::with_capacity(channels);
    for (i, row) in matrix.iter().enumerate() {
        // Equal rows (mono to stereo: both channels) are computed once.
        let mixed = match matrix[..i].iter().position(|earlier| earlier == row) {
            Some(same) => out[same].clone(),
            None => mix_row(&input, row, frames),
        };
        out.push(mixed);
    }
    out
}

/// One output channel: `row[i]` is input channel `i`'s Q15 weight.
fn mix_row(input: &[Vec<i16>], row: &[i32], frames: usize) -> Vec<i16> {
    let narrow = |a: i32| (a >> 15).clamp(i32::from(i16::MIN), i32::from(i16::MAX)) as i16;
    let sources: Vec<(&Vec<i16>, i32)> = input
        .iter()
        .zip(row.iter().copied())
        .filter(|&(_, coeff)| coeff != 0)
        .collect();
    match sources[..] {
        [] => vec![0; frames],
        [(source, coeff)] => source
            .iter()
            .map(|&s| narrow((1 << 14) + coeff * i32::from(s)))
            .collect(),
        _ => {
            let mut acc = vec![1i32 << 14; frames];
            for (source, coeff) in sources {
                for (a, &s) in acc.iter_mut().zip(source) {
                    *a = a.wrapping_add(coeff * i32::from(s));
                }
            }
            acc.into_iter().map(narrow).collect()
        }
    }
}

/// Whether FFmpeg resamples before it mixes (`swr_init`'s `resample_first`, integer division
/// and all): upmixes with a large enough rate increase resample the fewer channels first.
pub fn resample_first(from_channels: usize, to_channels: usize, from: u32, to: u32) -> bool {
    let channel_ratio = (to_channels / from_channels.max(1)) as f32 - 1.0;
    channel_ratio < to as f32 / from as f32 - 1.0
}

/// `matrix[out][in]` in Q15: the weight of input channel `in` in output channel `out`.
fn matrix(from: usize, to: usize) -> Vec<Vec<i32>> {
    let mut weights = vec![vec![0.0f64; from]; to];
    match (from, to) {
        (1, 2) => {
            weights[0][0] = std::f64::consts::FRAC_1_SQRT_2;
            weights[1][0] = std::f64::consts::FRAC_1_SQRT_2;
        }
        (f, t) if t < f => {
            for (out, row) in weights.iter_mut().enumerate() {
                let sources: Vec<usize> = (out..f).step_by(t).collect();
                for &i in &sources {
                    row[i] = 1.0 / sources.len() as f64;
                }
            }
        }
        (f, _) => {
            for (i, row) in weights.iter_mut().enumerate().take(f) {
                row[i] = 1.0;
            }
        }
    }
    weights
        .iter()
        .map(|row| {
            let mut rem = 0.0f64;
            row.iter()
                .map(|&w| {
                    let target = w * 32768.0 + rem;
                    let q = (target as f32).round_ties_even() as i32;
                    rem += target - f64::from(q);
                    q
                })
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stereo_to_mono_averages() {
        let out = mix(vec![vec![10_000, 501, -3], vec![0, 500, -4]], 1);
        assert_eq!(out, vec![vec![5000, 501, -3]]);
    }

    #[test]
    fn mono_to_stereo_pans_at_minus_3_db() {
        assert_eq!(matrix(1, 2), vec![vec![23170], vec![23170]]);
        let out = mix(vec![vec![32767, -32768]], 2);
        assert_eq!(out, vec![vec![23169, -23170]; 2]); // (23170 * s + 16384) >> 15
    }

    #[test]
    fn other_counts_follow_the_plain_rules() {
        let six: Vec<Vec<i16>> = (0..6).map(|c| vec![c * 300]).collect();
        let out = mix(six, 4);
        assert_eq!(out, vec![vec![600], vec![900], vec![600], vec![900]]);
        let out = mix(vec![vec![1], vec![2]], 3);
        assert_eq!(out, vec![vec![1], vec![2], vec![0]]);
        let same = vec![vec![25, 50]];
        assert_eq!(mix(same.clone(), 1), same);
    }

    #[test]
    fn the_order_follows_ffmpeg() {
        assert!(resample_first(1, 2, 16_000, 44_100));
        assert!(resample_first(2, 1, 44_100, 16_000), "1 / 2 is 0 in C");
        assert!(!resample_first(1, 2, 44_100, 16_000));
    }
}
