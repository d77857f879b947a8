//! Reading a WAV's format and length, to check a transform's output.

/// The format and length a WAV's `fmt ` and `data` chunks give.
#[derive(Debug, PartialEq, Eq)]
pub struct Wav {
    /// Channel count.
    pub channels: u64,
    /// Sample rate, Hz.
    pub rate: u64,
    /// Bits per sample.
    pub bits: u64,
    /// Frames in the `data` chunk (as many as the body holds).
    pub frames: u64,
}

fn le(bytes: &[u8]) -> u64 {
    bytes
        .iter()
        .rev()
        .fold(0, |acc, &b| acc << 8 | u64::from(b))
}

/// Walks the RIFF chunks. A WAV written to a pipe (ffmpeg's) has placeholder sizes in its
/// RIFF and `data` headers, so the `data` chunk is taken to run to the end at most.
pub fn parse_wav(body: &[u8]) -> Option<Wav> {
    if body.get(..4)? != b"RIFF" || body.get(8..12)? != b"WAVE" {
        return None;
    }
    let (mut at, mut fmt) = (12, None);
    while let Some(header) = body.get(at..at + 8) {
        let size = le(&header[4..]) as usize;
        let chunk = &body[at + 8..];
        match &header[..4] {
            b"fmt " => fmt = Some(chunk.get(..16)?),
            b"data" => {
                let fmt = fmt?;
                let (channels, bits) = (le(&fmt[2..4]), le(&fmt[14..16]));
                let frame = (channels * bits / 8).max(1);
                return Some(Wav {
                    channels,
                    rate: le(&fmt[4..8]),
                    bits,
                    frames: size.min(chunk.len()) as u64 / frame,
                });
            }
            _ => {}
        }
        at += 8 + size + size % 2;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wav(data_size: u32, extra_chunk: bool, pcm: usize) -> Vec<u8> {
        let mut w = b"RIFF\xff\xff\xff\xffWAVEfmt \x10\0\0\0\x01\0\x02\0".to_vec();
        w.extend(44_100u32.to_le_bytes());
        w.extend((44_100u32 * 4).to_le_bytes());
        w.extend(b"\x04\0\x10\0");
        if extra_chunk {
            w.extend(b"LIST\x05\0\0\0abcde\0");
        }
        w.extend(b"data");
        w.extend(data_size.to_le_bytes());
        w.extend(vec![0; pcm]);
        w
    }

    #[test]
    fn reads_sized_and_piped_wavs() {
        let want = |frames| Wav {
            channels: 2,
            rate: 44_100,
            bits: 16,
            frames,
        };
        assert_eq!(parse_wav(&wav(400, false, 400)), Some(want(100)));
        assert_eq!(parse_wav(&wav(u32::MAX, true, 400)), Some(want(100)));
        assert_eq!(parse_wav(&wav(400, false, 40)), Some(want(10)));
        assert_eq!(parse_wav(b"RIFF\0\0\0\0WAVEdata\0\0\0\0"), None);
        assert_eq!(parse_wav(b"fLaC"), None);
    }
}
