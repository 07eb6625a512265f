/** The real backend: Tauri commands implemented in `src-tauri/src/commands/`. */
import { invoke } from '@tauri-apps/api/core';
import { listen } from '@tauri-apps/api/event';
import { BackendError, type Backend, type FlagChange } from './backend';
import type {
  Account,
  AccountStatusEntry,
  AppInfo,
  Folder,
  FolderCounts,
  LinkActivated,
  ListQuery,
  MailEvent,
  MessagePage,
  MessageRow,
  MessageSource,
  MessageView,
  NewAccountRequest,
  SavedAttachment,
  Settings,
  StorageQuota,
  SyncProgressEvent,
  SyncSummary,
} from './bindings';

async function call<T>(command: string, args: Record<string, unknown> = {}): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (reason) {
    // Commands reject with the serialized `CommandError`.
    throw BackendError.from(reason);
  }
}

/** Event names, as `src-tauri/src/lib.rs` emits them. */
export const SYNC_PROGRESS = 'sync-progress';
export const MAIL_EVENTS = 'mail-events';
/** Emitted by the `tern-part` scheme when the user clicks a link in a message (`src-tauri/src/reader.rs`). */
export const LINK_ACTIVATED = 'link-activated';

export const tauriBackend: Backend = {
  appInfo: () => call<AppInfo>('app_info'),
  listAccounts: () => call<Account[]>('list_accounts'),
  addAccount: (request: NewAccountRequest) => call<Account>('add_account', { request }),
  removeAccount: (accountId: string) => call<void>('remove_account', { accountId }),
  cachedFolders: (accountId: string) => call<Folder[]>('cached_folders', { accountId }),
  refreshFolders: (accountId: string) => call<Folder[]>('refresh_folders', { accountId }),
  folderCounts: (accountId: string) => call<FolderCounts[]>('folder_counts', { accountId }),
  accountQuota: (accountId: string) => call<StorageQuota | null>('account_quota', { accountId }),
  syncAccount: (accountId: string) => call<SyncSummary[]>('sync_account', { accountId }),
  syncFolder: (accountId: string, path: string) => call<SyncSummary>('sync_folder', { accountId, path }),
  listRows: (query: ListQuery, offset: number, limit: number) =>
    call<MessagePage>('list_rows', { query, offset, limit }),
  conversation: (accountId: string, path: string, uid: number) =>
    call<MessageRow[]>('conversation', { accountId, path, uid }),
  updateAccountAccess: (accountId: string, password: string | null, trustFingerprint: string | null) =>
    call<Account>('update_account_access', { accountId, password, trustFingerprint }),
  openMessage: (accountId: string, path: string, uid: number, allowRemote: boolean) =>
    call<MessageView | null>('open_message', { accountId, path, uid, allowRemote }),
  openAttachedMessage: (accountId: string, path: string, uid: number, section: string, allowRemote: boolean) =>
    call<MessageView | null>('open_attached_message', { accountId, path, uid, section, allowRemote }),
  messageSource: (accountId: string, path: string, uid: number) =>
    call<MessageSource | null>('message_source', { accountId, path, uid }),
  saveAttachment: (accountId: string, path: string, uid: number, section: string, filename: string | null) =>
    call<SavedAttachment | null>('save_attachment', { accountId, path, uid, section, filename }),
  openAttachment: (accountId: string, path: string, uid: number, section: string, filename: string | null) =>
    call<SavedAttachment>('open_attachment', { accountId, path, uid, section, filename }),
  openLink: (url: string) => call<void>('open_link', { url }),
  setRemoteContentForSender: (address: string, allowed: boolean) =>
    call<Settings>('set_remote_content_for_sender', { address, allowed }),
  onLinkActivated: (callback: (event: LinkActivated) => void) =>
    listen<LinkActivated>(LINK_ACTIVATED, (event) => callback(event.payload)),
  setFlags: (accountId: string, path: string, uids: number[], { seen, flagged }: FlagChange) =>
    call<void>('set_flags', { accountId, path, uids, seen, flagged }),
  onSyncProgress: (callback: (event: SyncProgressEvent) => void) =>
    listen<SyncProgressEvent>(SYNC_PROGRESS, (event) => callback(event.payload)),
  onMailEvents: (callback: (batch: MailEvent[]) => void) =>
    listen<MailEvent[]>(MAIL_EVENTS, (event) => callback(event.payload)),
  accountStatuses: () => call<AccountStatusEntry[]>('account_statuses'),
  retryAccount: (accountId: string) => call<void>('retry_account', { accountId }),
  getSettings: () => call<Settings>('get_settings'),
  setSettings: (settings: Settings) => call<Settings>('set_settings', { settings }),
};
