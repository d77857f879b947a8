//! Planar 16-bit samples to a 16-bit PCM WAV file (`pcm_s16le`), built in one buffer.

/// Encodes planar `channels` (all the same length) at `rate` Hz as a canonical 44-byte-header
/// WAV: the header and the interleaved samples written into one preallocated buffer.
pub fn encode(channels: &[Vec<i16>], rate: u32) -> Vec<u8> {
    let count = channels.len() as u16;
    let frames = channels.first().map_or(0, Vec::len);
    let data_len = frames * usize::from(count) * 2;
    let mut wav = vec![0u8; 44 + data_len];
    let data_len = data_len as u32;
    let mut header = Vec::with_capacity(44);
    header.extend_from_slice(b"RIFF");
    header.extend_from_slice(&(36u32.wrapping_add(data_len)).to_le_bytes());
    header.extend_from_slice(b"WAVEfmt ");
    header.extend_from_slice(&16u32.to_le_bytes()); // fmt chunk size
    header.extend_from_slice(&1u16.to_le_bytes()); // PCM
    header.extend_from_slice(&count.to_le_bytes());
    header.extend_from_slice(&rate.to_le_bytes());
    header.extend_from_slice(&(rate * u32::from(count) * 2).to_le_bytes()); // byte rate
    header.extend_from_slice(&(count * 2).to_le_bytes()); // block align
    header.extend_from_slice(&16u16.to_le_bytes()); // bits per sample
    header.extend_from_slice(b"data");
    header.extend_from_slice(&data_len.to_le_bytes());
    wav[..44].copy_from_slice(&header);
    let data = &mut wav[44..];
    match channels {
        [] => {}
        [mono] => {
            for (out, &s) in data.chunks_exact_mut(2).zip(mono) {
                out.copy_from_slice(&s.to_le_bytes());
            }
        }
        [left, right] => {
            for ((out, &l), &r) in data.chunks_exact_mut(4).zip(left).zip(right) {
                out[..2].copy_from_slice(&l.to_le_bytes());
                out[2..].copy_from_slice(&r.to_le_bytes());
            }
        }
        _ => {
            let stride = channels.len() * 2;
            for (c, channel) in channels.iter().enumerate() {
                for (out, &s) in data[c * 2..].chunks_mut(stride).zip(channel) {
                    out[..2].copy_from_slice(&s.to_le_bytes());
                }
            }
        }
    }
    wav
}

#[cfg(test)]
mod tests {
    use super::*;

    fn samples(wav: &[u8]) -> Vec<i16> {
        wav[44..]
            .chunks(2)
            .map(|b| i16::from_le_bytes([b[0], b[1]]))
            .collect()
    }

    #[test]
    fn header_and_interleaved_samples() {
        let wav = encode(&[vec![16384, -32768], vec![32767, 0]], 8000);
        assert_eq!(wav.len(), 44 + 8);
        assert_eq!(&wav[..4], b"RIFF");
        assert_eq!(u32::from_le_bytes(wav[4..8].try_into().unwrap()), 36 + 8);
        assert_eq!(u16::from_le_bytes([wav[22], wav[23]]), 2);
        assert_eq!(u32::from_le_bytes(wav[24..28].try_into().unwrap()), 8000);
        assert_eq!(&wav[36..40], b"data");
        assert_eq!(samples(&wav), vec![16384, 32767, -32768, 0]);
    }

    #[test]
    fn one_and_three_channels_interleave_too() {
        assert_eq!(samples(&encode(&[vec![1, 2]], 8000)), vec![1, 2]);
        let three = encode(&[vec![1, 4], vec![2, 5], vec![3, 6]], 8000);
        assert_eq!(samples(&three), vec![1, 2, 3, 4, 5, 6]);
    }
}
