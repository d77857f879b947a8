//! Test inputs: a FLAC made with the `flac` tool.

use std::process::Command;

/// `seconds` of a 16 kHz mono tone as FLAC, encoded by the `flac` tool.
pub fn flac_tone(seconds: u32) -> Vec<u8> {
    let dir = tempfile::tempdir().expect("temp dir");
    let rate = 16_000u32;
    let frames = rate * seconds;
    let mut wav = Vec::with_capacity(44 + 2 * frames as usize);
    let data_len = 2 * frames;
    wav.extend_from_slice(b"RIFF");
    wav.extend_from_slice(&(36 + data_len).to_le_bytes());
    wav.extend_from_slice(b"WAVEfmt ");
    wav.extend_from_slice(&16u32.to_le_bytes());
    wav.extend_from_slice(&1u16.to_le_bytes()); // PCM
    wav.extend_from_slice(&1u16.to_le_bytes()); // mono
    wav.extend_from_slice(&rate.to_le_bytes());
    wav.extend_from_slice(&(2 * rate).to_le_bytes());
    wav.extend_from_slice(&2u16.to_le_bytes());
    wav.extend_from_slice(&16u16.to_le_bytes());
    wav.extend_from_slice(b"data");
    wav.extend_from_slice(&data_len.to_le_bytes());
    for i in 0..frames {
        let t = f64::from(i) / f64::from(rate);
        let sample = (8000.0 * (t * 440.0 * std::f64::consts::TAU).sin() * (1.0 + (t * 3.0).sin())
            / 2.0) as i16;
        wav.extend_from_slice(&sample.to_le_bytes());
    }
    let (wav_path, flac_path) = (dir.path().join("tone.wav"), dir.path().join("tone.flac"));
    std::fs::write(&wav_path, wav).expect("write wav");
    let status = Command::new("flac")
        .arg("-s")
        .arg("-f")
        .arg("-o")
        .arg(&flac_path)
        .arg(&wav_path)
        .status();
    assert!(
        status.is_ok_and(|s| s.success()),
        "the `flac` tool failed or is missing"
    );
    std::fs::read(flac_path).expect("read flac")
}
