//! The mail UI end to end: the real app on two accounts of a real Dovecot. A folder opens and
//! scrolls to its end, a conversation shows grouped with the user's reply from Sent, the
//! keyboard moves through the list, and "All inboxes" merges both accounts.

use std::time::Duration;

use thirtyfour::prelude::*;

use tern_core::account::{NewAccount, Security};
use tern_core::imap::Password;
use tern_tests::{DEFAULT_PASSWORD, DEFAULT_USER, Dovecot, DovecotOptions};

use crate::harness::{open_engine, wait_for, with_app};

const SECOND_USER: &str = "bea@tern.test";
const SECOND_PASSWORD: &str = "bea's long password";

/// A message in a conversation about a harbour walk.
fn harbour(from: &str, id: &str, replying_to: &[&str], minutes_ago: i64) -> Vec<u8> {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    let date = tern_tests::sample::rfc2822_date(now - minutes_ago * 60, 0);
    let subject = if replying_to.is_empty() { "Harbour walk" } else { "Re: Harbour walk" };
    let mut text = format!(
        "From: {from}\r\nTo: ann@tern.test\r\nSubject: {subject}\r\nMessage-ID: <{id}>\r\nDate: {date}\r\n"
    );
    if let Some(parent) = replying_to.last() {
        text.push_str(&format!("In-Reply-To: <{parent}>\r\nReferences: "));
        text.push_str(&replying_to.iter().map(|r| format!("<{r}>")).collect::<Vec<_>>().join(" "));
        text.push_str("\r\n");
    }
    text.push_str("\r\nSaturday at ten?\r\n");
    text.into_bytes()
}

/// The option rows of the message list currently in the page.
async fn options(driver: &WebDriver) -> Vec<WebElement> {
    driver
        .find_all(By::XPath("//*[@role='listbox'][@aria-label='Messages']//*[@role='option']"))
        .await
        .unwrap()
}

/// The `aria-posinset` of the selected row.
async fn selected_position(driver: &WebDriver) -> u32 {
    let row = wait_for(
        driver,
        "//*[@role='listbox'][@aria-label='Messages']//*[@role='option'][@aria-selected='true']",
    )
    .await;
    row.attr("aria-posinset").await.unwrap().unwrap_or_default().parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_folder_scrolls_a_conversation_groups_the_keyboard_moves_and_every_inbox_merges() {
    let server = Dovecot::start(DovecotOptions::default().user(SECOND_USER, SECOND_PASSWORD)).unwrap();
    server.seed(DEFAULT_USER, "INBOX", 400, 21).unwrap();
    server.append(DEFAULT_USER, "INBOX", &harbour("Ben <ben@example.org>", "walk@x", &[], 30)).unwrap();
    server
        .append(DEFAULT_USER, "Sent", &harbour("Ann <ann@tern.test>", "walk-r1@x", &["walk@x"], 20))
        .unwrap();
    server
        .append(
            DEFAULT_USER,
            "INBOX",
            &harbour("Ben <ben@example.org>", "walk-r2@x", &["walk@x", "walk-r1@x"], 10),
        )
        .unwrap();
    server.seed(SECOND_USER, "INBOX", 30, 22).unwrap();
    let build = "From: CI <ci@example.org>\r\nTo: bea@tern.test\r\nSubject: Build green\r\nMessage-ID: <build@x>\r\n\r\nAll good.\r\n";
    server.append(SECOND_USER, "INBOX", build.as_bytes()).unwrap();

    // Both accounts, registered as the setup wizard does (password in the OS keychain).
    let data = tempfile::tempdir().unwrap();
    {
        let engine = open_engine(data.path());
        for (name, user, password) in
            [("Ann", DEFAULT_USER, DEFAULT_PASSWORD), ("Bea", SECOND_USER, SECOND_PASSWORD)]
        {
            let new = NewAccount {
                display_name: name.into(),
                email: user.into(),
                imap: server.server_settings(user, Security::Tls),
            };
            engine.add_account(new, Password::new(password.to_string())).await.unwrap();
        }
        engine.shutdown().unwrap();
    }

    with_app(data.path(), &[], |driver| async move {
        // The first account's inbox: the conversation is one row of three messages.
        let inbox = wait_for(&driver, "(//*[@role='treeitem'][.//*[contains(@class,'name')][normalize-space(.)='Inbox']])[1]").await;
        inbox.click().await.unwrap();
        let conversation = wait_for(
            &driver,
            "//*[@role='listbox'][@aria-label='Messages']//*[@role='option'][contains(., 'Harbour walk')][contains(., '3 messages')]",
        )
        .await;

        // Scrolling reaches the end with only a window of rows in the page.
        let listbox = wait_for(&driver, "//*[@role='listbox'][@aria-label='Messages']").await;
        // The list grows while the first sync runs: wait for the whole inbox (402 messages in
        // about 260 conversations), that is a count that holds for two seconds.
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        let (mut last, mut since) = (0, std::time::Instant::now());
        let total = loop {
            let total: u32 = wait_for(&driver, "//*[@role='listbox'][@aria-label='Messages']//*[@role='option']")
                .await
                .attr("aria-setsize")
                .await
                .unwrap()
                .unwrap_or_default()
                .parse()
                .unwrap();
            if total != last {
                (last, since) = (total, std::time::Instant::now());
            }
            if (total > 200 && since.elapsed() > Duration::from_secs(2)) || std::time::Instant::now() > deadline {
                break total;
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        };
        assert!(total > 200, "the inbox lists its conversations: {total}");
        for _ in 0..3 {
            driver
                .execute(
                    "const list = arguments[0]; const scroller = list.scrollHeight > list.clientHeight ? list : list.querySelector('*'); scroller.scrollTop = scroller.scrollHeight;",
                    vec![listbox.to_json().unwrap()],
                )
                .await
                .unwrap();
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
        wait_for(
            &driver,
            &format!("//*[@role='listbox'][@aria-label='Messages']//*[@role='option'][@aria-posinset='{total}'][not(@aria-busy='true')]"),
        )
        .await;
        let shown = options(&driver).await.len();
        assert!(shown < 120, "only a window of the {total} rows is in the page: {shown}");

        // Back to the top; open the conversation: its three messages, the reply from Sent among them.
        driver
            .execute(
                "const list = arguments[0]; const scroller = list.scrollHeight > list.clientHeight ? list : list.querySelector('*'); scroller.scrollTop = 0;",
                vec![listbox.to_json().unwrap()],
            )
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(300)).await;
        drop(conversation);
        let conversation =
            wait_for(&driver, "//*[@role='option'][contains(., 'Harbour walk')][contains(., '3 messages')]").await;
        conversation.scroll_into_view().await.unwrap();
        conversation.click().await.unwrap();
        let reader = "//section[@aria-label='Reader']";
        wait_for(&driver, &format!("{reader}//article[3]")).await;
        let articles = driver.find_all(By::XPath(format!("{reader}//article"))).await.unwrap();
        assert_eq!(articles.len(), 3, "the conversation's three messages");
        wait_for(&driver, &format!("{reader}//iframe[@title='Message']")).await;

        // The keyboard: j moves down, k moves back up, from the list.
        let start = selected_position(&driver).await;
        listbox.focus().await.unwrap();
        driver.action_chain().send_keys("j").perform().await.unwrap();
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(selected_position(&driver).await, start + 1, "j selects the next row");
        driver.action_chain().send_keys("j").perform().await.unwrap();
        driver.action_chain().send_keys("k").perform().await.unwrap();
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(selected_position(&driver).await, start + 1, "k selects the previous row");
        driver.action_chain().send_keys(Key::Down).perform().await.unwrap();
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(selected_position(&driver).await, start + 2, "the down arrow too");

        // Every inbox: rows of both accounts, each naming its account.
        wait_for(&driver, "//*[@role='treeitem'][contains(., 'All inboxes')]").await.click().await.unwrap();
        wait_for(&driver, "//*[@role='listbox'][@aria-label='Messages']//*[@role='option'][contains(., 'Build green')][contains(., 'Bea')]").await;
        wait_for(&driver, "//*[@role='listbox'][@aria-label='Messages']//*[@role='option'][contains(., 'Harbour walk')][contains(., 'Ann')]").await;
    })
    .await;
    server.stop().unwrap();
}
