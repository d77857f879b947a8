//! A network namespace per transformer, as a pod has: the transformer listens on the port its
//! code or command names (8000 for most), however many targets on the machine run a copy.
//!
//! No addresses, bridges or tools are needed. A helper thread creates the namespace
//! (`unshare(CLONE_NEWNET)`), brings its loopback up and stays in it to open sockets there; a
//! socket belongs to the namespace it was created in, whichever thread uses it later. Then:
//!
//! * **in**: the target listens on a free port of its own loopback and forwards each
//!   connection to `127.0.0.1:<declared port>` inside the namespace (the pod's URL is that
//!   free port, so communicators are unchanged);
//! * **out**: inside the namespace, `127.0.0.1:<port>` of every target the transformer may call
//!   (`AIS_TARGET_URL`, direct-put destinations) is a listener forwarding to the same address
//!   outside, so the URLs it is given work unchanged.
//!
//! The process is put into the namespace by `setns` just before it executes. Creating a
//! namespace needs `CAP_SYS_ADMIN` (root, or a user namespace); without it the runner falls back
//! to rewriting the port (`ports.rs`).

// unsafe here: unshare(2), setns(2) and ioctl(2) on raw descriptors; each block says why it is sound.
#![allow(unsafe_code)]

use std::io;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::{mpsc, Mutex, PoisonError};

use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// What the namespace's thread does for the runner.
enum Ask {
    /// An unconnected TCP socket inside the namespace.
    Socket(oneshot::Sender<io::Result<std::net::TcpStream>>),
    /// A listener on `127.0.0.1:<port>` inside the namespace.
    Listen(u16, oneshot::Sender<io::Result<std::net::TcpListener>>),
}

/// One transformer's network namespace and its forwarders; dropping it stops them (the
/// namespace goes when its last process and descriptor do).
#[derive(Debug)]
pub(crate) struct NetNs {
    /// `/proc/thread-self/ns/net` of the helper thread: what a process `setns`es into.
    fd: OwnedFd,
    asks: Mutex<mpsc::Sender<Ask>>,
    forwarders: Mutex<Vec<JoinHandle<()>>>,
}

impl NetNs {
    /// A new namespace with its loopback up; an error when namespaces are not permitted.
    pub(crate) fn new() -> io::Result<NetNs> {
        let (asks, inbox) = mpsc::channel::<Ask>();
        let (made_tx, made) = mpsc::channel::<io::Result<OwnedFd>>();
        std::thread::Builder::new()
            .name("lode-netns".into())
            .spawn(move || {
                let fd = enter_new().and_then(|()| loopback_up()).and_then(|()| {
                    std::fs::File::open("/proc/thread-self/ns/net").map(OwnedFd::from)
                });
                let ok = fd.is_ok();
                if made_tx.send(fd).is_err() || !ok {
                    return;
                }
                // Serve until the NetNs is dropped (its sender with it).
                for ask in inbox {
                    match ask {
                        Ask::Socket(reply) => drop(reply.send(new_socket())),
                        Ask::Listen(port, reply) => drop(reply.send(listen(port))),
                    }
                }
            })?;
        let fd = made
            .recv()
            .map_err(|_| io::Error::other("the namespace thread ended"))??;
        Ok(NetNs {
            fd,
            asks: Mutex::new(asks),
            forwarders: Mutex::new(Vec::new()),
        })
    }

    /// The descriptor a child `setns`es into before it executes.
    pub(crate) fn fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }

    async fn ask<T>(&self, make: impl FnOnce(oneshot::Sender<T>) -> Ask) -> io::Result<T> {
        let (tx, rx) = oneshot::channel();
        self.asks
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .send(make(tx))
            .map_err(|_| io::Error::other("the namespace thread ended"))?;
        rx.await
            .map_err(|_| io::Error::other("the namespace thread ended"))
    }

    /// Forwards a free port of this machine's loopback to `127.0.0.1:<port>` inside; answers
    /// the free port.
    pub(crate) async fn forward_in(self: &std::sync::Arc<Self>, port: u16) -> io::Result<u16> {
        let outside = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let free = outside.local_addr()?.port();
        let ns = std::sync::Arc::downgrade(self);
        let to = SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, port));
        let task = tokio::spawn(async move {
            while let Ok((conn, _)) = outside.accept().await {
                let Some(ns) = ns.upgrade() else { return };
                tokio::spawn(async move {
                    let inside = match ns.ask(Ask::Socket).await {
                        Ok(Ok(s)) => s,
                        _ => return,
                    };
                    drop(ns);
                    let socket = TcpSocket::from_std_stream(inside);
                    if let Ok(inside) = socket.connect(to).await {
                        pipe(conn, inside).await;
                    }
                });
            }
        });
        self.keep(task);
        Ok(free)
    }

    /// Makes `127.0.0.1:<port>` inside reach the same address outside, for each port.
    pub(crate) async fn forward_out(&self, ports: &[u16]) -> io::Result<()> {
        for &port in ports {
            let inside = self.ask(|tx| Ask::Listen(port, tx)).await??;
            inside.set_nonblocking(true)?;
            let inside = TcpListener::from_std(inside)?;
            let task = tokio::spawn(async move {
                while let Ok((conn, _)) = inside.accept().await {
                    tokio::spawn(async move {
                        if let Ok(outside) = TcpStream::connect((Ipv4Addr::LOCALHOST, port)).await {
                            pipe(conn, outside).await;
                        }
                    });
                }
            });
            self.keep(task);
        }
        Ok(())
    }

    fn keep(&self, task: JoinHandle<()>) {
        self.forwarders
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(task);
    }
}

impl Drop for NetNs {
    fn drop(&mut self) {
        for task in self
            .forwarders
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .drain(..)
        {
            task.abort();
        }
    }
}

/// Copies both ways until either side closes.
async fn pipe(mut a: TcpStream, mut b: TcpStream) {
    let _ = a.set_nodelay(true);
    let _ = b.set_nodelay(true);
    let _ = tokio::io::copy_bidirectional(&mut a, &mut b).await;
}

/// Moves the calling thread into a new network namespace.
fn enter_new() -> io::Result<()> {
    // SAFETY: unshare has no memory-safety preconditions; CLONE_NEWNET changes only the
    // calling thread's namespace (this dedicated thread's).
    if unsafe { libc::unshare(libc::CLONE_NEWNET) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Brings `lo` up in the calling thread's namespace (a new namespace's loopback is down).
fn loopback_up() -> io::Result<()> {
    let sock = std::net::UdpSocket::bind((Ipv4Addr::UNSPECIFIED, 0))?;
    // SAFETY: ifreq is plain old data (a name and a union of integers and addresses); all
    // zeroes is a valid value of it.
    let mut req: libc::ifreq = unsafe { std::mem::zeroed() };
    for (dst, src) in req.ifr_name.iter_mut().zip(b"lo\0") {
        *dst = *src as libc::c_char;
    }
    // SAFETY: `sock` is an open socket for the whole call; SIOCGIFFLAGS / SIOCSIFFLAGS read
    // and write only the `ifreq` passed, which lives on this stack frame; reading the union's
    // `ifru_flags` after SIOCGIFFLAGS filled it is reading what the kernel wrote.
    unsafe {
        if libc::ioctl(sock.as_raw_fd(), libc::SIOCGIFFLAGS, &mut req) != 0 {
            return Err(io::Error::last_os_error());
        }
        req.ifr_ifru.ifru_flags |= (libc::IFF_UP | libc::IFF_RUNNING) as libc::c_short;
        if libc::ioctl(sock.as_raw_fd(), libc::SIOCSIFFLAGS, &req) != 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

/// An unconnected, non-blocking TCP socket in the calling thread's namespace.
fn new_socket() -> io::Result<std::net::TcpStream> {
    // SAFETY: socket(2) has no memory-safety preconditions.
    let fd = unsafe {
        libc::socket(
            libc::AF_INET,
            libc::SOCK_STREAM | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
            0,
        )
    };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `fd` was just returned by socket(2), is open, and nothing else owns it.
    Ok(unsafe { std::net::TcpStream::from_raw_fd(fd) })
}

fn listen(port: u16) -> io::Result<std::net::TcpListener> {
    std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, port))
}

/// For a child about to execute: join the namespace `fd` names. Runs between fork and exec,
/// so it only makes a system call.
pub(crate) fn join(fd: RawFd) -> io::Result<()> {
    // SAFETY: setns has no memory-safety preconditions; `fd` is the namespace descriptor the
    // pod keeps open for as long as it may spawn.
    if unsafe { libc::setns(fd, libc::CLONE_NEWNET) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    /// Two namespaces each listen on the same port; both are reached through their own
    /// forwarded port, and each reaches a listener outside through its outbound forwarder.
    #[tokio::test]
    async fn the_same_port_in_two_namespaces_and_the_way_out() {
        let Ok(first) = NetNs::new() else {
            eprintln!("network namespaces are not permitted here; skipping");
            return;
        };
        let outside = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await.unwrap();
        let out_port = outside.local_addr().unwrap().port();
        tokio::spawn(async move {
            while let Ok((mut c, _)) = outside.accept().await {
                let _ = c.write_all(b"outside").await;
            }
        });
        let second = Arc::new(NetNs::new().unwrap());
        let first = Arc::new(first);
        let mut ports = Vec::new();
        for (ns, word) in [(&first, b"first!"), (&second, b"second")] {
            let inside = ns.ask(|tx| Ask::Listen(8000, tx)).await.unwrap().unwrap();
            inside.set_nonblocking(true).unwrap();
            let inside = TcpListener::from_std(inside).unwrap();
            tokio::spawn(async move {
                while let Ok((mut c, _)) = inside.accept().await {
                    let _ = c.write_all(word).await;
                }
            });
            ports.push(ns.forward_in(8000).await.unwrap());
            ns.forward_out(&[out_port]).await.unwrap();
        }
        for (port, want) in ports.iter().zip([&b"first!"[..], b"second"]) {
            let mut c = TcpStream::connect((Ipv4Addr::LOCALHOST, *port))
                .await
                .unwrap();
            let mut got = Vec::new();
            c.read_to_end(&mut got).await.unwrap();
            assert_eq!(got, want);
        }
        let s = first.ask(Ask::Socket).await.unwrap().unwrap();
        let to = SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, out_port));
        let mut c = TcpSocket::from_std_stream(s).connect(to).await.unwrap();
        let mut got = Vec::new();
        c.read_to_end(&mut got).await.unwrap();
        assert_eq!(
            got, b"outside",
            "inside reaches outside through the forwarder"
        );
    }
}
