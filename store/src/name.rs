//! Bucket and object name rules, and the encoding of an object name into a relative file path.
//!
//! An object name is split on `/`. Every component has `%` escaped as `%25`; every component but
//! the last also gets the suffix `%d`. So `a` lives in file `a` while `a/b` lives in `a%d/b`: a name
//! can be an object and a "directory" prefix at the same time, and since a literal `%` is always
//! escaped, no object name can produce the `%d` suffix on its own. The last component keeps its
//! spelling (and its extension), which transforms that are handed the file path may care about.

use std::path::PathBuf;

use crate::error::{Result, StoreError};

/// Longest accepted bucket name (bytes).
pub const MAX_BUCKET_NAME: usize = 64;
/// Longest accepted object name (bytes).
pub const MAX_OBJECT_NAME: usize = 1024;
/// Longest encoded path component (a file name on common filesystems is at most 255 bytes).
const MAX_COMPONENT: usize = 250;
const DIR_SUFFIX: &str = "%d";

/// Check a bucket name: 1..=64 bytes of `[A-Za-z0-9._-]`, not starting with `.`.
pub fn validate_bucket_name(name: &str) -> Result<()> {
    let invalid = |why: &str| {
        Err(StoreError::InvalidName(format!(
            "bucket name \"{name}\" is invalid: {why}"
        )))
    };
    if name.is_empty() {
        return invalid("empty");
    }
    if name.len() > MAX_BUCKET_NAME {
        return invalid("too long (at most 64 characters)");
    }
    if name.starts_with('.') {
        return invalid("must not start with '.'");
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
    {
        return invalid(
            "may only contain letters, numbers, dashes (-), underscores (_), and dots (.)",
        );
    }
    Ok(())
}

/// Check an object name and return its relative file path (see the module doc).
///
/// Refused: empty names, names over 1024 bytes, NUL bytes, empty components (a leading or trailing
/// `/`, `//`), and `.` or `..` components: nothing can point outside the bucket directory.
pub fn object_rel_path(name: &str) -> Result<PathBuf> {
    let invalid = |why: &str| {
        Err(StoreError::InvalidName(format!(
            "object name \"{}\" is invalid: {why}",
            name.escape_debug()
        )))
    };
    if name.is_empty() {
        return invalid("empty");
    }
    if name.len() > MAX_OBJECT_NAME {
        return invalid("too long (at most 1024 bytes)");
    }
    if name.contains('\0') {
        return invalid("contains a NUL byte");
    }
    let parts: Vec<&str> = name.split('/').collect();
    let mut path = PathBuf::new();
    for (i, part) in parts.iter().enumerate() {
        match *part {
            "" => return invalid("empty path component (leading, trailing or double '/')"),
            "." | ".." => return invalid("'.' and '..' path components are not allowed"),
            _ => {}
        }
        let mut enc = part.replace('%', "%25");
        if i + 1 < parts.len() {
            enc.push_str(DIR_SUFFIX);
        }
        if enc.len() > MAX_COMPONENT {
            return invalid("a path component is too long");
        }
        path.push(enc);
    }
    Ok(path)
}

/// Inverse of [`object_rel_path`] for one stored path, components given in order.
/// `None` when the path is not one this module produced (foreign files are skipped).
pub(crate) fn decode_components(components: &[&str]) -> Option<String> {
    let mut name = String::new();
    for (i, comp) in components.iter().enumerate() {
        let last = i + 1 == components.len();
        let raw = if last {
            *comp
        } else {
            comp.strip_suffix(DIR_SUFFIX)?
        };
        if i > 0 {
            name.push('/');
        }
        name.push_str(&unescape(raw)?);
    }
    Some(name)
}

fn unescape(s: &str) -> Option<String> {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(pos) = rest.find('%') {
        out.push_str(&rest[..pos]);
        rest = rest[pos..].strip_prefix("%25")?;
        out.push('%');
    }
    out.push_str(rest);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_names() {
        for ok in ["a", "my-bucket_1.x", "A.B", &"x".repeat(64)] {
            assert!(validate_bucket_name(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            ".hidden",
            "a/b",
            "a b",
            "ü",
            "a@b",
            "a#b",
            &"x".repeat(65),
        ] {
            assert!(validate_bucket_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn object_names_that_escape_are_refused() {
        for bad in [
            "",
            "..",
            ".",
            "../x",
            "a/../../x",
            "a/./b",
            "/abs",
            "a//b",
            "a/",
            "nul\0byte",
        ] {
            assert!(object_rel_path(bad).is_err(), "{bad:?}");
        }
        assert!(object_rel_path(&"x".repeat(1025)).is_err());
    }

    #[test]
    fn file_and_directory_names_coexist() {
        assert_eq!(object_rel_path("a").ok(), Some(PathBuf::from("a")));
        assert_eq!(object_rel_path("a/b").ok(), Some(PathBuf::from("a%d/b")));
        assert_eq!(
            object_rel_path("a%d/b").ok(),
            Some(PathBuf::from("a%25d%d/b"))
        );
    }

    #[test]
    fn encoding_round_trips() {
        for name in [
            "a",
            "a/b/c.flac",
            "100%/x%d",
            "sp ace/? #/ünï",
            "..a/b..",
            ".hidden",
        ] {
            let path = object_rel_path(name).unwrap();
            let comps: Vec<&str> = path.iter().map(|c| c.to_str().unwrap()).collect();
            assert_eq!(decode_components(&comps).as_deref(), Some(name));
        }
        assert_eq!(decode_components(&["a", "b"]), None);
        assert_eq!(decode_components(&["bad%zz"]), None);
    }
}
