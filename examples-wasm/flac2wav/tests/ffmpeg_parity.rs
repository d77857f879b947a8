//! flac2wav against FFmpeg on real speech.
//!
//! Speech comes from espeak-ng (22.05 kHz mono), is re-sampled/re-mixed by FFmpeg into other
//! sources where needed, and FLAC-encoded by `flac`. For each case the test runs
//! `ffmpeg -i in.flac -ar AR -ac AC ref.wav` and `transform(in.flac, {"AR":AR,"AC":AC})`, and
//! requires: the same sample rate and channel count, lengths within [`MAX_FRAME_DIFF`] frames,
//! and per channel a signal-to-noise ratio (FFmpeg's output as the signal, the difference as
//! the noise) of at least [`MIN_SNR_DB`] dB at the best alignment within ±[`MAX_LAG`] frames.
//! Needs espeak-ng, flac and ffmpeg on PATH (scripts/test.sh lists them).

use std::path::Path;
use std::process::Command;

use lode_example_flac2wav::transform;

const MIN_SNR_DB: f64 = 30.0;
const MAX_FRAME_DIFF: usize = 2;
const MAX_LAG: isize = 64;
const TEXT: &str =
    "The quick brown fox jumps over the lazy dog. Lode runs transforms next to the data.";

fn run(cmd: &mut Command) {
    let out = cmd
        .output()
        .unwrap_or_else(|err| panic!("cannot run {cmd:?} (is it installed?): {err}"));
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

/// Best SNR in dB of `ours` against `reference` over lags in ±MAX_LAG, and that lag.
fn best_snr(reference: &[f64], ours: &[f64]) -> (f64, isize) {
    (-MAX_LAG..=MAX_LAG)
        .map(|lag| {
            let (mut signal, mut noise) = (0.0, 0.0);
            for (i, r) in reference.iter().enumerate() {
                let j = i as isize + lag;
                let o = if j >= 0 {
                    ours.get(j as usize).copied().unwrap_or(0.0)
                } else {
                    0.0
                };
                signal += r * r;
                noise += (r - o) * (r - o);
            }
            (10.0 * (signal / noise.max(1e-9)).log10(), lag)
        })
        .fold((f64::MIN, 0), |best, x| if x.0 > best.0 { x } else { best })
}

fn check(dir: &Path, flac: &[u8], rate: u32, channels: usize) {
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
        let (snr, lag) = best_snr(&reference.channel(c), &ours.channel(c));
        eprintln!(
            "AR={rate} AC={channels} channel {c}: SNR {snr:.1} dB at lag {lag}, frames {} vs {}",
            ours.frames(),
            reference.frames()
        );
        assert!(
            snr >= MIN_SNR_DB,
            "channel {c}: SNR {snr:.1} dB < {MIN_SNR_DB} dB (lag {lag})"
        );
    }
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
