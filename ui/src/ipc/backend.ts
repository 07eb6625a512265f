/**
 * The one interface the UI uses to talk to the mail engine.
 *
 * Two implementations exist: `tauri.ts` (the real app, over Tauri IPC) and
 * `fake.ts` (in memory, for the browser, unit tests and end-to-end tests).
 * Nothing outside `src/ipc/` knows which one is in use.
 */
import type {
  Account,
  AccountStatusEntry,
  AppInfo,
  CommandError,
  ErrorKind,
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

export type {
  Account,
  AccountStatus,
  AccountStatusEntry,
  AppInfo,
  CommandError,
  ErrorKind,
  Folder,
  FolderCounts,
  FolderRole,
  HeaderField,
  ImapSettings,
  LinkActivated,
  ListQuery,
  ListSource,
  MailEvent,
  MarkRead,
  MessageAttachment,
  MessageLink,
  MessagePage,
  MessageRow,
  MessageSource,
  MessageView,
  NewAccountRequest,
  Person,
  SavedAttachment,
  Security,
  Settings,
  SortKey,
  StorageQuota,
  SyncMode,
  SyncProgressEvent,
  SyncSummary,
  Theme,
  Density,
} from './bindings';

/** Flags to set (true), clear (false) or leave alone (null). */
export interface FlagChange {
  seen: boolean | null;
  flagged: boolean | null;
}

/** The most rows one `listMessages` call returns (the engine's limit). */
export const MAX_PAGE = 1000;

export interface Backend {
  /** Version and data directory of the running app. */
  appInfo(): Promise<AppInfo>;
  /** Every configured account, in the order they were added. */
  listAccounts(): Promise<Account[]>;
  /** Connects and logs in once to verify the settings, stores the password in the keychain, saves the account. */
  addAccount(request: NewAccountRequest): Promise<Account>;
  /** Forgets the account, its password and its cache. */
  removeAccount(accountId: string): Promise<void>;
  /** The folder list from the local cache: instant, possibly stale or empty. */
  cachedFolders(accountId: string): Promise<Folder[]>;
  /** The folder list fetched from the server (and written to the cache). */
  refreshFolders(accountId: string): Promise<Folder[]>;
  /** Cached message and unread counts of every synced folder (instant, from the cache). */
  folderCounts(accountId: string): Promise<FolderCounts[]>;
  /** The account's storage quota as of its last sync (instant, from the cache); null when the server reports none or before the first sync. */
  accountQuota(accountId: string): Promise<StorageQuota | null>;
  /**
   * Syncs the folder list and every folder now, on the account's live connection; progress arrives
   * through `onSyncProgress`, changes through `onMailEvents`. Fails with `connectionLost` while the
   * account is offline.
   */
  syncAccount(accountId: string): Promise<SyncSummary[]>;
  /** Syncs one folder now, like {@link Backend.syncAccount}. */
  syncFolder(accountId: string, path: string): Promise<SyncSummary>;
  /**
   * A window of the message list from the cache (`limit` at most {@link MAX_PAGE}): one folder or
   * every inbox, sorted, narrowed by a filter on sender and subject, as conversations or single
   * messages. Each row names its account and folder. In a conversation list a row stands for its
   * whole conversation (`threadCount` messages, the user's replies in Sent included).
   */
  listRows(query: ListQuery, offset: number, limit: number): Promise<MessagePage>;
  /**
   * Every cached message of the conversation of message `uid` (threaded over its folder, the
   * account's Inbox and Sent), oldest first; empty when the message is gone.
   */
  conversation(accountId: string, path: string, uid: number): Promise<MessageRow[]>;
  /**
   * Signs in again with a new password (null: the saved one) and/or trusting the certificate
   * whose fingerprint an `untrustedCertificate` error reported (null: no change). Saved only when
   * the login succeeds; the account then reconnects at once. Fails like `addAccount`.
   */
  updateAccountAccess(accountId: string, password: string | null, trustFingerprint: string | null): Promise<Account>;
  /**
   * Opens a message for reading: its sanitized document (a URL for an `<iframe sandbox="">`), what
   * was left out, its links, attachments and unreadable parts. Remote content stays blocked unless
   * `allowRemote`. Resolves to null when the message is gone; fails with `connectionLost` when the
   * account is offline and the message was never downloaded.
   */
  openMessage(accountId: string, path: string, uid: number, allowRemote: boolean): Promise<MessageView | null>;
  /**
   * Opens the message attached to message `uid` at `section` (an attachment of type
   * `message/rfc822`, such as a forwarded message) like {@link Backend.openMessage}: its own
   * sandboxed document, links, attachments (their sections are the outer message's) and problems.
   * Remote content stays blocked unless `allowRemote` (the sender's standing permission does not
   * apply). Resolves to null when either message is gone.
   */
  openAttachedMessage(
    accountId: string,
    path: string,
    uid: number,
    section: string,
    allowRemote: boolean,
  ): Promise<MessageView | null>;
  /**
   * Every header field and the raw text of a message (the first megabyte when it is larger), for
   * "show details". Resolves to null when the message is gone.
   */
  messageSource(accountId: string, path: string, uid: number): Promise<MessageSource | null>;
  /**
   * Asks the user where to save an attachment (the system's save dialog, named after the file),
   * then downloads it there. Resolves to the file and its size, or null when the user cancelled.
   */
  saveAttachment(
    accountId: string,
    path: string,
    uid: number,
    section: string,
    filename: string | null,
  ): Promise<SavedAttachment | null>;
  /**
   * Downloads an attachment and opens it with the system's app for its type. Programs and scripts
   * are refused with kind `unsafe` (they can still be saved).
   */
  openAttachment(
    accountId: string,
    path: string,
    uid: number,
    section: string,
    filename: string | null,
  ): Promise<SavedAttachment>;
  /** Opens a link in the system's browser or mail program: only http, https and mailto (else `unsafe`). */
  openLink(url: string): Promise<void>;
  /** Always (or no longer) load remote content in messages from `address`; resolves to the new preferences. */
  setRemoteContentForSender(address: string, allowed: boolean): Promise<Settings>;
  /**
   * Calls `callback` whenever the user clicks a link inside a message's frame (the frame itself
   * does not follow it: the reader decides); resolves to the function that stops listening.
   */
  onLinkActivated(callback: (event: LinkActivated) => void): Promise<() => void>;
  /**
   * Sets or clears `\Seen` and `\Flagged` on messages (null leaves a flag as it is). Shows at once:
   * the engine reports `mailboxChanged` and `countsChanged`, then tells the server.
   */
  setFlags(accountId: string, path: string, uids: number[], flags: FlagChange): Promise<void>;
  /**
   * Calls `callback` for every `sync-progress` event (the live engine's syncs, including the
   * initial one at start, and the ones asked for); resolves to the function that stops listening.
   */
  onSyncProgress(callback: (event: SyncProgressEvent) => void): Promise<() => void>;
  /**
   * Calls `callback` with every batch of `mail-events` from the live engine (changed folders,
   * counts, folder lists, connection states, new mail); resolves to the function that stops listening.
   */
  onMailEvents(callback: (batch: MailEvent[]) => void): Promise<() => void>;
  /** The connection status of every running account. */
  accountStatuses(): Promise<AccountStatusEntry[]>;
  /** Reconnects the account now instead of waiting for its next retry. */
  retryAccount(accountId: string): Promise<void>;
  /** The app-wide preferences. */
  getSettings(): Promise<Settings>;
  /** Saves the app-wide preferences; resolves to what was saved. */
  setSettings(settings: Settings): Promise<Settings>;
}

/** Every `ErrorKind`; the `Record` makes the compiler flag a kind added in Rust but missing here. */
const ERROR_KIND_SET: Record<ErrorKind, true> = {
  authFailed: true,
  authPolicy: true,
  insecure: true,
  untrustedCertificate: true,
  tls: true,
  unreachable: true,
  timeout: true,
  protocol: true,
  connectionLost: true,
  invalidSettings: true,
  keychain: true,
  missingSecret: true,
  notFound: true,
  storage: true,
  cache: true,
  unsafe: true,
  internal: true,
};
const ERROR_KINDS = Object.keys(ERROR_KIND_SET) as ErrorKind[];

/** A failed backend command, carrying the engine's typed `CommandError`. */
export class BackendError extends Error {
  readonly kind: ErrorKind;
  readonly fingerprint: string | null;

  constructor(error: CommandError) {
    super(error.message);
    this.name = 'BackendError';
    this.kind = error.kind;
    this.fingerprint = error.fingerprint;
  }

  /** The plain `CommandError` value (as the engine serialized it). */
  toCommandError(): CommandError {
    return { kind: this.kind, message: this.message, fingerprint: this.fingerprint };
  }

  /** Turns whatever a command rejected with into a `BackendError`. */
  static from(reason: unknown): BackendError {
    if (reason instanceof BackendError) return reason;
    if (isCommandError(reason)) return new BackendError(reason);
    const message =
      reason instanceof Error ? reason.message : typeof reason === 'string' ? reason : 'Unexpected error';
    return new BackendError({ kind: 'internal', message, fingerprint: null });
  }
}

export function isCommandError(value: unknown): value is CommandError {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.kind === 'string' &&
    (ERROR_KINDS as readonly string[]).includes(v.kind) &&
    typeof v.message === 'string' &&
    (v.fingerprint === null || v.fingerprint === undefined || typeof v.fingerprint === 'string')
  );
}
