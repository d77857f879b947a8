//! Planar `f32` samples to a 16-bit PCM WAV file (`pcm_s16le`, as FFmpeg writes by default).

/// Encodes planar `channels` (all the same length) at `rate` Hz as a canonical 44-byte-header
/// WAV. Samples are scaled by 32768, rounded and clipped, like FFmpeg's float-to-s16.
pub fn encode(channels: &[Vec<f32>], rate: u32) -> Vec<u8> {
    let count = channels.len() as u16;
    let frames = channels.first().map_or(0, Vec::len);
    let data_len = (frames * usize::from(count) * 2) as u32;
    let mut wav = Vec::with_capacity(44 + data_len as usize);
    wav.extend_from_slice(b"RIFF");
    wav.extend_from_slice(&(36 + data_len).to_le_bytes());
    wav.extend_from_slice(b"WAVEfmt ");
    wav.extend_from_slice(&16u32.to_le_bytes()); // fmt chunk size
    wav.extend_from_slice(&1u16.to_le_bytes()); // PCM
    wav.extend_from_slice(&count.to_le_bytes());
    wav.extend_from_slice(&rate.to_le_bytes());
    wav.extend_from_slice(&(rate * u32::from(count) * 2).to_le_bytes()); // byte rate
    wav.extend_from_slice(&(count * 2).to_le_bytes()); // block align
    wav.extend_from_slice(&16u16.to_le_bytes()); // bits per sample
    wav.extend_from_slice(b"data");
    wav.extend_from_slice(&data_len.to_le_bytes());
    for frame in 0..frames {
        for channel in channels {
            let sample = (channel[frame] * 32768.0).round().clamp(-32768.0, 32767.0) as i16;
            wav.extend_from_slice(&sample.to_le_bytes());
        }
    }
    wav
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_and_interleaved_samples() {
        let wav = encode(&[vec![0.5, -1.0], vec![1.0, 0.0]], 8000);
        assert_eq!(wav.len(), 44 + 8);
        assert_eq!(&wav[..4], b"RIFF");
        assert_eq!(u32::from_le_bytes(wav[4..8].try_into().unwrap()), 36 + 8);
        assert_eq!(u16::from_le_bytes([wav[22], wav[23]]), 2);
        assert_eq!(u32::from_le_bytes(wav[24..28].try_into().unwrap()), 8000);
        assert_eq!(&wav[36..40], b"data");
        let samples: Vec<i16> = wav[44..]
            .chunks(2)
            .map(|b| i16::from_le_bytes([b[0], b[1]]))
            .collect();
        assert_eq!(samples, vec![16384, 32767, -32768, 0]);
    }
}
