//! Free loopback ports for clusters that take a block of consecutive ones.

use std::io;
use std::net::TcpListener;

/// The first of `count` consecutive ports that are all free on 127.0.0.1 right now (`lode up`
/// takes the gateway's port and the next `count - 1` for its targets). Another process may
/// still take one before the cluster binds it; the cluster then fails to start, loudly.
pub fn free_port_block(count: u16) -> io::Result<u16> {
    let bindable = |p: u16| TcpListener::bind(("127.0.0.1", p)).is_ok();
    for _ in 0..200 {
        let base = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        if (0..count).all(|i| base.checked_add(i).is_some_and(bindable)) {
            return Ok(base);
        }
    }
    Err(io::Error::other(format!(
        "no block of {count} free ports on 127.0.0.1"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_block_is_bindable_end_to_end() {
        let base = free_port_block(4).unwrap();
        for p in base..base + 4 {
            TcpListener::bind(("127.0.0.1", p)).unwrap();
        }
    }
}
