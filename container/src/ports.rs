//! Making a command written for a pod run on a free loopback port.
//!
//! Specs written for Kubernetes hard-code the container port (`containerPort: 8000`,
//! `uvicorn ... --port 8000`), and several targets on one machine each run their own copy.
//! lode's one scheme, applied to every command before it runs:
//!
//! 1. The runner picks a free port on 127.0.0.1 and puts it in the env as `PORT` (kept across
//!    restarts, so the transformer's URL never changes).
//! 2. Kubernetes dependent-variable expansion: `$(VAR)` in a command word is replaced by the
//!    value of `VAR` from the container env (so `--port $(PORT)` works); `$$` is a literal `$`;
//!    an unknown `$(VAR)` is left as is, as Kubernetes does.
//! 3. The declared container port is rewritten where a command names it as a listening
//!    address: the word after `--port`/`-p`, `--port=N`, and `HOST:N` (uvicorn, gunicorn
//!    `--bind`, Flask `-p`). Words inside a `sh -c "..."` string are rewritten the same way.
//!    A wildcard host (`0.0.0.0`, `::`, `[::]`) in `--host`/`HOST:N` becomes `127.0.0.1`:
//!    transformers only ever listen on loopback.
//!
//! A port hard-coded inside a program (not in its command) cannot be rewritten: such a
//! program must read `PORT`. Choosing a port by binding port 0 and closing it leaves a short
//! race with other processes; the readiness check then fails with the transformer's log.

use std::collections::HashMap;
use std::net::TcpListener;

/// Asks the kernel for a free port on 127.0.0.1.
pub(crate) fn free_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Applies `$(VAR)` expansion and the port rewrite to every word of `command`.
pub(crate) fn rewrite_command(
    command: &[String],
    env: &HashMap<String, String>,
    declared: u16,
    port: u16,
) -> Vec<String> {
    let mut prev = String::new();
    command
        .iter()
        .map(|arg| {
            let expanded = expand(arg, env);
            let mut out = String::with_capacity(expanded.len());
            let mut word = String::new();
            for ch in expanded.chars().chain(std::iter::once('\0')) {
                if ch.is_whitespace() || ch == '\0' {
                    if !word.is_empty() {
                        let new = rewrite_word(&word, &prev, declared, port);
                        out.push_str(&new);
                        prev = std::mem::take(&mut word);
                    }
                    if ch != '\0' {
                        out.push(ch);
                    }
                } else {
                    word.push(ch);
                }
            }
            out
        })
        .collect()
}

fn rewrite_word(word: &str, prev: &str, declared: u16, port: u16) -> String {
    let declared_s = declared.to_string();
    let port_s = port.to_string();
    if word == declared_s && matches!(prev, "--port" | "-p" | "--http-port" | "--listen-port") {
        return port_s;
    }
    if matches!(prev, "--host" | "-h" | "--bind-host") && is_wildcard(word) {
        return "127.0.0.1".into();
    }
    if let Some(v) = word.strip_prefix("--port=") {
        if v == declared_s {
            return format!("--port={port_s}");
        }
    }
    if let Some((head, p)) = word.rsplit_once(':') {
        if p == declared_s && !head.contains('/') {
            let (flag, host) = match head.rsplit_once('=') {
                Some((flag, host)) => (format!("{flag}="), host),
                None => (String::new(), head),
            };
            let host = if is_wildcard(host) || host.is_empty() {
                "127.0.0.1"
            } else {
                host
            };
            return format!("{flag}{host}:{port_s}");
        }
    }
    word.to_owned()
}

fn is_wildcard(host: &str) -> bool {
    matches!(host, "0.0.0.0" | "::" | "[::]" | "*")
}

/// Kubernetes `$(VAR)` expansion (`$$` escapes a `$`; unknown references stay as they are).
pub(crate) fn expand(text: &str, env: &HashMap<String, String>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        if let Some(after) = rest.strip_prefix("$$") {
            out.push('$');
            rest = after;
        } else if let Some((name, after)) = rest
            .strip_prefix("$(")
            .and_then(|r| r.split_once(')'))
            .filter(|(n, _)| !n.is_empty() && n.chars().all(|c| c.is_alphanumeric() || c == '_'))
        {
            match env.get(name) {
                Some(v) => out.push_str(v),
                None => {
                    out.push_str("$(");
                    out.push_str(name);
                    out.push(')');
                }
            }
            rest = after;
        } else {
            out.push('$');
            rest = &rest[1..];
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(cmd: &[&str]) -> Vec<String> {
        let env = HashMap::from([
            ("PORT".to_string(), "41234".to_string()),
            ("W".into(), "4".into()),
        ]);
        let cmd: Vec<String> = cmd.iter().map(|s| s.to_string()).collect();
        rewrite_command(&cmd, &env, 8000, 41234)
    }

    #[test]
    fn uvicorn_port_and_host() {
        assert_eq!(
            run(&[
                "uvicorn",
                "app:app",
                "--host",
                "0.0.0.0",
                "--port",
                "8000",
                "--workers",
                "$(W)"
            ]),
            [
                "uvicorn",
                "app:app",
                "--host",
                "127.0.0.1",
                "--port",
                "41234",
                "--workers",
                "4"
            ]
        );
        assert_eq!(run(&["x", "--port=8000"]), ["x", "--port=41234"]);
    }

    #[test]
    fn gunicorn_bind_and_shell_strings() {
        assert_eq!(
            run(&["gunicorn", "a:app", "--bind", "0.0.0.0:8000"]),
            ["gunicorn", "a:app", "--bind", "127.0.0.1:41234"]
        );
        assert_eq!(
            run(&["gunicorn", "--bind=:8000"]),
            ["gunicorn", "--bind=127.0.0.1:41234"]
        );
        assert_eq!(
            run(&[
                "sh",
                "-c",
                "ulimit -n 1024 && exec uvicorn a:b --port 8000  --workers 2"
            ]),
            [
                "sh",
                "-c",
                "ulimit -n 1024 && exec uvicorn a:b --port 41234  --workers 2"
            ]
        );
    }

    #[test]
    fn other_numbers_and_urls_are_kept() {
        assert_eq!(
            run(&["x", "--workers", "8000", "http://h:8000", "-n", "8000"]),
            ["x", "--workers", "8000", "http://h:8000", "-n", "8000"]
        );
    }

    #[test]
    fn kubernetes_expansion() {
        let env = HashMap::from([("A".to_string(), "1".to_string())]);
        assert_eq!(expand("$(A)-$(B)-$$(A)-$-$(", &env), "1-$(B)-$(A)-$-$(");
    }
}
