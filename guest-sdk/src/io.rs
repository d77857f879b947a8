//! [`Input`] and [`Output`]: the object's bytes as `std::io` streams for the streaming form.

use std::io::{self, Read, Write};

use crate::Error;

/// The object's input in the streaming form: implements [`Read`].
///
/// Inside a lode host each `read` is one `input_read` host call that copies straight into the
/// caller's buffer; `Ok(0)` is the end of the object. [`Input::from_reader`] wraps any reader,
/// which is how a streaming transform is run natively (tests, benchmarks).
pub struct Input<'a> {
    source: Source<'a>,
}

enum Source<'a> {
    #[cfg(target_arch = "wasm32")]
    Host,
    Reader(&'a mut dyn Read),
}

impl<'a> Input<'a> {
    /// An input that reads from `reader` instead of the host.
    pub fn from_reader(reader: &'a mut dyn Read) -> Input<'a> {
        Input {
            source: Source::Reader(reader),
        }
    }

    /// The current object's input, pulled from the host.
    #[cfg(target_arch = "wasm32")]
    pub(crate) fn host() -> Input<'static> {
        Input {
            source: Source::Host,
        }
    }
}

impl Input<'_> {
    /// The chunk size [`Input::for_each_chunk`] reads with.
    pub const CHUNK: usize = 64 * 1024;

    /// Reads the rest of the input in chunks of up to [`Input::CHUNK`] bytes and hands each
    /// to `f`, which may change it in place (e.g. before writing it to the [`Output`]).
    pub fn for_each_chunk(
        &mut self,
        mut f: impl FnMut(&mut [u8]) -> Result<(), Error>,
    ) -> Result<(), Error> {
        let mut buf = vec![0u8; Self::CHUNK];
        loop {
            match self.read(&mut buf) {
                Ok(0) => return Ok(()),
                Ok(n) => f(&mut buf[..n])?,
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                Err(err) => return Err(err.into()),
            }
        }
    }
}

impl Read for Input<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match &mut self.source {
            #[cfg(target_arch = "wasm32")]
            Source::Host => {
                crate::host::input_read(buf).map_err(|code| host_error("input_read", code))
            }
            Source::Reader(reader) => reader.read(buf),
        }
    }
}

/// The object's output in the streaming form: implements [`Write`].
///
/// Inside a lode host each `write` is one `output` host call that copies the caller's bytes
/// straight out of guest memory; there is no buffering, so wrap it in a
/// [`std::io::BufWriter`] if you write many small pieces. [`Output::from_writer`] wraps any
/// writer, which is how a streaming transform is run natively (tests, benchmarks).
pub struct Output<'a> {
    sink: Sink<'a>,
}

enum Sink<'a> {
    #[cfg(target_arch = "wasm32")]
    Host,
    Writer(&'a mut dyn Write),
}

impl<'a> Output<'a> {
    /// An output that writes to `writer` instead of the host.
    pub fn from_writer(writer: &'a mut dyn Write) -> Output<'a> {
        Output {
            sink: Sink::Writer(writer),
        }
    }

    /// The current object's output, pushed to the host.
    #[cfg(target_arch = "wasm32")]
    pub(crate) fn host() -> Output<'static> {
        Output { sink: Sink::Host }
    }
}

impl Write for Output<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match &mut self.sink {
            #[cfg(target_arch = "wasm32")]
            Sink::Host => crate::host::output(buf)
                .map(|()| buf.len())
                .map_err(|code| host_error("output", code)),
            Sink::Writer(writer) => writer.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match &mut self.sink {
            #[cfg(target_arch = "wasm32")]
            Sink::Host => Ok(()),
            Sink::Writer(writer) => writer.flush(),
        }
    }
}

/// Records that the host refused a call (it reports the reason itself) and says so as an
/// `io::Error` for the transform to propagate.
#[cfg(target_arch = "wasm32")]
fn host_error(call: &str, code: i32) -> io::Error {
    crate::entry::note_host_error();
    io::Error::other(format!(
        "lode host refused {call}: {}",
        crate::host::describe(code)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn native_input_and_output_pass_bytes_through() {
        let mut src: &[u8] = b"hello lode";
        let mut dst = Vec::new();
        let mut input = Input::from_reader(&mut src);
        let mut output = Output::from_writer(&mut dst);
        io::copy(&mut input, &mut output).unwrap();
        output.flush().unwrap();
        assert_eq!(dst, b"hello lode");
    }

    #[test]
    fn for_each_chunk_sees_every_byte_once() {
        let data: Vec<u8> = (0..200_000u32).map(|i| i as u8).collect();
        let mut src: &[u8] = &data;
        let mut seen = Vec::new();
        let mut calls = 0;
        Input::from_reader(&mut src)
            .for_each_chunk(|chunk| {
                calls += 1;
                seen.extend_from_slice(chunk);
                Ok(())
            })
            .unwrap();
        assert_eq!(seen, data);
        assert!(calls >= data.len().div_ceil(Input::CHUNK));
    }

    #[test]
    fn for_each_chunk_stops_at_the_first_error() {
        let mut src: &[u8] = b"abc";
        let err = Input::from_reader(&mut src)
            .for_each_chunk(|_| Err(Error::new("stop")))
            .unwrap_err();
        assert_eq!(err.message(), "stop");
    }
}
