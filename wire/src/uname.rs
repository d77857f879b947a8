//! Object names on the wire.

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// What Python's `urllib.parse.quote` leaves alone (it keeps `/`): the SDK's object-name
/// escaping in URL paths.
const OBJ_NAME: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'/')
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// An object's name in a URL path, escaped as the SDK escapes it (`a b/c#d` -> `a%20b/c%23d`).
pub fn quote_object_name(name: &str) -> String {
    utf8_percent_encode(name, OBJ_NAME).to_string()
}

/// An object's cluster-wide name, `ais/@#/<bucket>/<object>`: what HRW hashes and what
/// transformers see as the object's uname.
pub fn uname(bucket: &str, object: &str) -> String {
    format!("ais/@#/{bucket}/{object}")
}

/// The bucket and object of a uname, `<provider>/@<namespace>/<bucket>/<object>` (`ais/@#/b/o`),
/// or of `ais://<bucket>/<object>`; `None` when it is neither or a part is empty.
pub fn split_uname(uname: &str) -> Option<(&str, &str)> {
    let rest = match uname.strip_prefix("ais://") {
        Some(rest) => rest,
        None => {
            let mut parts = uname.splitn(3, '/');
            let (_provider, ns) = (parts.next()?, parts.next()?);
            if !ns.starts_with('@') {
                return None;
            }
            parts.next()?
        }
    };
    let (bucket, object) = rest.split_once('/')?;
    (!bucket.is_empty() && !object.is_empty()).then_some((bucket, object))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_escape_as_python_quote_does() {
        assert_eq!(quote_object_name("a b/c#d?e%f~g"), "a%20b/c%23d%3Fe%25f~g");
        assert_eq!(uname("b", "dir/o"), "ais/@#/b/dir/o");
    }

    #[test]
    fn unames_split_into_bucket_and_object() {
        assert_eq!(
            split_uname("ais/@#/bck/a/b c.flac"),
            Some(("bck", "a/b c.flac"))
        );
        assert_eq!(split_uname("ais://bck/o"), Some(("bck", "o")));
        assert_eq!(split_uname("bck/obj"), None);
        assert_eq!(split_uname("ais/@#/bck/"), None);
        assert_eq!(split_uname("ais/@#/bck"), None);
    }
}
