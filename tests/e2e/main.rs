//! End-to-end tests: the real Tern binary under a display (Xvfb in CI), driven over WebDriver.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod bench;
mod harness;
mod mail_ui;
mod screenshots;
mod web;

use harness::{page_text, prefer_single_messages, wait_for, web_process_environments, with_app};

/// A new user's first screen: the welcome heading and the "Add account" form.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_screen_welcomes_a_new_user_with_the_add_account_form() {
    let data = tempfile::tempdir().unwrap();
    let dir = data.path().to_path_buf();
    with_app(data.path(), &[], |driver| async move {
        let heading = wait_for(&driver, "//h1[contains(., 'Welcome to Tern')]").await;
        assert!(heading.is_displayed().await.unwrap());
        assert_eq!(driver.title().await.unwrap(), "Tern");
        wait_for(&driver, "//input[@type='email']").await;
        wait_for(&driver, "//input[@type='password']").await;
        wait_for(&driver, "//button[normalize-space(.)='Add account']").await;
        let text = page_text(&driver).await;
        assert!(text.contains("IMAP server"), "form shows the server field: {text}");
        // The window, created hidden, is shown once its page has loaded.
        let mut visibility = String::new();
        for _ in 0..100 {
            let state = driver.execute("return document.visibilityState", vec![]).await.unwrap();
            visibility = state.json().as_str().unwrap_or_default().to_string();
            if visibility == "visible" {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert_eq!(visibility, "visible", "the window is shown");
        // The window's frames come in shared memory, not through WebKit's DMA-BUF renderer,
        // unless the user asked otherwise (the harness does not set it).
        if cfg!(target_os = "linux") && std::env::var_os("WEBKIT_DISABLE_DMABUF_RENDERER").is_none() {
            let environments = web_process_environments(&dir);
            assert!(!environments.is_empty(), "the app's web process is running");
            for env in environments {
                let webkit: Vec<&String> = env.iter().filter(|var| var.starts_with("WEBKIT_")).collect();
                assert!(webkit.iter().any(|var| *var == "WEBKIT_DISABLE_DMABUF_RENDERER=1"), "{webkit:?}");
            }
        }
    })
    .await;
}

/// XPath predicate: a tree item whose name (not its unread count) is `name`.
fn named(name: &str) -> String {
    format!(".//*[contains(@class,'name')][normalize-space(.)='{name}']")
}

/// Fills the input whose label is `label`.
async fn fill(driver: &thirtyfour::WebDriver, label: &str, value: &str) {
    let input = wait_for(driver, &format!("//*[@id=//label[normalize-space(.)='{label}']/@for]")).await;
    input.clear().await.unwrap();
    input.send_keys(value).await.unwrap();
}

/// Adds the fixture's default account through the form, trusting its self-signed certificate.
async fn add_account_through_the_form(driver: &thirtyfour::WebDriver, port: &str, fingerprint: &str) {
    use tern_tests::dovecot::{DEFAULT_PASSWORD, DEFAULT_USER};
    wait_for(driver, "//h1[contains(., 'Welcome to Tern')]").await;
    fill(driver, "Your name", "Ann Example").await;
    fill(driver, "Email address", DEFAULT_USER).await;
    fill(driver, "Password", DEFAULT_PASSWORD).await;
    fill(driver, "IMAP server", "127.0.0.1").await;
    fill(driver, "Port", port).await;
    wait_for(driver, "//button[@type='submit']").await.click().await.unwrap();

    // The test server's certificate is self-signed: Tern shows its fingerprint and waits.
    let shown = wait_for(driver, "//*[@role='alert']//code").await.text().await.unwrap();
    assert_eq!(shown.trim(), fingerprint, "the fingerprint shown is the server's");
    wait_for(driver, "//button[contains(., 'Trust this certificate')]").await.click().await.unwrap();
}

/// The Inbox's unread count in the folder tree (0 when none is shown).
async fn inbox_unread(driver: &thirtyfour::WebDriver) -> u32 {
    let inbox = wait_for(driver, &format!("//*[@role='treeitem'][{}]", named("Inbox"))).await;
    match inbox.find(thirtyfour::By::XPath(".//*[contains(@class,'unread')]")).await {
        Ok(badge) => badge
            .text()
            .await
            .unwrap()
            .chars()
            .filter(char::is_ascii_digit)
            .collect::<String>()
            .parse()
            .unwrap(),
        Err(_) => 0,
    }
}

/// Live mail: with the app open on the inbox, a message delivered by another program shows up
/// in the list and in the unread count, with no click, no refresh.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_mail_appears_without_any_user_action() {
    use tern_tests::dovecot::{DEFAULT_USER, Dovecot, DovecotOptions};
    use tern_tests::sample::Generator;

    let server = std::sync::Arc::new(Dovecot::start(DovecotOptions::default()).unwrap());
    server.seed(DEFAULT_USER, "INBOX", 25, 12).unwrap();
    let data = tempfile::tempdir().unwrap();
    let port = server.tls_port().to_string();
    let fingerprint = server.fingerprint().to_string();
    let delivering = server.clone();
    prefer_single_messages(data.path());

    with_app(data.path(), &[], move |driver| async move {
        add_account_through_the_form(&driver, &port, &fingerprint).await;
        wait_for(&driver, "//section[@aria-label='Messages'][contains(., '25 messages')]").await;
        let before = inbox_unread(&driver).await;

        let mut message = Generator::new(77).next_message();
        message.bytes = String::from_utf8_lossy(&message.bytes)
            .replacen("Subject:", "Subject: Pushed to Tern -", 1)
            .into_bytes();
        delivering.append(DEFAULT_USER, "INBOX", &message.bytes).unwrap();

        wait_for(&driver, "//section[@aria-label='Messages'][contains(., '26 messages')]").await;
        wait_for(
            &driver,
            "//*[@role='listbox'][@aria-label='Messages']//*[@role='option'][@aria-posinset='1'][contains(., 'Pushed to Tern')]",
        )
        .await;
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while inbox_unread(&driver).await != before + 1 {
            assert!(std::time::Instant::now() < deadline, "the unread count did not go from {before} to {}", before + 1);
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
    })
    .await;
}

/// Reading: a message opens in a sandboxed frame served by Tern's own scheme, its text decoded,
/// its scripts and remote images gone, and it is marked read.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_opens_sanitized_in_a_sandboxed_frame() {
    use tern_tests::dovecot::{DEFAULT_USER, Dovecot, DovecotOptions};

    let server = Dovecot::start(DovecotOptions::default()).unwrap();
    let message = "From: Café <news@example.org>\r\nTo: ann@tern.test\r\nSubject: Reading test\r\n\
        Date: Sun, 22 Nov 2026 08:00:00 +0000\r\nMIME-Version: 1.0\r\n\
        Content-Type: text/html; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n\
        <p id=3D\"greeting\">Gr=FC=DFe aus Tern</p><script>document.title=3D'owned'</script>\
        <img src=3D\"https://tracker.example/p.gif\" width=3D1 height=3D1>\r\n";
    server.append(DEFAULT_USER, "INBOX", message.as_bytes()).unwrap();
    let data = tempfile::tempdir().unwrap();
    let port = server.tls_port().to_string();
    let fingerprint = server.fingerprint().to_string();

    with_app(data.path(), &[], move |driver| async move {
        add_account_through_the_form(&driver, &port, &fingerprint).await;
        let row = wait_for(&driver, "//*[@role='option'][contains(., 'Reading test')]").await;
        row.click().await.unwrap();
        let frame = wait_for(&driver, "//iframe[@title='Message']").await;
        assert_eq!(
            frame.attr("sandbox").await.unwrap().as_deref(),
            Some(""),
            "an empty sandbox: no scripts, no same origin"
        );
        let src = frame.attr("src").await.unwrap().unwrap_or_default();
        assert!(src.contains("tern-part"), "served by Tern's scheme: {src}");
        frame.clone().enter_frame().await.unwrap();
        let greeting = wait_for(&driver, "//p[contains(., 'Grüße aus Tern')]").await;
        assert!(greeting.is_displayed().await.unwrap());
        let scripts = driver.find_all(thirtyfour::By::XPath("//script")).await.unwrap();
        let trackers =
            driver.find_all(thirtyfour::By::XPath("//img[contains(@src, 'tracker')]")).await.unwrap();
        assert_eq!((scripts.len(), trackers.len()), (0, 0), "no script, no tracking pixel in the message");
        driver.enter_default_frame().await.unwrap();
        assert_eq!(driver.title().await.unwrap(), "Tern");
        // Opened: read.
        wait_for(
            &driver,
            "//*[@role='option'][contains(., 'Reading test')][not(contains(@class, 'unread'))]",
        )
        .await;
    })
    .await;
}

/// A message that tries everything to run code and to phone home: scripts (inline and
/// remote), event handlers on `<img>`, `<body>` and `<svg>`, a stylesheet background and a real
/// remote image. Opened, it shows its text and nothing else happens: no script runs (in the
/// frame or the app), and the remote server hears nothing at all. When the user asks to load
/// remote content, the image comes, and still no script does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn remote_content_stays_away_until_the_user_loads_it_and_scripts_never_run() {
    use std::time::Duration;
    use tern_tests::dovecot::{DEFAULT_USER, Dovecot, DovecotOptions};

    let web = std::sync::Arc::new(web::Recorder::start());
    let remote = web.base();
    let server = Dovecot::start(DovecotOptions::default()).unwrap();
    let html = format!(
        "<!DOCTYPE html>\r\n<html><head><title>owned-title</title>\r\n\
         <style>body {{ background: url({remote}/css) }} .note {{ background-image: url('{remote}/css-note') }}</style>\r\n\
         <script>parent.document.title = 'owned'; document.title = 'owned';\r\n\
         new Image().src = '{remote}/script'; document.write('<p id=\"owned\">script ran</p>');</script>\r\n\
         <script src=\"{remote}/script.js\"></script>\r\n\
         </head>\r\n\
         <body onload=\"parent.document.title = 'owned-onload'; new Image().src = '{remote}/onload'\">\r\n\
         <p id=\"visible\" class=\"note\">Quarterly numbers, with a chart below.</p>\r\n\
         <img src=x onerror=\"parent.document.title = 'owned-onerror'; new Image().src = '{remote}/onerror'\">\r\n\
         <svg onload=\"parent.document.title = 'owned-svg'; new Image().src = '{remote}/svg'\"></svg>\r\n\
         <img src=\"{remote}/image.png\" width=\"300\" height=\"200\" alt=\"Chart\">\r\n\
         </body></html>\r\n"
    );
    let message = format!(
        "From: Newsletter <news@example.org>\r\nTo: ann@tern.test\r\nSubject: Remote content test\r\n\
         Date: Sun, 22 Nov 2026 09:00:00 +0000\r\nMessage-ID: <remote-content@example.org>\r\nMIME-Version: 1.0\r\n\
         Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: 7bit\r\n\r\n{html}"
    );
    server.append(DEFAULT_USER, "INBOX", message.as_bytes()).unwrap();
    let data = tempfile::tempdir().unwrap();
    let port = server.tls_port().to_string();
    let fingerprint = server.fingerprint().to_string();
    let recorder = web.clone();

    with_app(data.path(), &[], move |driver| async move {
        let web = recorder;
        /// Paths only a script or an event handler would request.
        const SCRIPTED: [&str; 5] = ["/script", "/script.js", "/onload", "/onerror", "/svg"];

        add_account_through_the_form(&driver, &port, &fingerprint).await;
        wait_for(&driver, "//*[@role='option'][contains(., 'Remote content test')]")
            .await
            .click()
            .await
            .unwrap();
        let frame = wait_for(&driver, "//iframe[@title='Message']").await;
        assert_eq!(frame.attr("sandbox").await.unwrap().as_deref(), Some(""));
        let first_src = frame.attr("src").await.unwrap().unwrap_or_default();
        frame.clone().enter_frame().await.unwrap();
        let text = wait_for(&driver, "//p[contains(., 'Quarterly numbers')]").await;
        assert!(text.is_displayed().await.unwrap());
        // The remote image is there as a placeholder, without its source.
        wait_for(&driver, "//img[@data-tern-blocked][@alt='Chart'][not(@src)]").await;
        assert_untouched_frame(&driver).await;
        driver.enter_default_frame().await.unwrap();
        assert_untouched_app(&driver).await;

        // Settle: anything the message could have started has had time to reach the server.
        tokio::time::sleep(Duration::from_secs(2)).await;
        assert_eq!(web.requests(), Vec::<String>::new(), "nothing may reach the remote server");

        // The user asks for the remote content of this message.
        wait_for(&driver, "//*[@aria-label='Privacy'][contains(., 'Remote content blocked')]").await;
        wait_for(&driver, "//button[normalize-space(.)='Load remote content']").await.click().await.unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        let frame = loop {
            let frame = wait_for(&driver, "//iframe[@title='Message']").await;
            if frame.attr("src").await.ok().flatten().is_some_and(|src| src != first_src) {
                break frame;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the message did not open again with remote content"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        let arrived = web.wait_for("/image.png", Duration::from_secs(10)).await;
        assert!(arrived, "the remote image was not loaded; the server saw {:?}", web.requests());
        frame.clone().enter_frame().await.unwrap();
        wait_for(&driver, "//p[contains(., 'Quarterly numbers')]").await;
        wait_for(&driver, "//img[contains(@src, '/image.png')]").await;
        assert_untouched_frame(&driver).await;
        driver.enter_default_frame().await.unwrap();
        assert_untouched_app(&driver).await;
        tokio::time::sleep(Duration::from_secs(2)).await;
        let requests = web.requests();
        for path in SCRIPTED {
            assert!(!requests.iter().any(|r| r == path), "a script or handler ran: {path} in {requests:?}");
        }
        assert!(
            requests.iter().all(|r| ["/image.png", "/css", "/css-note"].contains(&r.as_str())),
            "only the message's images and stylesheet backgrounds load: {requests:?}"
        );
    })
    .await;
}

/// A link whose text shows another address asks before anything opens, and the message stays
/// on screen; every header field is one click away; a forwarded message opens from its
/// attachment in its own sealed frame.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disguised_link_asks_first_details_show_every_header_and_a_forwarded_message_opens() {
    use std::time::Duration;
    use tern_tests::dovecot::{DEFAULT_USER, Dovecot, DovecotOptions};

    let web = std::sync::Arc::new(web::Recorder::start());
    let remote = web.base();
    let server = Dovecot::start(DovecotOptions::default()).unwrap();
    let message = format!(
        "From: Bank <service@mybank.example>\r\nTo: ann@tern.test\r\nSubject: Your statement\r\n\
         Date: Sun, 22 Nov 2026 09:00:00 +0000\r\nMessage-ID: <statement@mybank.example>\r\n\
         X-Campaign: autumn-2026\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n\
         --b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n\
         <p id=\"intro\">Your statement is ready.</p>\
         <p><a id=\"disguised\" href=\"{remote}/phish\">https://www.mybank.example/login</a></p>\r\n\
         --b\r\nContent-Type: message/rfc822\r\nContent-Disposition: attachment; filename=\"earlier.eml\"\r\n\r\n\
         From: carla@tern.test\r\nSubject: Earlier note\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
         The forwarded note, with its own words.\r\n--b--\r\n"
    );
    server.append(DEFAULT_USER, "INBOX", message.as_bytes()).unwrap();
    let data = tempfile::tempdir().unwrap();
    let port = server.tls_port().to_string();
    let fingerprint = server.fingerprint().to_string();
    let recorder = web.clone();

    with_app(data.path(), &[], move |driver| async move {
        let web = recorder;
        add_account_through_the_form(&driver, &port, &fingerprint).await;
        wait_for(&driver, "//*[@role='option'][contains(., 'Your statement')]").await.click().await.unwrap();
        let frame = wait_for(&driver, "//iframe[@title='Message']").await;
        frame.clone().enter_frame().await.unwrap();
        let link = wait_for(&driver, "//a[contains(., 'www.mybank.example')]").await;
        // Hovering shows where it really goes; the link itself leads back to Tern.
        assert_eq!(link.attr("title").await.unwrap(), Some(format!("{remote}/phish")));
        let href = link.attr("href").await.unwrap().unwrap_or_default();
        assert!(href.contains("/link/"), "{href}");
        link.click().await.unwrap();
        driver.enter_default_frame().await.unwrap();

        let prompt = wait_for(&driver, "//*[@role='alertdialog'][contains(., 'Open this link?')]").await;
        let said = prompt.text().await.unwrap();
        assert!(said.contains("www.mybank.example") && said.contains(&format!("{remote}/phish")), "{said}");
        wait_for(&driver, "//*[@role='alertdialog']//button[normalize-space(.)='Cancel']")
            .await
            .click()
            .await
            .unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while !driver.find_all(thirtyfour::By::XPath("//*[@role='alertdialog']")).await.unwrap().is_empty() {
            assert!(std::time::Instant::now() < deadline, "the question did not go away");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        // The message is still on screen: the click did not navigate the frame.
        let frame = wait_for(&driver, "//iframe[@title='Message']").await;
        frame.clone().enter_frame().await.unwrap();
        wait_for(&driver, "//p[contains(., 'Your statement is ready.')]").await;
        driver.enter_default_frame().await.unwrap();
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert_eq!(web.requests(), Vec::<String>::new(), "nothing was opened");

        // Every header field, from the server.
        wait_for(&driver, "//button[normalize-space(.)='Show details']").await.click().await.unwrap();
        wait_for(
            &driver,
            "//th[normalize-space(.)='X-Campaign']/following-sibling::td[normalize-space(.)='autumn-2026']",
        )
        .await;

        // The forwarded message, in its own frame, and back.
        wait_for(&driver, "//button[normalize-space(.)='Open message']").await.click().await.unwrap();
        let inner = wait_for(&driver, "//iframe[@title='Attached message']").await;
        assert_eq!(inner.attr("sandbox").await.unwrap().as_deref(), Some(""));
        inner.clone().enter_frame().await.unwrap();
        wait_for(&driver, "//*[contains(., 'The forwarded note, with its own words.')]").await;
        driver.enter_default_frame().await.unwrap();
        wait_for(&driver, "//button[normalize-space(.)='Back to the message']").await.click().await.unwrap();
        let outer = wait_for(&driver, "//iframe[@title='Message']").await;
        outer.clone().enter_frame().await.unwrap();
        wait_for(&driver, "//p[contains(., 'Your statement is ready.')]").await;
        driver.enter_default_frame().await.unwrap();
        assert_untouched_app(&driver).await;
    })
    .await;
}

/// Inside the message frame: no script, no `<title>` (the message's own is removed, and only a
/// script could have made one), no element a script would have written.
async fn assert_untouched_frame(driver: &thirtyfour::WebDriver) {
    let written = [
        "//script",
        "//title",
        "//*[@id='owned']",
        "//body[contains(., 'script ran')]",
        "//*[local-name()='svg']",
        "//*[@onload or @onerror]",
    ];
    for xpath in written {
        let found = driver.find_all(thirtyfour::By::XPath(xpath)).await.unwrap();
        assert!(found.is_empty(), "{xpath} in the message frame");
    }
}

/// The app around the frame: its title and its own document as they were.
async fn assert_untouched_app(driver: &thirtyfour::WebDriver) {
    assert_eq!(driver.title().await.unwrap(), "Tern");
    let title = driver.execute("return document.title", Vec::new()).await.unwrap();
    assert_eq!(title.json(), &serde_json::json!("Tern"));
    let owned = driver.find_all(thirtyfour::By::XPath("//*[@id='owned']")).await.unwrap();
    assert!(owned.is_empty(), "a message script wrote into the app");
}

/// The walking skeleton end to end: a new user adds an account on a real Dovecot with a
/// self-signed certificate, checks and trusts its fingerprint, and sees the server's folders with
/// their roles in the sidebar, and its messages arrive in the list; after a restart the account
/// and its folders are there at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn adding_an_account_shows_its_folders_and_messages_and_survives_a_restart() {
    use tern_tests::dovecot::{DEFAULT_PASSWORD, DEFAULT_USER, Dovecot, DovecotOptions};

    let server = Dovecot::start(DovecotOptions::default()).unwrap();
    server.seed(DEFAULT_USER, "INBOX", 40, 11).unwrap();
    let data = tempfile::tempdir().unwrap();
    prefer_single_messages(data.path());
    let port = server.tls_port().to_string();
    let fingerprint = server.fingerprint().to_string();

    with_app(data.path(), &[], move |driver| async move {
        wait_for(&driver, "//h1[contains(., 'Welcome to Tern')]").await;
        fill(&driver, "Your name", "Ann Example").await;
        fill(&driver, "Email address", DEFAULT_USER).await;
        fill(&driver, "Password", DEFAULT_PASSWORD).await;
        fill(&driver, "IMAP server", "127.0.0.1").await;
        fill(&driver, "Port", &port).await;
        wait_for(&driver, "//button[@type='submit']").await.click().await.unwrap();

        // The test server's certificate is self-signed: Tern shows its fingerprint and waits.
        let shown = wait_for(&driver, "//*[@role='alert']//code").await.text().await.unwrap();
        assert_eq!(shown.trim(), fingerprint, "the fingerprint shown is the server's");
        wait_for(&driver, "//button[contains(., 'Trust this certificate')]").await.click().await.unwrap();

        for name in ["Inbox", "Drafts", "Sent", "Archive", "Junk", "Trash"] {
            wait_for(
                &driver,
                &format!("//*[@role='tree']//*[@role='treeitem'][{}]", named(name)),
            )
            .await;
        }
        let inbox = wait_for(&driver, "//*[@role='treeitem'][.//*[contains(@class,'name')][normalize-space(.)='Inbox']]").await;
        assert_eq!(inbox.attr("aria-selected").await.unwrap().as_deref(), Some("true"));
        wait_for(&driver, "//section[@aria-label='Reader']").await;

        // The account syncs at once: the Inbox's 40 messages arrive in the list, newest first.
        wait_for(&driver, "//section[@aria-label='Messages'][contains(., '40 messages')]").await;
        let first = wait_for(
            &driver,
            "//*[@role='listbox'][@aria-label='Messages']//*[@role='option'][@aria-posinset='1'][@aria-setsize='40']",
        )
        .await;
        assert!(!first.text().await.unwrap().trim().is_empty(), "the newest row shows its sender and subject");
        first.click().await.unwrap();
        wait_for(&driver, "//*[@role='option'][@aria-posinset='1'][@aria-selected='true']").await;
    })
    .await;

    let settings = std::fs::read_to_string(data.path().join("accounts.json")).unwrap();
    assert!(settings.contains(DEFAULT_USER));
    assert!(!settings.contains(DEFAULT_PASSWORD), "the password is in the keychain, not the settings");

    with_app(data.path(), &[], |driver| async move {
        wait_for(&driver, "//*[@role='treeitem'][.//*[contains(@class,'name')][normalize-space(.)='Sent']]")
            .await;
        let text = page_text(&driver).await;
        assert!(!text.contains("Welcome to Tern"), "a configured account opens on the shell");
    })
    .await;
    server.stop().unwrap();
}
