//! The demo mail server behind `make run`: a persistent Dovecot with a few thousand sample
//! messages, and optionally the demo account registered in a Tern data directory.
//!
//! ```text
//! tern-demo start  --dir DIR [--app-data APPDIR]
//! tern-demo stop   --dir DIR
//! tern-demo status --dir DIR
//! ```
//!
//! Ports: 10993 (implicit TLS, 127.0.0.1) and 10143 (STARTTLS, 127.0.0.2 on Linux), or
//! `TERN_DEMO_IMAPS_PORT` / `TERN_DEMO_IMAP_PORT`. User `demo@tern.test`, password `demo`.
//! The account is added through `tern_core::Engine::add_account` with the OS keychain, exactly as
//! the app does, so its password is never written to a file.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use tern_core::Engine;
use tern_core::account::{ImapServer, NewAccount, Security};
use tern_core::imap::Password;
use tern_core::secrets::Keychain;
use tern_tests::sample::{Generator, seed_with, showcase, showcase_sent};
use tern_tests::{Dovecot, DovecotOptions};

const USER: &str = "demo@tern.test";
const PASSWORD: &str = "demo";
/// (folder, messages, seed) written on the first start.
const FOLDERS: &[(&str, usize, u64)] =
    &[("INBOX", 2500, 1), ("Sent", 400, 2), ("Archive", 900, 3), ("Work", 250, 4), ("Work/Projects", 120, 5)];

fn usage() -> ExitCode {
    eprintln!("usage: tern-demo start --dir DIR [--app-data APPDIR] | stop --dir DIR | status --dir DIR");
    ExitCode::from(2)
}

fn port(var: &str, default: u16) -> Result<u16, String> {
    match std::env::var(var) {
        Ok(value) => value.parse().map_err(|_| format!("{var}={value} is not a port number")),
        Err(_) => Ok(default),
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(command) = args.first() else {
        return usage();
    };
    let mut dir = None;
    let mut app_data = None;
    let mut rest = args[1..].iter();
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--dir" => dir = rest.next().map(PathBuf::from),
            "--app-data" => app_data = rest.next().map(PathBuf::from),
            _ => return usage(),
        }
    }
    let Some(dir) = dir else {
        return usage();
    };
    let result = match command.as_str() {
        "start" => start(&dir, app_data.as_deref()),
        "stop" => match Dovecot::stop_dir(&dir) {
            Ok(true) => {
                println!("tern-demo: stopped the demo mail server in {}", dir.display());
                Ok(())
            }
            Ok(false) => {
                println!("tern-demo: no demo mail server was running in {}", dir.display());
                Ok(())
            }
            Err(e) => Err(e.to_string()),
        },
        "status" => {
            if Dovecot::is_running(&dir) {
                println!("tern-demo: running ({})", dir.display());
                Ok(())
            } else {
                println!("tern-demo: not running ({})", dir.display());
                return ExitCode::from(3);
            }
        }
        _ => return usage(),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tern-demo: {e}");
            ExitCode::FAILURE
        }
    }
}

fn start(dir: &Path, app_data: Option<&Path>) -> Result<(), String> {
    let tls_port = port("TERN_DEMO_IMAPS_PORT", 10993)?;
    let starttls_port = port("TERN_DEMO_IMAP_PORT", 10143)?;
    std::fs::create_dir_all(dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    let dir = dir.canonicalize().map_err(|e| e.to_string())?;
    let marker = dir.join("seeded");

    let (host, fingerprint) = if Dovecot::is_running(&dir) {
        println!("tern-demo: already running in {} (imaps://127.0.0.1:{tls_port})", dir.display());
        let der =
            std::fs::read(dir.join("cert.der")).map_err(|e| format!("reading the demo certificate: {e}"))?;
        ("127.0.0.1".to_string(), tern_core::imap::tls::fingerprint(&der))
    } else {
        let options = DovecotOptions::default()
            .in_dir(&dir)
            .ports(tls_port, starttls_port)
            .only_user(USER, PASSWORD)
            .daemon();
        let server = Dovecot::start(options).map_err(|e| format!("starting Dovecot: {e}"))?;
        let mut seeded = 0;
        if !marker.exists() {
            for &(folder, count, seed) in FOLDERS {
                let mut generator = Generator::anchored_now(seed);
                seeded += seed_with(&server.maildir(USER), folder, count, &mut generator)
                    .map_err(|e| format!("seeding {folder}: {e}"))?
                    .count;
            }
            // A few messages that show what the reader does, at the top of the inbox.
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs() as i64)
                .unwrap_or_default();
            for message in showcase(now).iter().rev() {
                server.append(USER, "INBOX", message).map_err(|e| format!("adding sample mail: {e}"))?;
                seeded += 1;
            }
            for message in showcase_sent(now) {
                server.append(USER, "Sent", &message).map_err(|e| format!("adding sample mail: {e}"))?;
                seeded += 1;
            }
            server
                .doveadm(&["mailbox", "subscribe", "-u", USER, "Work", "Work/Projects"])
                .map_err(|e| e.to_string())?;
            std::fs::write(&marker, b"").map_err(|e| e.to_string())?;
        }
        println!(
            "tern-demo: Dovecot running: imaps://{}:{} and STARTTLS {}:{}, user {USER} password {PASSWORD}{}; certificate SHA-256 {}",
            server.host(),
            server.tls_port(),
            server.starttls_host(),
            server.starttls_port(),
            if seeded > 0 { format!(", {seeded} sample messages seeded") } else { String::new() },
            server.fingerprint(),
        );
        (server.host(), server.fingerprint().to_string())
    };

    if let Some(app_data) = app_data {
        register(app_data, &host, tls_port, &fingerprint)?;
    }
    Ok(())
}

/// Adds the demo account to the Tern data dir `app_data` unless it already has an account.
fn register(app_data: &Path, host: &str, port: u16, fingerprint: &str) -> Result<(), String> {
    let engine = Engine::open(app_data, Arc::new(Keychain)).map_err(|e| e.to_string())?;
    if !engine.accounts().is_empty() {
        println!("tern-demo: {} already has an account; left as is", app_data.display());
        return Ok(());
    }
    let new = NewAccount {
        display_name: "Demo".into(),
        email: USER.into(),
        imap: ImapServer {
            host: host.into(),
            port,
            security: Security::Tls,
            username: USER.into(),
            pinned_cert_sha256: Some(fingerprint.into()),
            disable_condstore: false,
        },
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let account = runtime
        .block_on(engine.add_account(new, Password::new(PASSWORD)))
        .map_err(|e| format!("adding the demo account: {e} (for a headless keychain run through tests/fixtures/with-keyring.sh)"))?;
    engine.shutdown().map_err(|e| e.to_string())?;
    println!(
        "tern-demo: added account {} to {} (password in the OS keychain)",
        account.id,
        app_data.display()
    );
    Ok(())
}
