//! The FFmpeg transformer (ais-etl `transformers/FFmpeg/fastapi_server.py`, §12 of the
//! protocol file) under the FastAPI server, converting FLAC to WAV: the bytes must be exactly
//! what running ffmpeg directly gives.

use std::process::Command;

use bytes::Bytes;
use lode_container::{CommType, Outcome};

use crate::support::*;

/// ais-etl's FFmpeg server: the ffmpeg command built from env once, FQN or stdin input,
/// extension passthrough.
const FFMPEG_SERVER: &str = r#"
import os
import subprocess
from aistore.sdk.etl.webserver.fastapi_server import FastAPIServer

AUDIO_EXTS = {".wav", ".flac", ".mp3", ".m4a", ".aac", ".opus", ".ogg"}


class FFmpegServer(FastAPIServer):
    def __init__(self):
        super().__init__()
        self.format = os.getenv("FORMAT", "wav")
        self.args = []
        if os.getenv("AC"):
            self.args += ["-ac", os.getenv("AC")]
        if os.getenv("AR"):
            self.args += ["-ar", os.getenv("AR")]
        self.args += ["-c:a", os.getenv("CODEC", "pcm_s16le")]
        if os.getenv("AUDIO_FILTERS"):
            self.args += ["-af", os.getenv("AUDIO_FILTERS")]
        if os.getenv("BR"):
            self.args += ["-b:a", os.getenv("BR")]
        self.args += ["-f", self.format, "pipe:1"]

    def transform(self, data, path, _etl_args):
        ext = os.path.splitext(path)[1].lower()
        if ext and ext not in AUDIO_EXTS:
            if isinstance(data, str):
                with open(data, "rb") as f:
                    return f.read()
            return data
        src = data if isinstance(data, str) else "pipe:0"
        cmd = ["ffmpeg", "-nostdin", "-loglevel", "error", "-i", src] + self.args
        stdin = subprocess.DEVNULL if isinstance(data, str) else subprocess.PIPE
        proc = subprocess.Popen(cmd, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        out, err = proc.communicate(None if isinstance(data, str) else data)
        if proc.returncode != 0:
            raise RuntimeError(f"FFmpeg process failed: {err.decode()}")
        return out

    def get_mime_type(self):
        return f"audio/{self.format}"


fastapi_app = FFmpegServer().app
"#;

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
