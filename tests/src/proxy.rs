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
//! not reconnect in a tight loop. [`Proxy::turns`] counts round trips, to check that a client
//! does not wait for answers it could have asked for together.
//!
//! # Traffic
//!
//! [`Proxy::traffic`] tells how many bytes the proxy forwarded in each direction since it started
//! or since the last [`Proxy::reset_traffic`], over every connection: what a client really
//! downloaded and uploaded, TLS framing included. Bytes swallowed by a blackhole or after a cut
//! are not counted. A byte is counted as it is handed on, so whatever a peer has read is counted.

use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How long connecting to the target may take before the client's connection is closed.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// A fault-injecting TCP forwarder. See the module documentation.
#[derive(Debug)]
pub struct Proxy {
    addr: SocketAddr,
    started: Instant,
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
    /// Bytes forwarded to the target (client to server).
    to_server: AtomicU64,
    /// Bytes forwarded to clients (server to client).
    to_client: AtomicU64,
    /// Turns of the conversation: bytes forwarded to a client after bytes it sent (see
    /// [`Proxy::turns`]).
    turns: AtomicU64,
    /// When bytes last crossed, either way (see [`Proxy::quiet_for`]).
    last_crossed: Mutex<Option<Instant>>,
    /// How long each byte takes to cross, each way (see [`Proxy::start_with_delay`]).
    delay: Duration,
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

/// Bytes the proxy forwarded, by direction (see [`Proxy::traffic`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Traffic {
    /// From clients to the server.
    pub to_server: u64,
    /// From the server to clients.
    pub to_client: u64,
}

impl Traffic {
    /// Both directions together.
    pub fn total(&self) -> u64 {
        self.to_server + self.to_client
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
    /// The client spoke last: the next bytes to it make a turn.
    client_spoke: AtomicBool,
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
        Self::start_with_delay(target, Duration::ZERO)
    }

    /// [`Proxy::start`], over a slow link: whatever either side sends arrives `one_way` later
    /// (a round trip takes twice that), without limiting how much is in flight, as over a
    /// long network path. Faults and counts work as without the delay.
    pub fn start_with_delay(target: SocketAddr, one_way: Duration) -> io::Result<Proxy> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared { delay: one_way, ..Shared::default() });
        let acceptor = {
            let shared = Arc::clone(&shared);
            std::thread::Builder::new()
                .name(format!("proxy-{}-accept", addr.port()))
                .spawn(move || accept_loop(&listener, target, &shared))?
        };
        Ok(Proxy { addr, started: Instant::now(), target, shared, acceptor: Some(acceptor) })
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

    /// Bytes forwarded in each direction, over every connection, since the proxy started or
    /// since the last [`Proxy::reset_traffic`].
    pub fn traffic(&self) -> Traffic {
        Traffic {
            to_server: self.shared.to_server.load(Ordering::SeqCst),
            to_client: self.shared.to_client.load(Ordering::SeqCst),
        }
    }

    /// Round trips made so far over every connection: each time the server's bytes reach a
    /// client after the client sent something, one more. A client that sends several commands
    /// before it reads their answers (pipelining) makes one turn where one at a time makes one
    /// each; the server's greeting, sent before the client spoke, makes none. TLS handshakes
    /// count too (one for TLS 1.3's, before the greeting).
    pub fn turns(&self) -> u64 {
        self.shared.turns.load(Ordering::SeqCst)
    }

    /// How long no byte has crossed, either way (since the proxy started, if none has).
    pub fn quiet_for(&self) -> Duration {
        let last = *self.shared.last_crossed.lock().unwrap_or_else(|e| e.into_inner());
        last.unwrap_or(self.started).elapsed()
    }

    /// Waits until no byte has crossed for `quiet`: before counting [`Proxy::turns`] of one
    /// operation, so that the end of an earlier one (a logout in the background) does not count.
    pub async fn wait_quiet(&self, quiet: Duration) {
        while self.quiet_for() < quiet {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Starts counting [`Proxy::traffic`] from zero again; returns what had been counted. Bytes
    /// being forwarded at the moment of the call land on one side of it or the other.
    pub fn reset_traffic(&self) -> Traffic {
        Traffic {
            to_server: self.shared.to_server.swap(0, Ordering::SeqCst),
            to_client: self.shared.to_client.swap(0, Ordering::SeqCst),
        }
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
            client_spoke: AtomicBool::new(false),
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
    // Over a slow link, a thread of its own hands each piece on once its time came, so that
    // reading goes on meanwhile.
    let mut late = (!shared.delay.is_zero()).then(|| Late::start(to.and_then(|dst| dst.try_clone().ok())));
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
        // Counted before writing, so a peer that has read the bytes finds them counted.
        let counter = match direction {
            Direction::ToServer => &shared.to_server,
            Direction::ToClient => &shared.to_client,
        };
        counter.fetch_add(n as u64, Ordering::SeqCst);
        *shared.last_crossed.lock().unwrap_or_else(|e| e.into_inner()) = Some(Instant::now());
        match direction {
            Direction::ToServer => conn.client_spoke.store(true, Ordering::SeqCst),
            Direction::ToClient => {
                if conn.client_spoke.swap(false, Ordering::SeqCst) {
                    shared.turns.fetch_add(1, Ordering::SeqCst);
                }
            }
        }
        let written = match late.as_mut() {
            Some(late) => late.send(Instant::now() + shared.delay, buf[..n].to_vec()),
            None => dst.write_all(&buf[..n]).is_ok(),
        };
        if !written {
            break;
        }
    }
    // What is still on its way arrives before the end does.
    if let Some(late) = late {
        late.finish();
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

/// The far end of a slow link: pieces handed to [`Late::send`] are written when their time
/// comes, in order, by a thread of its own.
struct Late {
    pieces: Option<std::sync::mpsc::Sender<(Instant, Vec<u8>)>>,
    writer: Option<JoinHandle<()>>,
    /// The writer gave up (the peer is gone).
    failed: Arc<AtomicBool>,
}

impl Late {
    fn start(dst: Option<TcpStream>) -> Late {
        let (pieces, arriving) = std::sync::mpsc::channel::<(Instant, Vec<u8>)>();
        let failed = Arc::new(AtomicBool::new(false));
        let writer = dst.map(|mut dst| {
            let failed = Arc::clone(&failed);
            std::thread::spawn(move || {
                for (due, piece) in arriving {
                    std::thread::sleep(due.saturating_duration_since(Instant::now()));
                    if dst.write_all(&piece).is_err() {
                        failed.store(true, Ordering::SeqCst);
                        return;
                    }
                }
            })
        });
        Late { pieces: Some(pieces), writer, failed }
    }

    /// Queues a piece due at `due`; false once the peer is gone.
    fn send(&mut self, due: Instant, piece: Vec<u8>) -> bool {
        !self.failed.load(Ordering::SeqCst)
            && self.pieces.as_ref().is_some_and(|p| p.send((due, piece)).is_ok())
    }

    /// Waits until everything queued has been written (or the peer is gone).
    fn finish(mut self) {
        self.pieces = None;
        if let Some(writer) = self.writer.take() {
            let _ = writer.join();
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    /// A server that answers every byte with two.
    fn doubling_server() -> SocketAddr {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        let addr = listener.local_addr().unwrap();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { return };
                std::thread::spawn(move || {
                    let mut buf = [0u8; 4096];
                    while let Ok(n) = stream.read(&mut buf) {
                        if n == 0 {
                            return;
                        }
                        let doubled: Vec<u8> = buf[..n].iter().flat_map(|&b| [b, b]).collect();
                        if stream.write_all(&doubled).is_err() {
                            return;
                        }
                    }
                });
            }
        });
        addr
    }

    fn exchange(proxy: &Proxy, sent: usize) {
        let mut client = TcpStream::connect(proxy.addr()).unwrap();
        client.write_all(&vec![7u8; sent]).unwrap();
        let mut back = vec![0u8; sent * 2];
        client.read_exact(&mut back).unwrap();
        assert!(back.iter().all(|&b| b == 7));
    }

    #[test]
    fn a_slow_link_delays_each_way_and_keeps_every_byte_in_order() {
        let one_way = Duration::from_millis(40);
        let proxy = Proxy::start_with_delay(doubling_server(), one_way).unwrap();
        // A lower bound only: the link is never faster than its delay.
        let started = Instant::now();
        exchange(&proxy, 10);
        assert!(started.elapsed() >= one_way * 2, "{:?}", started.elapsed());
        // Much in flight at once arrives whole and in order.
        let mut client = TcpStream::connect(proxy.addr()).unwrap();
        let sent: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
        let writer = {
            let mut client = client.try_clone().unwrap();
            let sent = sent.clone();
            std::thread::spawn(move || client.write_all(&sent).unwrap())
        };
        let mut back = vec![0u8; sent.len() * 2];
        client.read_exact(&mut back).unwrap();
        writer.join().unwrap();
        let expected: Vec<u8> = sent.iter().flat_map(|&b| [b, b]).collect();
        assert!(back == expected, "the bytes came back changed or out of order");
        assert_eq!(proxy.traffic(), Traffic { to_server: 300_010, to_client: 600_020 });
    }

    #[test]
    fn turns_count_the_answers_a_client_waited_for() {
        let proxy = Proxy::start(doubling_server()).unwrap();
        assert_eq!(proxy.turns(), 0);
        exchange(&proxy, 10);
        exchange(&proxy, 10);
        assert_eq!(proxy.turns(), 2);
        // Two requests on one connection, each answered before the next is sent: two more.
        let mut client = TcpStream::connect(proxy.addr()).unwrap();
        for _ in 0..2 {
            client.write_all(b"ab").unwrap();
            let mut back = [0u8; 4];
            client.read_exact(&mut back).unwrap();
        }
        assert_eq!(proxy.turns(), 4);
    }

    #[test]
    fn traffic_counts_what_was_forwarded_each_way_until_reset() {
        let proxy = Proxy::start(doubling_server()).unwrap();
        assert_eq!(proxy.traffic(), Traffic::default());
        exchange(&proxy, 100_000);
        exchange(&proxy, 1_000);
        // The answer has been read in full, so every byte of it has been counted.
        assert_eq!(proxy.traffic(), Traffic { to_server: 101_000, to_client: 202_000 });
        assert_eq!(proxy.traffic().total(), 303_000);
        assert_eq!(proxy.reset_traffic(), Traffic { to_server: 101_000, to_client: 202_000 });
        assert_eq!(proxy.traffic(), Traffic::default());
        exchange(&proxy, 10);
        assert_eq!(proxy.traffic(), Traffic { to_server: 10, to_client: 20 });
    }
}
