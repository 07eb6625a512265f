//! The CONDSTORE/QRESYNC switch that lets tests exercise Tern's fallbacks.

use tern_core::account::Security;
use tern_tests::{Dovecot, DovecotOptions};

use crate::login;

async fn capabilities(options: DovecotOptions) -> Vec<String> {
    let server = Dovecot::start(options).unwrap();
    let mut session = login(&server, Security::Tls).await.unwrap();
    let caps = session.capabilities().await.unwrap();
    let mut names: Vec<String> = caps.iter().map(|c| format!("{c:?}")).collect();
    names.sort();
    session.logout().await.unwrap();
    names
}

fn has(caps: &[String], name: &str) -> bool {
    caps.iter().any(|c| c.contains(&format!("\"{name}\"")))
}

#[tokio::test]
async fn full_server_offers_condstore_qresync_idle_move_uidplus() {
    let caps = capabilities(DovecotOptions::default()).await;
    for name in ["CONDSTORE", "QRESYNC", "IDLE", "MOVE", "UIDPLUS", "SPECIAL-USE", "ENABLE"] {
        assert!(has(&caps, name), "{name} missing from {caps:?}");
    }
}

#[tokio::test]
async fn without_qresync_the_server_hides_condstore_and_qresync() {
    let caps = capabilities(DovecotOptions::default().without_qresync()).await;
    assert!(!has(&caps, "CONDSTORE") && !has(&caps, "QRESYNC"), "{caps:?}");
    for name in ["IDLE", "MOVE", "UIDPLUS", "SPECIAL-USE", "ENABLE"] {
        assert!(has(&caps, name), "{name} missing from {caps:?}");
    }
}
