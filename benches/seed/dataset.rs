//! The seed bench's input: generated LibriSpeech-like FLAC, and the native reference pass.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use lode_benches::{repo_root, target_dir, Result};

/// One source object: its name (path relative to the dataset root), file and bytes.
pub struct Flac {
    pub name: String,
    pub path: PathBuf,
    pub data: bytes::Bytes,
}

impl Flac {
    /// The object name the `{flac: wav}` extension mapping gives its output.
    pub fn wav_name(&self) -> String {
        format!("{}.wav", self.name.trim_end_matches(".flac"))
    }

    /// (sample rate, total frames) from the STREAMINFO block, which must come first.
    pub fn stream_info(&self) -> Result<(u64, u64)> {
        let head = self
            .data
            .get(18..26)
            .filter(|_| self.data.starts_with(b"fLaC"))
            .ok_or_else(|| format!("{}: no FLAC STREAMINFO", self.name))?;
        let bits = head.iter().fold(0u64, |acc, &b| acc << 8 | u64::from(b));
        Ok((bits >> 44, bits & ((1 << 36) - 1)))
    }
}

/// The dataset: generated once per N into the target dir, then reused.
pub fn dataset(files: usize) -> Result<PathBuf> {
    let dir = target_dir()
        .join("seed-data")
        .join(format!("speech-{files}"));
    let marker = dir.join(".complete");
    if !marker.is_file() {
        let _ = std::fs::remove_dir_all(&dir);
        let status = Command::new(repo_root().join("scripts/gen-speech.sh"))
            .arg(&dir)
            .arg(files.to_string())
            .status()
            .map_err(|e| format!("scripts/gen-speech.sh: {e}"))?;
        if !status.success() {
            return Err(format!("scripts/gen-speech.sh failed: {status}"));
        }
        std::fs::write(&marker, b"").map_err(|e| format!("{}: {e}", marker.display()))?;
    }
    Ok(dir)
}

/// Every `.flac` under `dir`, named relative to it, sorted.
pub fn load_files(dir: &Path) -> Result<Vec<Flac>> {
    let mut out = Vec::new();
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let entry = entry.map_err(|e| e.to_string())?;
        if entry.path().extension().is_some_and(|e| e == "flac") {
            let rel = entry.path().strip_prefix(dir).map_err(|e| e.to_string())?;
            let data = std::fs::read(entry.path()).map_err(|e| e.to_string())?;
            out.push(Flac {
                name: rel.to_string_lossy().into_owned(),
                path: entry.path().to_owned(),
                data: data.into(),
            });
        }
    }
    Ok(out)
}

/// The native reference: every file through flac2wav, in memory, on `threads` threads.
pub fn native(files: &[Flac], threads: usize) -> Result<Duration> {
    on_threads(files, threads, |f| {
        let wav = lode_example_flac2wav::transform(&f.data, r#"{"AR":44100,"AC":2}"#)
            .map_err(|e| format!("native {}: {e}", f.name))?;
        std::hint::black_box(wav);
        Ok(())
    })
}

/// The plain native reference ([`reference`](crate::reference)), in memory, on `threads` threads.
pub fn reference(files: &[Flac], threads: usize) -> Result<Duration> {
    on_threads(files, threads, |f| {
        let wav = crate::reference::flac_to_wav(&f.data)
            .map_err(|e| format!("reference {}: {e}", f.name))?;
        std::hint::black_box(wav);
        Ok(())
    })
}

/// The FFmpeg transformer's work alone: one `ffmpeg` process per file, reading the file (as
/// with FQN) and writing the WAV to a pipe, with the transformer's arguments (AR=44100,
/// AC=2), on `threads` threads.
pub fn ffmpeg(files: &[Flac], threads: usize) -> Result<Duration> {
    on_threads(files, threads, |f| {
        let out = Command::new("ffmpeg")
            .args(["-nostdin", "-loglevel", "error", "-i"])
            .arg(&f.path)
            .args([
                "-ac",
                "2",
                "-ar",
                "44100",
                "-c:a",
                "pcm_s16le",
                "-f",
                "wav",
                "pipe:1",
            ])
            .output()
            .map_err(|e| format!("ffmpeg: {e}"))?;
        if !out.status.success() || out.stdout.len() < 44 {
            let err = String::from_utf8_lossy(&out.stderr);
            return Err(format!("ffmpeg {}: {} {err}", f.name, out.status));
        }
        Ok(())
    })
}

/// Runs `job` on every file from `threads` threads; returns the wall time.
fn on_threads(
    files: &[Flac],
    threads: usize,
    job: impl Fn(&Flac) -> Result<()> + Sync,
) -> Result<Duration> {
    let next = AtomicUsize::new(0);
    let start = Instant::now();
    std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| -> Result<()> {
                    while let Some(f) = files.get(next.fetch_add(1, Ordering::Relaxed)) {
                        job(f)?;
                    }
                    Ok(())
                })
            })
            .collect();
        workers
            .into_iter()
            .try_for_each(|w| w.join().map_err(|_| "worker thread panicked".to_string())?)
    })?;
    Ok(start.elapsed())
}
