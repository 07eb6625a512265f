//! Generates `ui/src/ipc/bindings.ts` from the DTOs and fails when the committed file differs.

use std::path::PathBuf;

use ts_rs::{Config, TS};

use crate::dto::{
    Account, AccountStatus, AccountStatusEntry, AppInfo, Density, Folder, FolderCounts, FolderNamespace,
    FolderRole, HeaderField, ImapSettings, LinkActivated, ListQuery, ListSource, MailEvent, MarkRead,
    MessageAttachment, MessageLink, MessagePage, MessageRow, MessageSource, MessageView, NewAccountRequest,
    Person, SavedAttachment, Security, Settings, SortKey, StorageQuota, SyncMode, SyncProgressEvent,
    SyncSummary, Theme,
};
use crate::error::{CommandError, ErrorKind};

const HEADER: &str =
    "// This file is generated from Rust by `cargo test -p tern bindings` (ts-rs). Do not edit.\n";

fn generate() -> String {
    let cfg = Config::new();
    let mut decls = vec![
        Account::decl(&cfg),
        AccountStatus::decl(&cfg),
        AccountStatusEntry::decl(&cfg),
        MailEvent::decl(&cfg),
        MessageAttachment::decl(&cfg),
        MessageLink::decl(&cfg),
        MessageView::decl(&cfg),
        Settings::decl(&cfg),
        MarkRead::decl(&cfg),
        LinkActivated::decl(&cfg),
        MessageSource::decl(&cfg),
        HeaderField::decl(&cfg),
        SavedAttachment::decl(&cfg),
        AppInfo::decl(&cfg),
        CommandError::decl(&cfg),
        ErrorKind::decl(&cfg),
        Folder::decl(&cfg),
        FolderNamespace::decl(&cfg),
        FolderRole::decl(&cfg),
        ImapSettings::decl(&cfg),
        NewAccountRequest::decl(&cfg),
        Security::decl(&cfg),
        FolderCounts::decl(&cfg),
        Person::decl(&cfg),
        StorageQuota::decl(&cfg),
        MessageRow::decl(&cfg),
        MessagePage::decl(&cfg),
        ListQuery::decl(&cfg),
        ListSource::decl(&cfg),
        SortKey::decl(&cfg),
        Theme::decl(&cfg),
        Density::decl(&cfg),
        SyncMode::decl(&cfg),
        SyncSummary::decl(&cfg),
        SyncProgressEvent::decl(&cfg),
    ];
    decls.sort();
    let mut out = String::from(HEADER);
    for decl in decls {
        out.push_str("\nexport ");
        out.push_str(&decl);
        out.push('\n');
    }
    out
}

#[test]
fn bindings_are_up_to_date() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../ui/src/ipc/bindings.ts");
    let fresh = generate();
    if std::env::var_os("TERN_UPDATE_BINDINGS").is_some() {
        std::fs::write(&path, &fresh).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == fresh,
        "ui/src/ipc/bindings.ts is out of date with the Rust DTOs; run `make bindings` \
         (TERN_UPDATE_BINDINGS=1 cargo test -p tern bindings) and commit the result.\n--- generated ---\n{fresh}"
    );
}
