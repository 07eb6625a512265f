//! `tern-demo`: start, status, idempotent start, stop.

use std::process::Command;

fn demo(args: &[&str], ports: (u16, u16)) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_tern-demo"))
        .args(args)
        .env("TERN_DEMO_IMAPS_PORT", ports.0.to_string())
        .env("TERN_DEMO_IMAP_PORT", ports.1.to_string())
        .output()
        .unwrap();
    (
        out.status.success(),
        format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)),
    )
}

fn free_port(ip: &str) -> u16 {
    std::net::TcpListener::bind((ip, 0)).unwrap().local_addr().unwrap().port()
}

#[test]
fn demo_server_starts_once_reports_status_and_stops() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_str().unwrap();
    let ports = (free_port("127.0.0.1"), free_port("127.0.0.2"));
    let (ok, out) = demo(&["start", "--dir", path], ports);
    // Whatever happens next, never leave the daemon running.
    struct Stop<'a>(&'a str, (u16, u16));
    impl Drop for Stop<'_> {
        fn drop(&mut self) {
            let _ = demo(&["stop", "--dir", self.0], self.1);
        }
    }
    let _stop = Stop(path, ports);
    assert!(ok, "{out}");
    assert!(out.contains("sample messages seeded"), "{out}");
    assert!(std::net::TcpStream::connect(("127.0.0.1", ports.0)).is_ok());
    let (ok, out) = demo(&["status", "--dir", path], ports);
    assert!(ok && out.contains("running"), "{out}");
    let (ok, out) = demo(&["start", "--dir", path], ports);
    assert!(ok && out.contains("already running"), "{out}");
    let (ok, out) = demo(&["stop", "--dir", path], ports);
    assert!(ok && out.contains("stopped"), "{out}");
    let (ok, out) = demo(&["status", "--dir", path], ports);
    assert!(!ok && out.contains("not running"), "{out}");
    let inbox = dir.path().join("mail/demo@tern.test");
    let files: Vec<std::path::PathBuf> = ["cur", "new"]
        .iter()
        .flat_map(|sub| std::fs::read_dir(inbox.join(sub)).into_iter().flatten())
        .map(|e| e.unwrap().path())
        .collect();
    let showcase = tern_tests::sample::showcase(0).len();
    assert_eq!(files.len(), 2500 + showcase);
    let newsletter = files.iter().any(|f| {
        std::fs::read(f).is_ok_and(|b| String::from_utf8_lossy(&b).contains("This week at the gallery"))
    });
    assert!(newsletter, "the reader's showcase is in the inbox");
    let sent = tern_tests::sample::folder_dir(&inbox, "Sent");
    let sent: Vec<std::path::PathBuf> = ["cur", "new"]
        .iter()
        .flat_map(|sub| std::fs::read_dir(sent.join(sub)).into_iter().flatten())
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(sent.len(), 400 + tern_tests::sample::showcase_sent(0).len());
    let question = sent.iter().any(|f| {
        std::fs::read(f).is_ok_and(|b| String::from_utf8_lossy(&b).contains("<showcase-trip@tern.test>"))
    });
    assert!(question, "the question the showcase's reply answers is in Sent: one conversation");
}
