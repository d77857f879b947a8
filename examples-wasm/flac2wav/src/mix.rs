//! Channel mixing (`-ac`), with FFmpeg's default matrices for the cases that matter.
//!
//! | from → to | each output channel |
//! |---|---|
//! | n → n | the same input channel |
//! | 1 → 2 | mono × √½ (FFmpeg's −3 dB centre-to-front pan) |
//! | 2 → 1 | (left + right) / 2 |
//! | n → m, m < n | the mean of inputs `i` with `i % m` equal to its index |
//! | n → m, m > n | input `i` for the first `n` outputs, silence after |
//!
//! The last two are plain, layout-blind rules; FFmpeg follows named channel layouts there
//! (e.g. mono to 5.1 lands on the centre channel).

/// Mixes planar `input` (all channels the same length) to `channels` output channels.
pub fn mix(input: Vec<Vec<f32>>, channels: usize) -> Vec<Vec<f32>> {
    let from = input.len();
    if from == channels || from == 0 {
        return input;
    }
    let matrix = matrix(from, channels);
    let frames = input[0].len();
    matrix
        .iter()
        .map(|weights| {
            let mut out = vec![0.0f32; frames];
            for (source, &weight) in input.iter().zip(weights) {
                if weight != 0.0 {
                    for (o, &s) in out.iter_mut().zip(source) {
                        *o += s * weight;
                    }
                }
            }
            out
        })
        .collect()
}

/// `matrix[out][in]`: the weight of input channel `in` in output channel `out`.
fn matrix(from: usize, to: usize) -> Vec<Vec<f32>> {
    let mut matrix = vec![vec![0.0f32; from]; to];
    match (from, to) {
        (1, 2) => {
            matrix[0][0] = std::f32::consts::FRAC_1_SQRT_2;
            matrix[1][0] = std::f32::consts::FRAC_1_SQRT_2;
        }
        (f, t) if t < f => {
            for (out, row) in matrix.iter_mut().enumerate() {
                let sources: Vec<usize> = (out..f).step_by(t).collect();
                for &i in &sources {
                    row[i] = 1.0 / sources.len() as f32;
                }
            }
        }
        (f, _) => {
            for (i, row) in matrix.iter_mut().enumerate().take(f) {
                row[i] = 1.0;
            }
        }
    }
    matrix
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stereo_to_mono_averages() {
        let out = mix(vec![vec![1.0, 0.5], vec![0.0, -0.5]], 1);
        assert_eq!(out, vec![vec![0.5, 0.0]]);
    }

    #[test]
    fn mono_to_stereo_pans_at_minus_3_db() {
        let out = mix(vec![vec![1.0]], 2);
        let w = std::f32::consts::FRAC_1_SQRT_2;
        assert_eq!(out, vec![vec![w], vec![w]]);
    }

    #[test]
    fn other_counts_follow_the_plain_rules() {
        let six: Vec<Vec<f32>> = (0..6).map(|c| vec![c as f32]).collect();
        let out = mix(six, 4);
        assert_eq!(out, vec![vec![2.0], vec![3.0], vec![2.0], vec![3.0]]);
        let out = mix(vec![vec![1.0], vec![2.0]], 3);
        assert_eq!(out, vec![vec![1.0], vec![2.0], vec![0.0]]);
        let same = vec![vec![0.25, 0.5]];
        assert_eq!(mix(same.clone(), 1), same);
    }
}
