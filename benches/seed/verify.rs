//! Checking a run's output: one WAV per FLAC, 44.1 kHz stereo 16-bit, as long as its source.

use lode_benches::{expect_ok, parse_wav, Result};

use crate::dataset::Flac;

const RATE: u64 = 44_100;
const CHANNELS: u64 = 2;

/// GETs every expected WAV from `bucket` and checks it against its source: 44.1 kHz, stereo,
/// 16-bit, and the source's duration within 1% (plus a filter's worth of frames). Returns the
/// bytes read.
pub async fn outputs(
    http: &reqwest::Client,
    gw: &str,
    bucket: &str,
    files: &[Flac],
) -> Result<u64> {
    let mut total = 0;
    for f in files {
        let wav = f.wav_name();
        let url = format!("{gw}/v1/objects/{bucket}/{wav}?provider=ais");
        let body = expect_ok(http.get(&url).send().await, &format!("GET {bucket}/{wav}")).await?;
        let body = body.bytes().await.map_err(|e| format!("GET {wav}: {e}"))?;
        total += body.len() as u64;
        let got = parse_wav(&body).ok_or_else(|| format!("{bucket}/{wav}: not a WAV"))?;
        let (src_rate, src_frames) = f.stream_info()?;
        let want = src_frames * RATE / src_rate.max(1);
        let close = got.frames.abs_diff(want) <= want / 100 + 256;
        if got.rate != RATE || got.channels != CHANNELS || got.bits != 16 || !close {
            return Err(format!(
                "{bucket}/{wav}: {got:?}, want {RATE} Hz, {CHANNELS} ch, 16 bit, ~{want} frames"
            ));
        }
    }
    Ok(total)
}
