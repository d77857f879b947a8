//! ETL name rules, as AIStore's `cmn/k8s` and the SDK enforce them.

/// Shortest allowed ETL name.
pub const MIN_LEN: usize = 6;
/// Longest allowed ETL name.
pub const MAX_LEN: usize = 32;

/// Checks an ETL name: 6..32 characters of `[a-z0-9-]`, starting and ending alphanumeric
/// (the SDK's rule, which Kubernetes also enforces on pod names). The error texts are AIStore's.
pub fn validate(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("ETL name is empty".to_owned());
    }
    if name.len() < MIN_LEN {
        return Err(format!("ETL name {name:?} is too short"));
    }
    if name.len() > MAX_LEN {
        return Err(format!("ETL name {name:?} is too long"));
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return Err(format!(
            "ETL name {name:?} is invalid: can only contain [a-z0-9-]"
        ));
    }
    if name.starts_with('-') || name.ends_with('-') {
        return Err(format!(
            "ETL name {name:?} is invalid: must start and end with [a-z0-9]"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::validate;

    #[test]
    fn accepts_valid_names() {
        for name in ["my-etl1", "flac2wav", "abcdef", "a-b-c-d", &"x".repeat(32)] {
            validate(name).unwrap();
        }
    }

    #[test]
    fn rejects_invalid_names_with_ais_texts() {
        assert!(validate("").unwrap_err().contains("empty"));
        assert!(validate("abc").unwrap_err().contains("too short"));
        assert!(validate(&"x".repeat(33)).unwrap_err().contains("too long"));
        assert!(validate("My-Etl1").unwrap_err().contains("[a-z0-9-]"));
        assert!(validate("my_etl1").unwrap_err().contains("[a-z0-9-]"));
        assert!(validate("-myetl1").unwrap_err().contains("start and end"));
        assert!(validate("myetl1-").unwrap_err().contains("start and end"));
    }
}
