//! A TCP forwarder between a client and a server that can fail on command, for tests of what a
//! client does when the network goes away.
//!
//! [`Proxy::start`] listens on `127.0.0.1` (a free port) and forwards every accepted connection
//! to a target address, byte for byte (TLS passes through untouched: a client that pins the
//! server certificate by fingerprint can connect to [`Proxy::port`] instead of the server's).
//! It runs on its own threads, independent of any async runtime, and stops them all when
//! dropped.
//!
//! # Faults
//!
//! - [`Proxy::blackhole`]`(true)`: a silently dead network path (Wi-Fi gone, a NAT mapping
//!   expired). Every connection, open or new, keeps looking alive to both ends: nothing is
//!   closed, no FIN, no RST, writes succeed, but whatever either side sends is swallowed and
//!   never arrives. New connections are accepted (TCP connects) but the server never hears of
//!   them, so not even a greeting arrives.
//! - [`Proxy::blackhole`]`(false)`: connections made afterwards work normally. Connections
//!   that were blackholed stay dead for good (their swallowed bytes are lost, so a TLS stream
//!   could not resume anyway) until [`Proxy::cut`] or drop closes them: a client must notice
//!   and reconnect.
//! - [`Proxy::cut`]: every current connection is shut down at once on both sides, so the client
//!   reads end-of-stream (FIN) and the server sees the client leave: a dropped connection.
//!   The proxy keeps accepting new ones.
//!
//! [`Proxy::connections`] counts the connections accepted so far, to check that a client does
//! not reconnect in a tight loop.

use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

/// How long connecting to the target may take before the client's connection is closed.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// A fault-injecting TCP forwarder. See the module documentation.
#[derive(Debug)]
pub struct Proxy {
    addr: SocketAddr,
    target: SocketAddr,
    shared: Arc<Shared>,
    acceptor: Option<JoinHandle<()>>,
}

/// State shared by the proxy handle and its threads.
#[derive(Debug, Default)]
struct Shared {
    /// Dropping: every thread ends.
    stopping: AtomicBool,
    /// Blackhole mode for connections accepted from now on.
    blackhole: AtomicBool,
    /// Connections accepted so far.
    accepted: AtomicUsize,
    /// Open connections.
    conns: Mutex<Vec<Arc<Conn>>>,
    /// Forwarding threads, joined on drop.
    pumps: Mutex<Vec<JoinHandle<()>>>,
}

impl Shared {
    fn conns(&self) -> MutexGuard<'_, Vec<Arc<Conn>>> {
        self.conns.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn pumps(&self) -> MutexGuard<'_, Vec<JoinHandle<()>>> {
        self.pumps.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn forget(&self, conn: &Arc<Conn>) {
        self.conns().retain(|c| !Arc::ptr_eq(c, conn));
    }
}

/// One proxied connection.
#[derive(Debug)]
struct Conn {
    /// The accepted socket.
    client: TcpStream,
    /// The socket to the target; `None` when accepted during a blackhole.
    server: Option<TcpStream>,
    /// Swallows everything, forever.
    dead: AtomicBool,
    /// Closed by [`Proxy::cut`] or drop.
    closed: AtomicBool,
    /// Forwarding directions still running; the connection is forgotten when both ended.
    running: AtomicUsize,
}

impl Conn {
    /// Shuts both sockets down: readers and writers on them wake up, both peers see FIN.
    fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
        let _ = self.client.shutdown(Shutdown::Both);
        if let Some(server) = &self.server {
            let _ = server.shutdown(Shutdown::Both);
        }
    }
}

impl Proxy {
    /// Starts forwarding from a free port on `127.0.0.1` to `target`.
    pub fn start(target: SocketAddr) -> io::Result<Proxy> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared::default());
        let acceptor = {
            let shared = Arc::clone(&shared);
            std::thread::Builder::new()
                .name(format!("proxy-{}-accept", addr.port()))
                .spawn(move || accept_loop(&listener, target, &shared))?
        };
        Ok(Proxy { addr, target, shared, acceptor: Some(acceptor) })
    }

    /// Where clients connect.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The port clients connect to (on `127.0.0.1`).
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// Where connections are forwarded to.
    pub fn target(&self) -> SocketAddr {
        self.target
    }

    /// Turns the blackhole on or off (see the module documentation): on, every open and new
    /// connection silently swallows what either side sends; off, new connections work again
    /// while the ones blackholed stay dead. Bytes already being forwarded at the moment of the
    /// call may still arrive.
    pub fn blackhole(&self, on: bool) {
        self.shared.blackhole.store(on, Ordering::SeqCst);
        if on {
            for conn in self.shared.conns().iter() {
                conn.dead.store(true, Ordering::SeqCst);
            }
        }
    }

    /// True while the blackhole is on.
    pub fn is_blackholed(&self) -> bool {
        self.shared.blackhole.load(Ordering::SeqCst)
    }

    /// Closes every current connection at once (both sides see end-of-stream); new ones are
    /// still accepted.
    pub fn cut(&self) {
        let conns = std::mem::take(&mut *self.shared.conns());
        for conn in conns {
            conn.close();
        }
    }

    /// Connections accepted so far (including ones accepted during a blackhole and ones
    /// already closed).
    pub fn connections(&self) -> usize {
        self.shared.accepted.load(Ordering::SeqCst)
    }

    /// Connections currently open through the proxy.
    pub fn open_connections(&self) -> usize {
        self.shared.conns().len()
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.shared.stopping.store(true, Ordering::SeqCst);
        // Wake the acceptor up: it sees `stopping` and closes the listener.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(acceptor) = self.acceptor.take() {
            let _ = acceptor.join();
        }
        self.cut();
        let pumps = std::mem::take(&mut *self.shared.pumps());
        for pump in pumps {
            let _ = pump.join();
        }
    }
}

fn accept_loop(listener: &TcpListener, target: SocketAddr, shared: &Arc<Shared>) {
    for client in listener.incoming() {
        if shared.stopping.load(Ordering::SeqCst) {
            return;
        }
        let Ok(client) = client else {
            // Out of file descriptors or the like: try again shortly.
            std::thread::sleep(Duration::from_millis(10));
            continue;
        };
        shared.accepted.fetch_add(1, Ordering::SeqCst);
        let _ = client.set_nodelay(true);
        let blackholed = shared.blackhole.load(Ordering::SeqCst);
        let server = if blackholed {
            None
        } else {
            match TcpStream::connect_timeout(&target, CONNECT_TIMEOUT) {
                Ok(server) => {
                    let _ = server.set_nodelay(true);
                    Some(server)
                }
                // The target is down: the client's connection closes, like a refused one would.
                Err(_) => continue,
            }
        };
        let conn = Arc::new(Conn {
            client,
            server,
            dead: AtomicBool::new(blackholed),
            closed: AtomicBool::new(false),
            running: AtomicUsize::new(0),
        });
        // Registered before the threads start, so a blackhole or cut from now on reaches it.
        shared.conns().push(Arc::clone(&conn));
        // A blackhole turned on between the check above and the registration.
        if shared.blackhole.load(Ordering::SeqCst) {
            conn.dead.store(true, Ordering::SeqCst);
        }
        if shared.stopping.load(Ordering::SeqCst) {
            conn.close();
            return;
        }
        let directions = [Direction::ToServer, Direction::ToClient];
        let directions = if conn.server.is_some() { &directions[..] } else { &directions[..1] };
        conn.running.store(directions.len(), Ordering::SeqCst);
        for &direction in directions {
            let (pumped, shared_for_pump) = (Arc::clone(&conn), Arc::clone(shared));
            let spawned = std::thread::Builder::new()
                .name(format!("proxy-{}-{direction:?}", target.port()))
                .spawn(move || pump(&pumped, direction, &shared_for_pump));
            match spawned {
                Ok(handle) => {
                    let mut pumps = shared.pumps();
                    // Keep the list short: forget threads that already ended.
                    pumps.retain(|h| !h.is_finished());
                    pumps.push(handle);
                }
                Err(_) => {
                    // Out of threads: give the connection up (a pump already running ends).
                    conn.close();
                    shared.forget(&conn);
                    break;
                }
            }
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Direction {
    ToServer,
    ToClient,
}

/// Copies one direction of `conn` until either end closes, swallowing everything once the
/// connection is dead.
fn pump(conn: &Arc<Conn>, direction: Direction, shared: &Shared) {
    let (mut from, mut to) = match (direction, &conn.server) {
        (Direction::ToServer, server) => (&conn.client, server.as_ref()),
        (Direction::ToClient, Some(server)) => (server, Some(&conn.client)),
        (Direction::ToClient, None) => return,
    };
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if conn.dead.load(Ordering::SeqCst) || conn.closed.load(Ordering::SeqCst) {
            continue;
        }
        let Some(dst) = to.as_mut() else { continue };
        if dst.write_all(&buf[..n]).is_err() {
            break;
        }
    }
    // Pass the end on, so the other side reads end-of-stream (or fails to write). Not on a dead
    // connection: the server leaving must not show, the client keeps its silent socket (the
    // other direction, still swallowing, holds it open).
    if !conn.dead.load(Ordering::SeqCst)
        && !conn.closed.load(Ordering::SeqCst)
        && let Some(dst) = to
    {
        let _ = dst.shutdown(Shutdown::Write);
    }
    // Both directions ended, which on a dead connection means the client left too.
    if conn.running.fetch_sub(1, Ordering::SeqCst) == 1 {
        shared.forget(conn);
    }
}
