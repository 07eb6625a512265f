//! A tiny web server on loopback that stands for "the internet" a message tries to reach: it
//! records the path of every request and answers each with a 1×1 PNG.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// A transparent 1×1 PNG.
pub const PNG_1X1: &[u8] = b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\
    \x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\x0bIDAT\x78\x9c\x63\x60\x00\x02\x00\x00\x05\x00\x01\x7a\x5e\
    \xab\x3f\x00\x00\x00\x00IEND\xae\x42\x60\x82";

/// A recording web server; stopped on drop.
#[derive(Debug)]
pub struct Recorder {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<String>>>,
    stopping: Arc<AtomicBool>,
    acceptor: Option<JoinHandle<()>>,
}

impl Recorder {
    /// Starts listening on a free port of `127.0.0.1`.
    pub fn start() -> Recorder {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("a free port");
        let addr = listener.local_addr().expect("local address");
        let seen = Arc::new(Mutex::new(Vec::new()));
        let stopping = Arc::new(AtomicBool::new(false));
        let acceptor = {
            let (seen, stopping) = (seen.clone(), stopping.clone());
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    if stopping.load(Ordering::SeqCst) {
                        return;
                    }
                    let Ok(stream) = stream else { continue };
                    let seen = seen.clone();
                    std::thread::spawn(move || answer(stream, &seen));
                }
            })
        };
        Recorder { addr, seen, stopping, acceptor: Some(acceptor) }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every request so far: its path, or what arrived when it was no HTTP request.
    pub fn requests(&self) -> Vec<String> {
        self.seen.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Waits up to `limit` for a request for `path`; true when it came.
    pub async fn wait_for(&self, path: &str, limit: Duration) -> bool {
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if self.requests().iter().any(|p| p == path) {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        self.requests().iter().any(|p| p == path)
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        self.stopping.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(acceptor) = self.acceptor.take() {
            let _ = acceptor.join();
        }
    }
}

/// Reads one request head, records its path and answers with the PNG.
fn answer(mut stream: TcpStream, seen: &Mutex<Vec<String>>) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 64 * 1024 {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    if head.is_empty() {
        // The wake-up connection of `drop`, or a connection opened and closed unused.
        return;
    }
    let line = String::from_utf8_lossy(head.split(|&b| b == b'\n').next().unwrap_or_default()).into_owned();
    let mut words = line.split_whitespace();
    let path = match (words.next(), words.next()) {
        (Some(_method), Some(path)) if line.contains(" HTTP/1.") => path.to_string(),
        // Not HTTP (a TLS handshake, say): keep what it looked like.
        _ => format!("<not http: {:02x?}>", &head[..head.len().min(16)]),
    };
    seen.lock().unwrap_or_else(|p| p.into_inner()).push(path);
    let response = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nContent-Length: {}\r\nCache-Control: no-store\r\n\
         Connection: close\r\n\r\n",
        PNG_1X1.len()
    );
    let _ = stream.write_all(response.as_bytes());
    let _ = stream.write_all(PNG_1X1);
    let _ = stream.flush();
}
