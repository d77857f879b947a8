//! flac2wav's fidelity against FFmpeg on speech.
//!
//! Speech comes from espeak-ng (22.05 kHz mono), is re-sampled/re-mixed by FFmpeg into other
//! sources where needed, and FLAC-encoded by `flac`. For each case the test runs
//! `ffmpeg -i in.flac -ar AR -ac AC -c:a pcm_s16le ref.wav` and
//! `transform(in.flac, {"AR":AR,"AC":AC})`, prints the figures (max abs difference, samples
//! that differ, SNR with FFmpeg's output as the signal) at the best alignment within
//! ±[`MAX_LAG`] frames, and requires the same rate, channel count and length within
//! [`MAX_FRAME_DIFF`] frames, and then every sample within 1 LSB, or else an SNR of at least
//! [`MIN_SNR_DB`] dB (only the fallback resampler's ratios may take the SNR route; see
//! `FALLBACK_SNR_DB`). Needs espeak-ng, flac and ffmpeg on PATH (scripts/test.sh lists them).

use std::path::Path;
use std::process::Command;

use lode_example_flac2wav::transform;

const MIN_SNR_DB: f64 = 60.0;
/// Ratios without an exact-rational filter bank use rubato: near FFmpeg, not equal.
const FALLBACK_SNR_DB: f64 = 30.0;
const MAX_FRAME_DIFF: usize = 2;
const MAX_LAG: isize = 64;
const TEXT: &str =
    "The quick brown fox jumps over the lazy dog. Lode runs transforms next to the data.";

fn run(cmd: &mut Command) {
    let out = cmd
        .output()
        .unwrap_or_else(|err| {
            panic!(
                "cannot run `{}` (is it installed? the fidelity test needs espeak-ng, flac and ffmpeg): {err}",
                cmd.get_program().to_string_lossy()
            )
        });
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn ffmpeg(args: &[&str]) {
    run(Command::new("ffmpeg")
        .args(["-v", "error", "-nostdin", "-y"])
        .args(args));
}

/// Makes `name.flac` in `dir`: espeak-ng speech, passed through `ffmpeg_filter` args if any.
fn source(dir: &Path, name: &str, ffmpeg_args: &[&str]) -> Vec<u8> {
    let speech = dir.join("speech.wav");
    if !speech.exists() {
        run(Command::new("espeak-ng").arg("-w").arg(&speech).arg(TEXT));
    }
    let wav = dir.join(format!("{name}.wav"));
    let mut args = vec!["-i", speech.to_str().unwrap()];
    args.extend_from_slice(ffmpeg_args);
    args.push(wav.to_str().unwrap());
    ffmpeg(&args);
    let flac = dir.join(format!("{name}.flac"));
    run(Command::new("flac")
        .args(["--silent", "--force", "-o"])
        .arg(&flac)
        .arg(&wav));
    std::fs::read(flac).unwrap()
}

struct Wav {
    rate: u32,
    channels: usize,
    /// Interleaved samples.
    samples: Vec<i16>,
}

impl Wav {
    fn parse(bytes: &[u8]) -> Wav {
        assert_eq!(&bytes[..4], b"RIFF");
        assert_eq!(&bytes[8..12], b"WAVE");
        let (mut pos, mut fmt, mut data) = (12, None, None);
        while pos + 8 <= bytes.len() {
            let len = u32::from_le_bytes(bytes[pos + 4..pos + 8].try_into().unwrap()) as usize;
            let body = &bytes[pos + 8..(pos + 8 + len).min(bytes.len())];
            match &bytes[pos..pos + 4] {
                b"fmt " => fmt = Some(body),
                b"data" => data = Some(body),
                _ => {}
            }
            pos += 8 + len + (len & 1);
        }
        let (fmt, data) = (fmt.expect("fmt chunk"), data.expect("data chunk"));
        assert_eq!(u16::from_le_bytes([fmt[0], fmt[1]]), 1, "PCM");
        assert_eq!(u16::from_le_bytes([fmt[14], fmt[15]]), 16, "16-bit");
        Wav {
            channels: usize::from(u16::from_le_bytes([fmt[2], fmt[3]])),
            rate: u32::from_le_bytes(fmt[4..8].try_into().unwrap()),
            samples: data
                .chunks_exact(2)
                .map(|b| i16::from_le_bytes([b[0], b[1]]))
                .collect(),
        }
    }

    fn frames(&self) -> usize {
        self.samples.len() / self.channels
    }

    fn channel(&self, c: usize) -> Vec<f64> {
        self.samples
            .iter()
            .skip(c)
            .step_by(self.channels)
            .map(|&s| f64::from(s))
            .collect()
    }
}

/// The figures of `ours` against `reference` at the lag in ±MAX_LAG with the best SNR:
/// (SNR in dB, lag, max abs difference, samples that differ).
fn compare(reference: &[f64], ours: &[f64]) -> (f64, isize, f64, usize) {
    (-MAX_LAG..=MAX_LAG)
        .map(|lag| {
            let (mut signal, mut noise, mut worst, mut differ) = (0.0, 0.0, 0.0f64, 0);
            for (i, r) in reference.iter().enumerate() {
                let j = i as isize + lag;
                let o = if j >= 0 {
                    ours.get(j as usize).copied().unwrap_or(0.0)
                } else {
                    0.0
                };
                signal += r * r;
                noise += (r - o) * (r - o);
                worst = worst.max((r - o).abs());
                differ += usize::from(r != &o);
            }
            (
                10.0 * (signal / noise.max(1e-9)).log10(),
                lag,
                worst,
                differ,
            )
        })
        .fold(
            (f64::MIN, 0, 0.0, 0),
            |best, x| if x.0 > best.0 { x } else { best },
        )
}

fn check(dir: &Path, flac: &[u8], rate: u32, channels: usize) {
    check_with(dir, flac, rate, channels, MIN_SNR_DB)
}

fn check_with(dir: &Path, flac: &[u8], rate: u32, channels: usize, min_snr: f64) {
    let input = dir.join("input.flac");
    std::fs::write(&input, flac).unwrap();
    let reference = dir.join(format!("ref-{rate}-{channels}.wav"));
    let (ar, ac) = (rate.to_string(), channels.to_string());
    ffmpeg(&[
        "-i",
        input.to_str().unwrap(),
        "-ar",
        &ar,
        "-ac",
        &ac,
        "-c:a",
        "pcm_s16le",
        reference.to_str().unwrap(),
    ]);
    let reference = Wav::parse(&std::fs::read(reference).unwrap());
    let ours =
        Wav::parse(&transform(flac, &format!(r#"{{"AR":{rate},"AC":{channels}}}"#)).unwrap());

    assert_eq!((ours.rate, ours.channels), (rate, channels));
    assert_eq!((reference.rate, reference.channels), (rate, channels));
    let diff = ours.frames().abs_diff(reference.frames());
    assert!(
        diff <= MAX_FRAME_DIFF,
        "{} frames vs ffmpeg's {}",
        ours.frames(),
        reference.frames()
    );
    for c in 0..channels {
        let (snr, lag, worst, differ) = compare(&reference.channel(c), &ours.channel(c));
        eprintln!(
            "AR={rate} AC={channels} channel {c}: max abs diff {worst} LSB, {differ} of {} samples differ, SNR {snr:.1} dB, lag {lag}, frames {} vs ffmpeg's {}",
            reference.frames(),
            ours.frames(),
            reference.frames()
        );
        assert!(
            worst <= 1.0 || snr >= min_snr,
            "channel {c}: max abs diff {worst} LSB and SNR {snr:.1} dB < {min_snr} dB (lag {lag})"
        );
    }
}

#[test]
fn speech_16k_mono_to_the_seed_settings() {
    let dir = tempfile::tempdir().unwrap();
    let flac = source(dir.path(), "s16k", &["-ar", "16000"]);
    check(dir.path(), &flac, 44_100, 2);
}

#[test]
fn speech_44k_stereo_down_to_16k_mono() {
    let dir = tempfile::tempdir().unwrap();
    let flac = source(
        dir.path(),
        "s44k",
        &["-ar", "44100", "-af", "pan=stereo|c0=c0|c1=0.3*c0"],
    );
    check(dir.path(), &flac, 16_000, 1);
}

#[test]
fn a_ratio_without_an_exact_filter_bank_falls_back_close_to_ffmpeg() {
    let dir = tempfile::tempdir().unwrap();
    let flac = source(dir.path(), "s44k1", &["-ar", "44100"]);
    check_with(dir.path(), &flac, 44_101, 1, FALLBACK_SNR_DB);
}

#[test]
fn speech_22k_mono_to_the_seed_settings_and_to_16k_mono() {
    let dir = tempfile::tempdir().unwrap();
    let flac = source(dir.path(), "s22k", &[]);
    check(dir.path(), &flac, 44_100, 2);
    check(dir.path(), &flac, 16_000, 1);
    check(dir.path(), &flac, 22_050, 1);
}

#[test]
fn speech_8k_mono_up_to_44k_stereo() {
    let dir = tempfile::tempdir().unwrap();
    let flac = source(dir.path(), "s8k", &["-ar", "8000"]);
    check(dir.path(), &flac, 44_100, 2);
}

#[test]
fn speech_48k_stereo_down_to_16k_mono_and_44k_stereo() {
    let dir = tempfile::tempdir().unwrap();
    // Distinct channels, so the downmix weights matter.
    let flac = source(
        dir.path(),
        "s48k",
        &["-ar", "48000", "-af", "pan=stereo|c0=c0|c1=-0.5*c0"],
    );
    check(dir.path(), &flac, 16_000, 1);
    check(dir.path(), &flac, 44_100, 2);
}

#[test]
fn default_args_are_44k_stereo_and_bad_args_are_clear() {
    let dir = tempfile::tempdir().unwrap();
    let flac = source(dir.path(), "s22k", &[]);
    let wav = Wav::parse(&transform(&flac, "").unwrap());
    assert_eq!((wav.rate, wav.channels), (44_100, 2));
    let err = transform(&flac, "AR=16000").unwrap_err();
    assert!(
        err.message()
            .contains(r#"JSON object like {"AR":44100,"AC":2}"#),
        "{err}"
    );
    let err = transform(b"not flac at all", "").unwrap_err();
    assert!(err.message().contains("not valid FLAC"), "{err}");
}
