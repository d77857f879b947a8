//! URL escaping exactly as the Go target does it (`url.PathEscape`), and the hpull redirect.

use std::path::Path;

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// Go `url.PathEscape`: everything but unreserved characters and `$&+,:;=@` (so `/` -> `%2F`).
const PATH_SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'$')
    .remove(b'&')
    .remove(b'+')
    .remove(b',')
    .remove(b':')
    .remove(b';')
    .remove(b'=')
    .remove(b'@');

/// A query component: everything but unreserved characters.
const QUERY: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Go `url.PathEscape` (`ais/@#/b/o` -> `ais%2F@%23%2Fb%2Fo`).
pub fn path_escape(s: &str) -> String {
    utf8_percent_encode(s, PATH_SEGMENT).to_string()
}

/// Each `/`-separated segment escaped, the slashes kept (the hpush object path).
pub(crate) fn escape_segments(s: &str) -> String {
    s.split('/').map(path_escape).collect::<Vec<_>>().join("/")
}

/// `?etl_fqn=..&etl_args=..` (either may be absent): the FQN is path-escaped first and
/// then query-encoded, as on AIStore's wire (`/` shows up as `%252F`).
pub(crate) fn etl_query(fqn: Option<&Path>, args: &str) -> String {
    let mut pairs = Vec::new();
    if let Some(fqn) = fqn {
        let escaped = path_escape(&fqn.to_string_lossy());
        pairs.push(format!("etl_fqn={}", utf8_percent_encode(&escaped, QUERY)));
    }
    if !args.is_empty() {
        pairs.push(format!("etl_args={}", utf8_percent_encode(args, QUERY)));
    }
    if pairs.is_empty() {
        String::new()
    } else {
        format!("?{}", pairs.join("&"))
    }
}

/// The `Location` of an inline hpull redirect:
/// `<pod>/<PathEscape(uname)>?etl_fqn=<PathEscape(FQN)>[&etl_args=..]`.
pub fn hpull_redirect_url(pod_url: &str, uname: &str, fqn: Option<&Path>, args: &str) -> String {
    format!(
        "{}/{}{}",
        pod_url.trim_end_matches('/'),
        path_escape(uname),
        etl_query(fqn, args)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_escape_matches_go() {
        assert_eq!(
            path_escape("ais/@#/bck/obj.flac"),
            "ais%2F@%23%2Fbck%2Fobj.flac"
        );
        assert_eq!(path_escape("a b?c$&+,:;=~"), "a%20b%3Fc$&+,:;=~");
        assert_eq!(
            escape_segments("d/✓ sp?q.flac"),
            "d/%E2%9C%93%20sp%3Fq.flac"
        );
    }

    #[test]
    fn redirect_url_double_encodes_the_fqn() {
        let url = hpull_redirect_url(
            "http://127.0.0.1:9/",
            "ais/@#/b/o",
            Some(Path::new("/mp/b/o")),
            "{\"x\":1}",
        );
        assert_eq!(url, "http://127.0.0.1:9/ais%2F@%23%2Fb%2Fo?etl_fqn=%252Fmp%252Fb%252Fo&etl_args=%7B%22x%22%3A1%7D");
        assert_eq!(
            hpull_redirect_url("http://h", "ais/@#/b/o", None, ""),
            "http://h/ais%2F@%23%2Fb%2Fo"
        );
    }
}
