//! Adding, listing and removing accounts.

use tauri::State;
use tern_core::account::NewAccount;
use tern_core::imap::Password;

use crate::AppState;
use crate::dto::{Account, NewAccountRequest, StorageQuota};
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
    Ok(account.into())
}

/// Removes an account with its keychain entry and cache.
#[tauri::command]
pub async fn remove_account(state: State<'_, AppState>, account_id: String) -> CommandResult<()> {
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
