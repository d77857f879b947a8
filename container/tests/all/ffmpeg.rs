//! The FFmpeg transformer (ais-etl `transformers/FFmpeg/fastapi_server.py`,
//! `docs/container-protocol.md` §12) under the FastAPI server, converting FLAC to WAV: the
//! bytes must be exactly what running ffmpeg directly gives.

use std::process::Command;

use bytes::Bytes;
use lode_container::{CommType, Outcome};

use crate::support::*;

/// ais-etl's FFmpeg server (one copy, shared with the seed benchmark): the ffmpeg command
/// built from env once, FQN or stdin input, extension passthrough.
const FFMPEG_SERVER: &str = include_str!("../../../transformers/ffmpeg/fastapi_server.py");

fn ffmpeg(args: &[&str]) -> Vec<u8> {
    let out = Command::new("ffmpeg")
        .args(["-nostdin", "-loglevel", "error"])
        .args(args)
        .output()
        .expect("ffmpeg");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

#[tokio::test]
async fn ffmpeg_flac_to_wav_matches_ffmpeg() {
    let target = FakeTarget::start().await;
    let w = Workdir::new(&[("fastapi_server.py", FFMPEG_SERVER)]).await;
    let flac = w.dir.path().join("objects/a.flac");
    std::fs::create_dir_all(flac.parent().unwrap()).unwrap();
    let gen = Command::new("ffmpeg")
        .args([
            "-nostdin",
            "-loglevel",
            "error",
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=440:duration=3:sample_rate=44100",
        ])
        .args(["-ac", "2", "-c:a", "flac", "-y"])
        .arg(&flac)
        .status()
        .unwrap();
    assert!(gen.success());
    let flac_s = flac.to_str().unwrap();
    let expected = ffmpeg(&[
        "-i",
        flac_s,
        "-ac",
        "1",
        "-ar",
        "16000",
        "-c:a",
        "pcm_s16le",
        "-f",
        "wav",
        "pipe:1",
    ]);
    assert!(
        expected.len() > 16000 * 2 * 2,
        "ffmpeg produced {} bytes",
        expected.len()
    );

    let cmd = "uvicorn fastapi_server:fastapi_app --host 0.0.0.0 --port 8000 --workers 2 --log-level info --ws-max-size 17179869184 --ws-ping-interval 0 --ws-ping-timeout 86400 --no-access-log";
    for direct_fqn in ["true", "false"] {
        let msg = message(
            cmd,
            "ws://",
            &[("AC", "1"), ("AR", "16000"), ("ETL_DIRECT_FQN", direct_fqn)],
        );
        let pod = start(&msg, &w.config(), &target.url).await;
        for ct in [CommType::Hpush, CommType::Hpull, CommType::Ws] {
            let c = comm(ct, &pod).await;
            for fqn in [Some(flac.as_path()), None] {
                let body = Some(Bytes::from(std::fs::read(&flac).unwrap()));
                if ct == CommType::Hpull && fqn.is_none() {
                    target
                        .objects
                        .lock()
                        .unwrap()
                        .insert("ais/@#/audio/a.flac".into(), body.clone().unwrap().to_vec());
                }
                let got = c
                    .transform("ais/@#/audio/a.flac", fqn, body, "", None)
                    .await
                    .unwrap();
                let Outcome::Bytes(got) = got else {
                    panic!("expected bytes")
                };
                assert!(
                    got == expected,
                    "{ct:?} fqn={} ETL_DIRECT_FQN={direct_fqn}: {} bytes vs {}",
                    fqn.is_some(),
                    got.len(),
                    expected.len()
                );
            }
        }
    }
}
