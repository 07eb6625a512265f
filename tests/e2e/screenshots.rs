//! The screenshots in `docs/screenshots/` (shown in the README): the real app on the demo mail,
//! in the light and the dark theme. Not a test: `make screenshots` runs it when the look changes.

use std::path::PathBuf;
use std::time::Duration;

use tern_core::account::{NewAccount, Security};
use tern_core::imap::Password;
use tern_core::settings::Theme;
use tern_tests::sample::{Generator, seed_with, showcase, showcase_sent};
use tern_tests::{Dovecot, DovecotOptions};

use crate::harness::{open_engine, wait_for, with_app};

const USER: &str = "demo@tern.test";
const PASSWORD: &str = "demo password";

/// Where the pictures go: `TERN_SCREENSHOTS_DIR`, or `docs/screenshots` in the repository.
fn out_dir() -> PathBuf {
    std::env::var_os("TERN_SCREENSHOTS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/screenshots"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "writes the documentation's screenshots: make screenshots"]
async fn main_window_in_light_and_dark() {
    let server = Dovecot::start(DovecotOptions::default().only_user(USER, PASSWORD)).unwrap();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    for (folder, count, seed) in [("INBOX", 300, 1), ("Sent", 40, 2), ("Archive", 120, 3)] {
        seed_with(&server.maildir(USER), folder, count, &mut Generator::anchored_now(seed)).unwrap();
    }
    for message in showcase(now).iter().rev() {
        server.append(USER, "INBOX", message).unwrap();
    }
    for message in showcase_sent(now) {
        server.append(USER, "Sent", &message).unwrap();
    }

    let data = tempfile::tempdir().unwrap();
    {
        let engine = open_engine(data.path());
        let account = engine
            .add_account(
                NewAccount {
                    display_name: "Demo".into(),
                    email: USER.into(),
                    imap: server.server_settings(USER, Security::Tls),
                },
                Password::new(PASSWORD.to_string()),
            )
            .await
            .unwrap();
        engine.sync_account(&account.id, &|_| {}).await.unwrap();
        engine.shutdown().unwrap();
    }

    let dir = out_dir();
    std::fs::create_dir_all(&dir).unwrap();
    for (theme, name) in [(Theme::Light, "main-light.png"), (Theme::Dark, "main-dark.png")] {
        {
            let engine = open_engine(data.path());
            let mut settings = engine.settings();
            settings.theme = theme;
            engine.set_settings(settings).unwrap();
            engine.shutdown().unwrap();
        }
        let file = dir.join(name);
        with_app(data.path(), &[], move |driver| async move {
            let row = wait_for(&driver, "//*[@role='option'][contains(., 'Trip plans')]").await;
            row.click().await.unwrap();
            wait_for(&driver, "//iframe[@title='Message']").await;
            // Let the frame paint and the list settle.
            tokio::time::sleep(Duration::from_secs(2)).await;
            driver.screenshot(&file).await.unwrap();
            println!("wrote {}", file.display());
        })
        .await;
    }
    server.stop().unwrap();
}
