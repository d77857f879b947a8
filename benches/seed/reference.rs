//! The native reference the seed bench holds lode to: FLAC -> 44.1 kHz stereo WAV written
//! plainly with the crates a Rust user would pick (claxon to decode, rubato's FFT resampler,
//! hound to write), in memory, no lode code. Kept deliberately ordinary: lode's own flac2wav
//! may beat it, and that is allowed; this one is not tuned to make the ratios look good.

use std::io::Cursor;

use rubato::{FftFixedIn, Resampler};

const RATE: u32 = 44_100;
const CHUNK: usize = 1024;

/// Converts one FLAC file to 16-bit PCM stereo WAV at 44.1 kHz.
pub fn flac_to_wav(flac: &[u8]) -> Result<Vec<u8>, String> {
    let mut reader = claxon::FlacReader::new(Cursor::new(flac)).map_err(|e| e.to_string())?;
    let info = reader.streaminfo();
    let channels = info.channels as usize;
    let scale = 1.0 / (1u32 << (info.bits_per_sample - 1)) as f32;
    let mut planar = vec![Vec::new(); channels];
    for (i, sample) in reader.samples().enumerate() {
        planar[i % channels].push(sample.map_err(|e| e.to_string())? as f32 * scale);
    }
    // Downmix to mono (the seed data is mono already), then resample.
    let frames = planar[0].len();
    let mono: Vec<f32> = (0..frames)
        .map(|i| planar.iter().map(|c| c[i]).sum::<f32>() / channels as f32)
        .collect();
    let mut resampler =
        FftFixedIn::<f32>::new(info.sample_rate as usize, RATE as usize, CHUNK, 2, 1)
            .map_err(|e| e.to_string())?;
    let mut out =
        Vec::with_capacity(frames * RATE as usize / info.sample_rate as usize + CHUNK * 3);
    let mut pos = 0;
    while pos < frames {
        let need = resampler.input_frames_next();
        let chunk = &mono[pos..(pos + need).min(frames)];
        let produced = if chunk.len() == need {
            resampler.process(&[chunk], None)
        } else {
            resampler.process_partial(Some(&[chunk]), None)
        }
        .map_err(|e| e.to_string())?;
        out.extend_from_slice(&produced[0]);
        pos += need;
    }

    let spec = hound::WavSpec {
        channels: 2,
        sample_rate: RATE,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut wav = Cursor::new(Vec::with_capacity(44 + out.len() * 4));
    let mut writer = hound::WavWriter::new(&mut wav, spec).map_err(|e| e.to_string())?;
    for s in out {
        let v = (s * 32768.0).round().clamp(-32768.0, 32767.0) as i16;
        writer.write_sample(v).map_err(|e| e.to_string())?;
        writer.write_sample(v).map_err(|e| e.to_string())?;
    }
    writer.finalize().map_err(|e| e.to_string())?;
    Ok(wav.into_inner())
}

#[cfg(test)]
mod tests {
    #[test]
    fn garbage_is_an_error() {
        assert!(super::flac_to_wav(b"not flac").is_err());
    }
}
