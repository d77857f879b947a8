//! Shards: tar, tar.gz / tgz, tar.lz4 and zip objects, the format chosen by the object's name
//! as AIS does. One member by name (`archpath`), the members a pattern selects (`archregx` +
//! `archmode`, answered as a tar), the member list (the `arch_dir` listing flag), and a member
//! added to a shard (`archpath` on PUT).
//!
//! A shard is read from its mapping, never into memory whole: a plain tar member is a slice of
//! it (no copy), a compressed member is decompressed on its own.

use std::io::{Cursor, Read, Write};
use std::ops::ControlFlow;

use axum::http::StatusCode;
use bytes::Bytes;

use crate::error::ApiError;

/// The shard formats lode reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Format {
    Tar,
    TarGz,
    TarLz4,
    Zip,
}

/// The name endings that make an object a shard, as error messages list them.
pub(super) const EXTENSIONS: &str = ".tar, .tgz, .tar.gz, .tar.lz4, .zip";

impl Format {
    /// The format an object's name says it has.
    pub(super) fn of(object: &str) -> Option<Format> {
        let name = object.to_ascii_lowercase();
        [
            (".tar.gz", Format::TarGz),
            (".tgz", Format::TarGz),
            (".tar.lz4", Format::TarLz4),
            (".tar", Format::Tar),
            (".zip", Format::Zip),
        ]
        .into_iter()
        .find_map(|(ext, f)| name.ends_with(ext).then_some(f))
    }

    /// The format a shard's first bytes say it has: a tar header's `ustar` magic, gzip (taken
    /// as tar.gz), an LZ4 frame (tar.lz4) or a zip local header.
    pub(super) fn sniff(bytes: &[u8]) -> Option<Format> {
        match bytes {
            [0x1f, 0x8b, ..] => Some(Format::TarGz),
            [0x04, 0x22, 0x4d, 0x18, ..] => Some(Format::TarLz4),
            [b'P', b'K', 0x03, 0x04, ..] | [b'P', b'K', 0x05, 0x06, ..] => Some(Format::Zip),
            _ if bytes.get(257..262) == Some(b"ustar") => Some(Format::Tar),
            _ => None,
        }
    }

    /// The format an `archmime` value names (`tar`, `.tgz`, `tar.gz`, `tar.lz4`, `zip`).
    pub(super) fn from_mime(mime: &str) -> Option<Format> {
        Format::of(&format!(".{}", mime.trim_start_matches('.')))
    }

    fn name(self) -> &'static str {
        match self {
            Format::Tar => "tar",
            Format::TarGz => "tar.gz",
            Format::TarLz4 => "tar.lz4",
            Format::Zip => "zip",
        }
    }
}

/// Why a shard request cannot be answered.
#[derive(Debug, thiserror::Error)]
pub(super) enum ArchiveError {
    /// The shard reads fine but has no such member, or none the pattern selects.
    #[error("{shard}: no member {wanted} in this {format} shard")]
    Missing {
        shard: String,
        wanted: String,
        format: &'static str,
    },
    /// The shard is not a valid archive of its format.
    #[error("{shard} is not a readable {format} shard: {why}")]
    Corrupt {
        shard: String,
        format: &'static str,
        why: String,
    },
    /// What the request asks cannot be done to this shard.
    #[error("{0}")]
    Refused(String),
    /// Writing the answer failed (the client went away, or the store).
    #[error("{0}")]
    Write(std::io::Error),
}

impl ArchiveError {
    /// As the HTTP error: 404 for a missing member, 400 for a bad shard or request.
    pub(super) fn into_api(self, node: &str) -> ApiError {
        let status = match self {
            ArchiveError::Missing { .. } => StatusCode::NOT_FOUND,
            ArchiveError::Corrupt { .. } | ArchiveError::Refused(_) => StatusCode::BAD_REQUEST,
            ArchiveError::Write(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        ApiError::new(status, format!("{node}: {self}"))
    }
}

/// What a walk calls for each regular-file member: `(name, size, bytes if wanted)`; breaking
/// stops the walk.
type Visit<'a> = dyn FnMut(&str, u64, Option<Bytes>) -> ControlFlow<()> + 'a;

/// A shard and what its errors call it.
pub(super) struct Shard<'a> {
    pub(super) bytes: &'a Bytes,
    pub(super) format: Format,
    /// `ais://bucket/object`, for messages.
    pub(super) uname: &'a str,
}

impl Shard<'_> {
    fn corrupt(&self, why: impl std::fmt::Display) -> ArchiveError {
        ArchiveError::Corrupt {
            shard: self.uname.to_owned(),
            format: self.format.name(),
            why: why.to_string(),
        }
    }

    fn missing(&self, wanted: String) -> ArchiveError {
        ArchiveError::Missing {
            shard: self.uname.to_owned(),
            wanted,
            format: self.format.name(),
        }
    }

    /// Visits the regular-file members in order: `visit(name, size, bytes)`, with the bytes
    /// when `wants(name)`; stops when `visit` breaks.
    fn walk(
        &self,
        wants: &dyn Fn(&str) -> bool,
        visit: &mut Visit<'_>,
    ) -> Result<(), ArchiveError> {
        let shard = &self.bytes[..];
        let walked = match self.format {
            Format::Tar => walk_tar(Cursor::new(shard), Some(self.bytes), wants, visit),
            Format::TarGz => walk_tar(flate2::read::GzDecoder::new(shard), None, wants, visit),
            Format::TarLz4 => walk_tar(
                lz4_flex::frame::FrameDecoder::new(shard),
                None,
                wants,
                visit,
            ),
            Format::Zip => walk_zip(shard, wants, visit).map_err(std::io::Error::other),
        };
        walked.map_err(|e| self.corrupt(e))
    }

    /// Member `path`: the first one of that name.
    pub(super) fn member(&self, path: &str) -> Result<Bytes, ArchiveError> {
        let mut found = None;
        self.walk(&|name| same_name(name, path), &mut |name, _, bytes| {
            if same_name(name, path) {
                found = bytes;
                return ControlFlow::Break(());
            }
            ControlFlow::Continue(())
        })?;
        found.ok_or_else(|| self.missing(format!("{path:?}")))
    }

    /// Every regular-file member's name and size, in shard order.
    pub(super) fn list(&self) -> Result<Vec<(String, u64)>, ArchiveError> {
        let mut all = Vec::new();
        self.walk(&|_| false, &mut |name, size, _| {
            all.push((name.to_owned(), size));
            ControlFlow::Continue(())
        })?;
        Ok(all)
    }

    /// The members `matcher` selects, written to `out` as one tar; `started` is called before
    /// the first byte is written (after that an error can only cut the answer short). No match
    /// is [`ArchiveError::Missing`].
    pub(super) fn select(
        &self,
        matcher: &Matcher,
        out: impl Write,
        started: impl FnOnce(),
    ) -> Result<usize, ArchiveError> {
        let mut tar = tar::Builder::new(out);
        let (mut count, mut started, mut failed) = (0, Some(started), None);
        self.walk(&|name| matcher.matches(name), &mut |name, _, bytes| {
            let Some(bytes) = bytes else {
                return ControlFlow::Continue(());
            };
            if let Some(started) = started.take() {
                started();
            }
            let mut header = tar::Header::new_gnu();
            header.set_size(bytes.len() as u64);
            header.set_mode(0o644);
            match tar.append_data(&mut header, name, &bytes[..]) {
                Ok(()) => {
                    count += 1;
                    ControlFlow::Continue(())
                }
                Err(e) => {
                    failed = Some(e);
                    ControlFlow::Break(())
                }
            }
        })?;
        if let Some(e) = failed {
            return Err(ArchiveError::Write(e));
        }
        if count == 0 {
            return Err(self.missing(matcher.to_string()));
        }
        tar.finish().map_err(ArchiveError::Write)?;
        Ok(count)
    }

    /// This tar shard with member `name` (`size` bytes read from `data`) added at its end (a
    /// second member of a name already there is added too, as `tar -r` does; readers answer the
    /// first).
    pub(super) fn append(
        &self,
        name: &str,
        size: u64,
        data: &mut dyn Read,
        out: impl Write,
    ) -> Result<(), ArchiveError> {
        if self.format != Format::Tar {
            return Err(ArchiveError::Refused(format!(
                "{}: adding a member to an existing {} shard is not supported (only to .tar; \
                 PUT the whole shard instead)",
                self.uname,
                self.format.name()
            )));
        }
        let end = tar_end(self.bytes).map_err(|e| self.corrupt(e))?;
        let mut tar = tar::Builder::new(out);
        tar.get_mut()
            .write_all(&self.bytes[..end])
            .map_err(ArchiveError::Write)?;
        append_one(&mut tar, name, size, data).map_err(ArchiveError::Write)?;
        tar.into_inner().map_err(ArchiveError::Write)?;
        Ok(())
    }
}

/// A new shard of `format` holding one member, `size` bytes read from `data`.
pub(super) fn create(
    format: Format,
    name: &str,
    size: u64,
    data: &mut dyn Read,
    mut out: impl Write,
) -> Result<(), ArchiveError> {
    let made = match format {
        Format::Tar => one_member_tar(name, size, data, out).map(drop),
        Format::TarGz => one_member_tar(
            name,
            size,
            data,
            flate2::write::GzEncoder::new(out, flate2::Compression::default()),
        )
        .and_then(|gz| gz.finish().map(drop)),
        Format::TarLz4 => one_member_tar(name, size, data, lz4_flex::frame::FrameEncoder::new(out))
            .and_then(|lz| lz.finish().map(drop).map_err(std::io::Error::other)),
        Format::Zip => {
            // The zip writer seeks back to fill in sizes: built in memory, then written out.
            let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
            let opts = zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Deflated)
                .large_file(size >= u64::from(u32::MAX));
            zip.start_file(name, opts)
                .map_err(std::io::Error::other)
                .and_then(|()| std::io::copy(&mut Exact { data, left: size }, &mut zip))
                .and_then(|_| zip.finish().map_err(std::io::Error::other))
                .and_then(|cursor| out.write_all(&cursor.into_inner()))
        }
    };
    made.map_err(ArchiveError::Write)
}

fn one_member_tar<W: Write>(
    name: &str,
    size: u64,
    data: &mut dyn Read,
    out: W,
) -> std::io::Result<W> {
    let mut tar = tar::Builder::new(out);
    append_one(&mut tar, name, size, data)?;
    tar.into_inner()
}

fn append_one<W: Write>(
    tar: &mut tar::Builder<W>,
    name: &str,
    size: u64,
    data: &mut dyn Read,
) -> std::io::Result<()> {
    let mut header = tar::Header::new_gnu();
    header.set_size(size);
    header.set_mode(0o644);
    header.set_mtime(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
    );
    tar.append_data(&mut header, name, Exact { data, left: size })
}

/// Exactly `left` bytes of `data`: an early end is an error, not a short member.
struct Exact<'a> {
    data: &'a mut dyn Read,
    left: u64,
}

impl Read for Exact<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.left == 0 {
            return Ok(0);
        }
        let want = buf
            .len()
            .min(usize::try_from(self.left).unwrap_or(usize::MAX));
        let n = self.data.read(&mut buf[..want])?;
        if n == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                format!("the member's bytes ended {} short of their size", self.left),
            ));
        }
        self.left -= n as u64;
        Ok(n)
    }
}

/// Where a tar's end-of-archive marker starts: after the last member's padded data.
fn tar_end(shard: &[u8]) -> std::io::Result<usize> {
    let mut archive = tar::Archive::new(Cursor::new(shard));
    let mut end = 0u64;
    for entry in archive.entries_with_seek()? {
        let entry = entry?;
        let data_end = entry.raw_file_position() + entry.header().entry_size()?;
        end = data_end.div_ceil(512) * 512;
    }
    usize::try_from(end).map_err(std::io::Error::other)
}

/// Whether a stored member name is `path` (tar writers often prefix `./`).
fn same_name(stored: &str, path: &str) -> bool {
    clean(stored) == clean(path)
}

/// A member name without the `./` or `/` some writers put first.
fn clean(name: &str) -> &str {
    name.trim_start_matches("./").trim_start_matches('/')
}

/// Walks a tar stream; `in_place`: the stream is this shard itself (seekable), so a regular
/// file's bytes are a slice of it.
fn walk_tar<R: Read>(
    stream: R,
    in_place: Option<&Bytes>,
    wants: &dyn Fn(&str) -> bool,
    visit: &mut Visit<'_>,
) -> std::io::Result<()> {
    let mut archive = tar::Archive::new(stream);
    for entry in archive.entries()? {
        let mut entry = entry?;
        let kind = entry.header().entry_type();
        if !(kind.is_file() || kind.is_contiguous()) {
            continue;
        }
        let path = entry.path()?;
        let name = clean(&path.to_string_lossy()).to_owned();
        let size = entry.size();
        let bytes = if !wants(&name) {
            None
        } else if let Some(shard) = in_place {
            let start =
                usize::try_from(entry.raw_file_position()).map_err(std::io::Error::other)?;
            let len = usize::try_from(size).map_err(std::io::Error::other)?;
            if start.checked_add(len).is_none_or(|end| end > shard.len()) {
                return Err(std::io::Error::other(format!(
                    "member {name:?} runs past the end"
                )));
            }
            Some(shard.slice(start..start + len))
        } else {
            let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0).min(1 << 26));
            entry.read_to_end(&mut bytes)?;
            Some(Bytes::from(bytes))
        };
        if visit(&name, size, bytes).is_break() {
            break;
        }
    }
    Ok(())
}

fn walk_zip(
    shard: &[u8],
    wants: &dyn Fn(&str) -> bool,
    visit: &mut Visit<'_>,
) -> zip::result::ZipResult<()> {
    let mut archive = zip::ZipArchive::new(Cursor::new(shard))?;
    for i in 0..archive.len() {
        let (name, size) = {
            let file = archive.by_index_raw(i)?;
            (clean(&file.name()?).to_owned(), file.size())
        };
        if name.ends_with('/') || name.is_empty() {
            continue;
        }
        let bytes = if wants(&name) {
            let mut file = archive.by_index(i)?;
            let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0).min(1 << 26));
            file.read_to_end(&mut bytes)?;
            Some(Bytes::from(bytes))
        } else {
            None
        };
        if visit(&name, size, bytes).is_break() {
            break;
        }
    }
    Ok(())
}

/// How `archregx` is read (AIS `archmode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Regexp,
    Prefix,
    Suffix,
    Substr,
    /// WebDataset key: the member's name without its extension.
    WdsKey,
}

const MODES: [(&str, Mode); 5] = [
    ("regexp", Mode::Regexp),
    ("prefix", Mode::Prefix),
    ("suffix", Mode::Suffix),
    ("substr", Mode::Substr),
    ("wdskey", Mode::WdsKey),
];

/// A member selection: `archregx` read as `archmode` says. An empty pattern (or `*`) selects
/// every member.
#[derive(Debug)]
pub(super) struct Matcher {
    pattern: String,
    mode: Mode,
    regex: Option<regex::Regex>,
}

impl Matcher {
    /// From the query values; a missing or empty `archmode` (or `*`) is `prefix`, as in AIS.
    pub(super) fn parse(pattern: &str, mode: &str) -> Result<Matcher, ArchiveError> {
        let mode = match mode {
            "" | "*" => Mode::Prefix,
            other => MODES
                .iter()
                .find(|(name, _)| *name == other)
                .map(|&(_, m)| m)
                .ok_or_else(|| {
                    let names: Vec<&str> = MODES.iter().map(|(n, _)| *n).collect();
                    ArchiveError::Refused(format!(
                        "invalid matching mode (archmode) {other:?}, expecting one of: {}",
                        names.join(", ")
                    ))
                })?,
        };
        let all = pattern.is_empty() || pattern == "*";
        let regex = match mode {
            Mode::Regexp if !all => Some(regex::Regex::new(pattern).map_err(|e| {
                ArchiveError::Refused(format!("archregx {pattern:?} is not a valid regexp: {e}"))
            })?),
            _ => None,
        };
        Ok(Matcher {
            pattern: if all {
                String::new()
            } else {
                pattern.to_owned()
            },
            mode,
            regex,
        })
    }

    fn matches(&self, name: &str) -> bool {
        let p = self.pattern.as_str();
        if p.is_empty() {
            return true;
        }
        match self.mode {
            Mode::Regexp => self.regex.as_ref().is_some_and(|re| re.is_match(name)),
            Mode::Prefix => name.starts_with(p),
            Mode::Suffix => name.ends_with(p),
            Mode::Substr => name.contains(p),
            Mode::WdsKey => wds_key(name) == p,
        }
    }
}

impl std::fmt::Display for Matcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mode = MODES
            .iter()
            .find(|(_, m)| *m == self.mode)
            .map_or("", |(n, _)| n);
        write!(f, "matching archregx={:?} archmode={mode}", self.pattern)
    }
}

/// A member's WebDataset key: its name without the extension of its last path component.
fn wds_key(name: &str) -> &str {
    let base = name.rfind('/').map_or(0, |i| i + 1);
    match name[base..].rfind('.') {
        Some(dot) if dot > 0 => &name[..base + dot],
        _ => name,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tar_of(members: &[(&str, &[u8])]) -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        for (name, data) in members {
            let mut h = tar::Header::new_gnu();
            h.set_size(data.len() as u64);
            h.set_mode(0o644);
            h.set_cksum();
            b.append_data(&mut h, name, *data).unwrap();
        }
        b.into_inner().unwrap()
    }

    fn shard(bytes: &Bytes, format: Format) -> Shard<'_> {
        Shard {
            bytes,
            format,
            uname: "ais://b/s",
        }
    }

    fn names_in_tar(tar: &[u8]) -> Vec<(String, Vec<u8>)> {
        let mut a = tar::Archive::new(tar);
        a.entries()
            .unwrap()
            .map(|e| {
                let mut e = e.unwrap();
                let name = e.path().unwrap().to_string_lossy().into_owned();
                let mut data = Vec::new();
                e.read_to_end(&mut data).unwrap();
                (name, data)
            })
            .collect()
    }

    #[test]
    fn formats_by_name() {
        assert_eq!(Format::of("a/b.tar"), Some(Format::Tar));
        assert_eq!(Format::of("b.TGZ"), Some(Format::TarGz));
        assert_eq!(Format::of("b.tar.gz"), Some(Format::TarGz));
        assert_eq!(Format::of("b.tar.lz4"), Some(Format::TarLz4));
        assert_eq!(Format::of("b.zip"), Some(Format::Zip));
        assert_eq!(Format::of("b.gz"), None);
        assert_eq!(Format::from_mime(".tgz"), Some(Format::TarGz));
        assert_eq!(Format::from_mime("tar.lz4"), Some(Format::TarLz4));
        assert_eq!(Format::from_mime("rar"), None);
    }

    #[test]
    fn formats_by_first_bytes() {
        assert_eq!(Format::sniff(&tar_of(&[("a", b"1")])), Some(Format::Tar));
        let mut out = Vec::new();
        for format in [Format::TarGz, Format::TarLz4, Format::Zip] {
            out.clear();
            create(format, "a", 1, &mut &b"1"[..], &mut out).unwrap();
            assert_eq!(Format::sniff(&out), Some(format));
        }
        assert_eq!(Format::sniff(b"plain text, not a shard"), None);
    }

    #[test]
    fn a_tar_member_is_a_slice_of_the_shard_and_a_missing_one_is_named() {
        let bytes = Bytes::from(tar_of(&[("0001.jpg", b"one"), ("./0003.jpg", b"three")]));
        let s = shard(&bytes, Format::Tar);
        let got = s.member("0003.jpg").unwrap();
        assert_eq!(&got[..], b"three");
        let inside = bytes.as_ptr_range();
        assert!(inside.contains(&got.as_ptr()), "served in place");
        let err = s.member("0002.jpg").unwrap_err();
        assert!(matches!(err, ArchiveError::Missing { .. }), "{err}");
        assert!(err.to_string().contains("\"0002.jpg\""), "{err}");
    }

    #[test]
    fn tgz_lz4_and_zip_members_decompress() {
        let tar = tar_of(&[("x/a.txt", b"alpha")]);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&tar).unwrap();
        let bytes = Bytes::from(gz.finish().unwrap());
        assert_eq!(
            &shard(&bytes, Format::TarGz).member("x/a.txt").unwrap()[..],
            b"alpha"
        );

        let mut lz = lz4_flex::frame::FrameEncoder::new(Vec::new());
        lz.write_all(&tar).unwrap();
        let bytes = Bytes::from(lz.finish().unwrap());
        assert_eq!(
            &shard(&bytes, Format::TarLz4).member("x/a.txt").unwrap()[..],
            b"alpha"
        );

        let mut z = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        z.start_file("d/b.bin", opts).unwrap();
        z.write_all(&[7u8; 5000]).unwrap();
        let bytes = Bytes::from(z.finish().unwrap().into_inner());
        let s = shard(&bytes, Format::Zip);
        assert_eq!(&s.member("d/b.bin").unwrap()[..], &[7u8; 5000][..]);
        assert_eq!(s.list().unwrap(), [("d/b.bin".to_owned(), 5000)]);
    }

    #[test]
    fn a_corrupt_shard_is_refused_naming_its_format() {
        let junk = Bytes::from_static(b"this is not a zip file at all, not even close");
        let err = shard(&junk, Format::Zip).member("a").unwrap_err();
        assert!(matches!(err, ArchiveError::Corrupt { .. }), "{err}");
        assert!(err.to_string().contains("zip"), "{err}");
        let err = shard(&junk, Format::TarGz).member("a").unwrap_err();
        assert!(err.to_string().contains("tar.gz"), "{err}");
        let err = shard(&junk, Format::TarLz4).list().unwrap_err();
        assert!(err.to_string().contains("tar.lz4"), "{err}");
    }

    #[test]
    fn listing_names_every_file_with_its_size() {
        let bytes = Bytes::from(tar_of(&[("./a.jpg", b"12345"), ("d/b.cls", b"7")]));
        let got = shard(&bytes, Format::Tar).list().unwrap();
        assert_eq!(got, [("a.jpg".to_owned(), 5), ("d/b.cls".to_owned(), 1)]);
    }

    #[test]
    fn every_match_mode_selects_as_ais_does() {
        let members: &[(&str, &[u8])] = &[
            ("s1.jpg", b"j1"),
            ("s1.cls", b"c1"),
            ("d/s2.jpg", b"j2"),
            ("d/s2.cls", b"c2"),
        ];
        let bytes = Bytes::from(tar_of(members));
        let s = shard(&bytes, Format::Tar);
        let pick = |pattern: &str, mode: &str| -> Vec<String> {
            let m = Matcher::parse(pattern, mode).unwrap();
            let mut out = Vec::new();
            let mut began = false;
            match s.select(&m, &mut out, || began = true) {
                Ok(n) => {
                    assert!(began);
                    let got = names_in_tar(&out);
                    assert_eq!(got.len(), n);
                    got.into_iter().map(|(n, _)| n).collect()
                }
                Err(ArchiveError::Missing { .. }) => vec![],
                Err(e) => panic!("{e}"),
            }
        };
        assert_eq!(pick(".jpg", "suffix"), ["s1.jpg", "d/s2.jpg"]);
        assert_eq!(pick("d/", "prefix"), ["d/s2.jpg", "d/s2.cls"]);
        assert_eq!(pick("2.c", "substr"), ["d/s2.cls"]);
        assert_eq!(pick("d/s2", "wdskey"), ["d/s2.jpg", "d/s2.cls"]);
        assert_eq!(pick(r"^s\d\.cls$", "regexp"), ["s1.cls"]);
        assert_eq!(pick("", "regexp").len(), 4, "empty pattern = all");
        assert_eq!(pick("*", "").len(), 4);
        assert!(pick("nothing", "prefix").is_empty());
        let err = Matcher::parse("x", "glob").unwrap_err();
        assert!(err.to_string().contains("\"glob\"") && err.to_string().contains("wdskey"));
        assert!(Matcher::parse("(", "regexp").is_err());
    }

    #[test]
    fn a_selected_tar_member_keeps_its_bytes() {
        let bytes = Bytes::from(tar_of(&[("a.bin", &[9u8; 1000]), ("b.txt", b"b")]));
        let mut out = Vec::new();
        let m = Matcher::parse(".bin", "suffix").unwrap();
        shard(&bytes, Format::Tar)
            .select(&m, &mut out, || ())
            .unwrap();
        assert_eq!(names_in_tar(&out), [("a.bin".to_owned(), vec![9u8; 1000])]);
    }

    #[test]
    fn wds_keys() {
        assert_eq!(wds_key("a/b/s1.jpg"), "a/b/s1");
        assert_eq!(wds_key("s1.seg.jpg"), "s1.seg");
        assert_eq!(wds_key("a.d/noext"), "a.d/noext");
        assert_eq!(wds_key(".hidden"), ".hidden");
    }

    #[test]
    fn appending_to_a_tar_keeps_every_member_and_creating_makes_each_format() {
        let bytes = Bytes::from(tar_of(&[("a", b"1"), ("b", &[2u8; 700])]));
        let mut out = Vec::new();
        shard(&bytes, Format::Tar)
            .append("c/new", 3, &mut &b"333"[..], &mut out)
            .unwrap();
        let grown = Bytes::from(out);
        let s = shard(&grown, Format::Tar);
        let names: Vec<String> = s.list().unwrap().into_iter().map(|(n, _)| n).collect();
        assert_eq!(names, ["a", "b", "c/new"]);
        assert_eq!(&s.member("c/new").unwrap()[..], b"333");
        assert_eq!(&s.member("b").unwrap()[..], &[2u8; 700][..]);

        for format in [Format::Tar, Format::TarGz, Format::TarLz4, Format::Zip] {
            let mut out = Vec::new();
            create(format, "x/one", 4, &mut &b"only"[..], &mut out).unwrap();
            let made = Bytes::from(out);
            assert_eq!(
                &shard(&made, format).member("x/one").unwrap()[..],
                b"only",
                "{format:?}"
            );
        }
        let mut gz = Vec::new();
        create(Format::TarGz, "a", 1, &mut &b"1"[..], &mut gz).unwrap();
        let gz = Bytes::from(gz);
        let err = shard(&gz, Format::TarGz)
            .append("b", 1, &mut &b"2"[..], Vec::new())
            .unwrap_err();
        assert!(matches!(err, ArchiveError::Refused(_)), "{err}");
        let err = create(Format::Tar, "short", 10, &mut &b"abc"[..], Vec::new()).unwrap_err();
        assert!(err.to_string().contains("7 short"), "{err}");
    }
}
