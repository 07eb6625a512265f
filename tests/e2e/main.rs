//! End-to-end tests: the real Tern binary under a display (Xvfb in CI), driven over WebDriver.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod harness;

use harness::{page_text, wait_for, with_app};

/// A new user's first screen: the welcome heading and the "Add account" form.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_screen_welcomes_a_new_user_with_the_add_account_form() {
    let data = tempfile::tempdir().unwrap();
    with_app(data.path(), &[], |driver| async move {
        let heading = wait_for(&driver, "//h1[contains(., 'Welcome to Tern')]").await;
        assert!(heading.is_displayed().await.unwrap());
        assert_eq!(driver.title().await.unwrap(), "Tern");
        wait_for(&driver, "//input[@type='email']").await;
        wait_for(&driver, "//input[@type='password']").await;
        wait_for(&driver, "//button[normalize-space(.)='Add account']").await;
        let text = page_text(&driver).await;
        assert!(text.contains("IMAP server"), "form shows the server field: {text}");
    })
    .await;
}
