//! One member of a shard (`GET ...?archpath=<member>`): tar, tar.gz / tgz and zip, the format
//! chosen by the object's name as AIS does. A plain tar member is a slice of the shard's
//! mapping (no copy); a compressed member is decompressed on its own into memory. The shard
//! itself is never read into memory whole.

use std::io::Read;

use axum::http::StatusCode;
use bytes::Bytes;

use crate::error::ApiError;

/// The shard formats `archpath` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Format {
    Tar,
    TarGz,
    Zip,
}

impl Format {
    /// The format an object's name says it has (`.tar`, `.tgz`, `.tar.gz`, `.zip`).
    pub(super) fn of(object: &str) -> Option<Format> {
        let name = object.to_ascii_lowercase();
        [
            (".tar.gz", Format::TarGz),
            (".tgz", Format::TarGz),
            (".tar", Format::Tar),
            (".zip", Format::Zip),
        ]
        .into_iter()
        .find_map(|(ext, f)| name.ends_with(ext).then_some(f))
    }

    fn name(self) -> &'static str {
        match self {
            Format::Tar => "tar",
            Format::TarGz => "tar.gz",
            Format::Zip => "zip",
        }
    }
}

/// Why a member cannot be answered.
#[derive(Debug, thiserror::Error)]
pub(super) enum ArchiveError {
    /// The shard reads fine but has no such member.
    #[error("{shard}: no member {member:?} in this {format} shard")]
    Missing {
        shard: String,
        member: String,
        format: &'static str,
    },
    /// The shard is not a valid archive of its format.
    #[error("{shard} is not a readable {format} shard: {why}")]
    Corrupt {
        shard: String,
        format: &'static str,
        why: String,
    },
}

impl ArchiveError {
    /// As the HTTP error a GET answers: 404 for a missing member, 400 for a bad shard.
    pub(super) fn into_api(self, node: &str) -> ApiError {
        let status = match self {
            ArchiveError::Missing { .. } => StatusCode::NOT_FOUND,
            ArchiveError::Corrupt { .. } => StatusCode::BAD_REQUEST,
        };
        ApiError::new(status, format!("{node}: {self}"))
    }
}

/// Member `path` of `shard` (the whole object, named `uname` in errors).
pub(super) fn member(
    shard: &Bytes,
    format: Format,
    path: &str,
    uname: &str,
) -> Result<Bytes, ArchiveError> {
    let corrupt = |why: &dyn std::fmt::Display| ArchiveError::Corrupt {
        shard: uname.to_owned(),
        format: format.name(),
        why: why.to_string(),
    };
    let found = match format {
        Format::Tar => tar_member(&shard[..], path, true).map_err(|e| corrupt(&e))?,
        Format::TarGz => {
            let gz = flate2::read::GzDecoder::new(&shard[..]);
            tar_member(gz, path, false).map_err(|e| corrupt(&e))?
        }
        Format::Zip => zip_member(shard, path).map_err(|e| corrupt(&e))?,
    };
    found
        .map(|m| match m {
            Member::At(start, len) => shard.slice(start..start + len),
            Member::Read(bytes) => Bytes::from(bytes),
        })
        .ok_or_else(|| ArchiveError::Missing {
            shard: uname.to_owned(),
            member: path.to_owned(),
            format: format.name(),
        })
}

enum Member {
    /// At this offset of the shard, this long.
    At(usize, usize),
    /// Decompressed.
    Read(Vec<u8>),
}

/// Whether a stored member name is `path` (tar writers often prefix `./`).
fn same_name(stored: &str, path: &str) -> bool {
    let strip = |s: &str| {
        s.trim_start_matches("./")
            .trim_start_matches('/')
            .to_owned()
    };
    strip(stored) == strip(path)
}

/// Finds `path` among the entries of a tar stream; `in_place`: the stream is the shard itself,
/// so a regular file's bytes can be answered as a slice of it.
fn tar_member<R: Read>(stream: R, path: &str, in_place: bool) -> std::io::Result<Option<Member>> {
    let mut archive = tar::Archive::new(stream);
    for entry in archive.entries()? {
        let mut entry = entry?;
        let name = entry.path()?.to_string_lossy().into_owned();
        if !same_name(&name, path) || entry.header().entry_type().is_dir() {
            continue;
        }
        let size = usize::try_from(entry.size()).map_err(std::io::Error::other)?;
        let plain = entry.header().entry_type().is_file();
        if in_place && plain {
            let start =
                usize::try_from(entry.raw_file_position()).map_err(std::io::Error::other)?;
            return Ok(Some(Member::At(start, size)));
        }
        let mut bytes = Vec::with_capacity(size);
        entry.read_to_end(&mut bytes)?;
        return Ok(Some(Member::Read(bytes)));
    }
    Ok(None)
}

fn zip_member(shard: &Bytes, path: &str) -> zip::result::ZipResult<Option<Member>> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(&shard[..]))?;
    let Some(index) = (0..archive.len()).find(|&i| {
        archive
            .name_for_index(i)
            .is_some_and(|n| n.is_ok_and(|n| same_name(&n, path) && !n.ends_with('/')))
    }) else {
        return Ok(None);
    };
    let mut file = archive.by_index(index)?;
    let mut bytes = Vec::with_capacity(usize::try_from(file.size()).unwrap_or(0));
    file.read_to_end(&mut bytes)?;
    Ok(Some(Member::Read(bytes)))
}

#[cfg(test)]
mod tests {
    use std::io::Write as _;

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

    #[test]
    fn formats_by_name() {
        assert_eq!(Format::of("a/b.tar"), Some(Format::Tar));
        assert_eq!(Format::of("b.TGZ"), Some(Format::TarGz));
        assert_eq!(Format::of("b.tar.gz"), Some(Format::TarGz));
        assert_eq!(Format::of("b.zip"), Some(Format::Zip));
        assert_eq!(Format::of("b.gz"), None);
    }

    #[test]
    fn a_tar_member_is_a_slice_of_the_shard_and_a_missing_one_is_named() {
        let shard = Bytes::from(tar_of(&[("0001.jpg", b"one"), ("./0003.jpg", b"three")]));
        let got = member(&shard, Format::Tar, "0003.jpg", "ais://b/s.tar").unwrap();
        assert_eq!(&got[..], b"three");
        let inside = shard.as_ptr_range();
        assert!(inside.contains(&got.as_ptr()), "served in place");
        let err = member(&shard, Format::Tar, "0002.jpg", "ais://b/s.tar").unwrap_err();
        assert!(matches!(err, ArchiveError::Missing { .. }), "{err}");
        assert!(err.to_string().contains("\"0002.jpg\""), "{err}");
    }

    #[test]
    fn tgz_and_zip_members_decompress() {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&tar_of(&[("x/a.txt", b"alpha")])).unwrap();
        let shard = Bytes::from(gz.finish().unwrap());
        let got = member(&shard, Format::TarGz, "x/a.txt", "s.tgz").unwrap();
        assert_eq!(&got[..], b"alpha");

        let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        z.start_file("d/b.bin", opts).unwrap();
        z.write_all(&[7u8; 5000]).unwrap();
        let shard = Bytes::from(z.finish().unwrap().into_inner());
        let got = member(&shard, Format::Zip, "d/b.bin", "s.zip").unwrap();
        assert_eq!(&got[..], &[7u8; 5000][..]);
    }

    #[test]
    fn a_corrupt_shard_is_refused_naming_its_format() {
        let junk = Bytes::from_static(b"this is not a zip file at all, not even close");
        let err = member(&junk, Format::Zip, "a", "ais://b/s.zip").unwrap_err();
        assert!(matches!(err, ArchiveError::Corrupt { .. }), "{err}");
        assert!(err.to_string().contains("zip"), "{err}");
        let err = member(&junk, Format::TarGz, "a", "ais://b/s.tgz").unwrap_err();
        assert!(err.to_string().contains("tar.gz"), "{err}");
    }
}
