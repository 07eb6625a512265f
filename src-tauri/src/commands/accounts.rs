//! Adding, listing and removing accounts.

use tauri::State;
use tern_core::account::NewAccount;
use tern_core::imap::Password;

use crate::AppState;
use crate::dto::{Account, AccountStatusEntry, NewAccountRequest, StorageQuota};
use crate::error::CommandResult;

/// Every configured account, in the order added.
#[tauri::command]
pub fn list_accounts(state: State<'_, AppState>) -> CommandResult<Vec<Account>> {
    Ok(state.engine.accounts().into_iter().map(Account::from).collect())
}

/// Checks the settings against the server, then saves the account (password to the keychain).
#[tauri::command]
pub async fn add_account(state: State<'_, AppState>, request: NewAccountRequest) -> CommandResult<Account> {
    let new =
        NewAccount { display_name: request.display_name, email: request.email, imap: request.imap.into() };
    let account = state.engine.add_account(new, Password::new(request.password)).await?;
    state.live.start(&account.id);
    Ok(account.into())
}

/// Signs in again with a new password and/or trusting the certificate the server presented
/// (`trustFingerprint`, as reported with `untrustedCertificate`). Saved only when the login
/// succeeds; then the account reconnects at once.
#[tauri::command]
pub async fn update_account_access(
    state: State<'_, AppState>,
    account_id: String,
    password: Option<String>,
    trust_fingerprint: Option<String>,
) -> CommandResult<Account> {
    let account =
        state.engine.update_access(&account_id, password.map(Password::new), trust_fingerprint).await?;
    state.live.retry(&account_id);
    Ok(account.into())
}

/// Removes an account with its keychain entry and cache.
#[tauri::command]
pub async fn remove_account(state: State<'_, AppState>, account_id: String) -> CommandResult<()> {
    state.live.stop(&account_id).await;
    state.engine.remove_account(&account_id).await?;
    Ok(())
}

/// The account's storage quota as of the last sync; `null` when the server reports none.
#[tauri::command]
pub fn account_quota(state: State<'_, AppState>, account_id: String) -> CommandResult<Option<StorageQuota>> {
    let saturate = |kib: u64| u32::try_from(kib).unwrap_or(u32::MAX);
    Ok(state
        .engine
        .quota(&account_id)?
        .map(|q| StorageQuota { used_kib: saturate(q.used_kib), limit_kib: saturate(q.limit_kib) }))
}

/// Every running account's connection status.
#[tauri::command]
pub fn account_statuses(state: State<'_, AppState>) -> CommandResult<Vec<AccountStatusEntry>> {
    let mut entries: Vec<AccountStatusEntry> = state
        .live
        .states()
        .into_iter()
        .map(|(account_id, s)| AccountStatusEntry { account_id, status: s.into() })
        .collect();
    entries.sort_by(|a, b| a.account_id.cmp(&b.account_id));
    Ok(entries)
}

/// Reconnects an account now (after "Retry", a new password, or a trusted certificate).
#[tauri::command]
pub fn retry_account(state: State<'_, AppState>, account_id: String) -> CommandResult<()> {
    state.engine.account(&account_id)?;
    state.live.retry(&account_id);
    Ok(())
}
