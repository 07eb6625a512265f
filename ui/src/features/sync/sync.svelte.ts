import { SvelteMap, SvelteSet } from 'svelte/reactivity';
import {
  BackendError,
  type AccountStatus,
  type Backend,
  type CommandError,
  type FolderCounts,
  type MailEvent,
  type StorageQuota,
  type SyncProgressEvent,
} from '../../ipc/backend';

/** A sync that failed, with what to run to try again. */
export interface SyncFailure {
  error: CommandError;
  /** The folder, when one folder was being synced; null for the whole account. */
  path: string | null;
  retry: () => Promise<void>;
}

/**
 * How long a progress bar stays after the engine reported the folder's changes without another
 * progress report: its sync has ended (the last report may not have said "done").
 */
export const PROGRESS_SETTLE_MS = 1_000;

const folderKey = (accountId: string, path: string) => `${accountId}\u0000${path}`;

/**
 * The accounts' life as the engine reports it: follows `mail-events` and `sync-progress`
 * (the live engine's own syncs and the ones asked for), keeps each account's connection status,
 * the cached folder counts and storage quotas, and tells the panes when to re-read the cache
 * (`revision`, `folderListRevision`). Syncs the user asks for run here too; their failures are
 * recorded for a non-blocking banner.
 */
export class SyncCenter {
  /** The latest progress of each account's running sync. */
  readonly progress = new SvelteMap<string, SyncProgressEvent>();
  /** Accounts with a whole-account sync (asked for) running. */
  readonly syncingAccounts = new SvelteSet<string>();
  /** Folders (`accountId\0path`) with a one-folder sync running. */
  readonly #syncingFolders = new SvelteSet<string>();
  /** The last failure per account. */
  readonly failures = new SvelteMap<string, SyncFailure>();
  /** Cached counts per account, by folder path. */
  readonly counts = new SvelteMap<string, Map<string, FolderCounts>>();
  /** Storage quota per account as of its last sync (null: the server reports none, or no sync yet). */
  readonly quotas = new SvelteMap<string, StorageQuota | null>();
  /** Each account's connection, as the live engine reports it (absent until known). */
  readonly statuses = new SvelteMap<string, AccountStatus>();
  /** Bumped every time a sync of the account ends: any folder's cache may have changed. */
  readonly #revisions = new SvelteMap<string, number>();
  /** Bumped when the engine reports changed messages in one folder (`accountId\0path`). */
  readonly #folderRevisions = new SvelteMap<string, number>();
  /** Bumped when the account's folder list changed on the server. */
  readonly #folderLists = new SvelteMap<string, number>();
  /** Timers that remove a progress bar once its folder's sync has ended. */
  readonly #settling = new Map<string, ReturnType<typeof setTimeout>>();

  readonly #backend: Backend;

  constructor(backend: Backend) {
    this.#backend = backend;
  }

  /**
   * Follows the engine's events and reads every account's connection status; resolves once
   * both listeners are in place, to the function that stops.
   */
  async listen(): Promise<() => void> {
    /** Accounts whose status arrived by event: newer than the snapshot below. */
    const reported = new Set<string>();
    const stops = await Promise.all([
      this.#backend.onSyncProgress((event) => this.#progressed(event)),
      this.#backend.onMailEvents((batch) => {
        for (const event of batch) if (event.kind === 'accountStatus') reported.add(event.accountId);
        this.apply(batch);
      }),
    ]);
    void this.#backend.accountStatuses().then(
      (entries) => {
        for (const { accountId, status } of entries) if (!reported.has(accountId)) this.statuses.set(accountId, status);
      },
      () => {
        // Without the snapshot the indicators appear with the next status change.
      },
    );
    return () => {
      for (const stop of stops) stop();
      for (const timer of this.#settling.values()) clearTimeout(timer);
      this.#settling.clear();
    };
  }

  /** Applies a batch of `mail-events`. */
  apply(batch: MailEvent[]): void {
    const touched = new Set<string>();
    for (const event of batch) {
      switch (event.kind) {
        case 'countsChanged': {
          const counts = new Map(this.counts.get(event.accountId));
          counts.set(event.path, { path: event.path, total: event.total, unread: event.unread });
          this.counts.set(event.accountId, counts);
          this.#settle(event.accountId, event.path);
          touched.add(event.accountId);
          break;
        }
        case 'mailboxChanged': {
          const key = folderKey(event.accountId, event.path);
          this.#folderRevisions.set(key, (this.#folderRevisions.get(key) ?? 0) + 1);
          this.#settle(event.accountId, event.path);
          touched.add(event.accountId);
          break;
        }
        case 'foldersChanged':
          this.#folderLists.set(event.accountId, this.folderListRevision(event.accountId) + 1);
          break;
        case 'accountStatus':
          this.#statusChanged(event.accountId, event.status);
          break;
        case 'newMail':
          // The shell shows the desktop notification; the list and counts follow the events above.
          break;
      }
    }
    // The engine records the quota with its syncs: re-read it after changes (cheap, from the cache).
    for (const accountId of touched) void this.refreshQuota(accountId);
  }

  /**
   * What the message list of a folder watches: bumped when a sync of the account ends and when
   * the engine reports changes in that folder. Without `path`, only the former.
   */
  revision(accountId: string, path?: string): number {
    const account = this.#revisions.get(accountId) ?? 0;
    return path === undefined ? account : account + (this.#folderRevisions.get(folderKey(accountId, path)) ?? 0);
  }

  /** Bumped when the account's folder list changed on the server: re-read it from the cache. */
  folderListRevision(accountId: string): number {
    return this.#folderLists.get(accountId) ?? 0;
  }

  /** Whether the folder is being synced (asked for, on its own or with its account, or reporting progress). */
  isSyncing(accountId: string, path: string): boolean {
    return (
      this.syncingAccounts.has(accountId) ||
      this.#syncingFolders.has(folderKey(accountId, path)) ||
      this.progress.get(accountId)?.path === path
    );
  }

  /** The running sync's progress for this folder, if it reported any. */
  folderProgress(accountId: string, path: string): SyncProgressEvent | null {
    const progress = this.progress.get(accountId);
    return progress && progress.path === path ? progress : null;
  }

  unread(accountId: string, path: string): number {
    return this.counts.get(accountId)?.get(path)?.unread ?? 0;
  }

  /** Re-reads the cached counts (cheap; never touches the server). */
  async refreshCounts(accountId: string): Promise<void> {
    try {
      const counts = await this.#backend.folderCounts(accountId);
      this.counts.set(accountId, new Map(counts.map((c) => [c.path, c])));
    } catch {
      // Counts are a hint; the next sync tries again.
    }
  }

  /** Re-reads the storage quota the last sync recorded (cheap; never touches the server). */
  async refreshQuota(accountId: string): Promise<void> {
    try {
      this.quotas.set(accountId, await this.#backend.accountQuota(accountId));
    } catch {
      // Like the counts, a hint: keep what is shown; the next sync tries again.
    }
  }

  /** Syncs the folder list and every folder of the account now, on its live connection. */
  async syncAccount(accountId: string): Promise<void> {
    if (this.syncingAccounts.has(accountId)) return;
    this.syncingAccounts.add(accountId);
    this.failures.delete(accountId);
    try {
      await this.#backend.syncAccount(accountId);
    } catch (reason) {
      this.failures.set(accountId, {
        error: BackendError.from(reason).toCommandError(),
        path: null,
        retry: () => this.syncAccount(accountId),
      });
    } finally {
      this.syncingAccounts.delete(accountId);
      this.#clearProgress(accountId);
      await this.#finished(accountId);
    }
  }

  /** Syncs one folder now. */
  async syncFolder(accountId: string, path: string): Promise<void> {
    const key = folderKey(accountId, path);
    if (this.#syncingFolders.has(key) || this.syncingAccounts.has(accountId)) return;
    this.#syncingFolders.add(key);
    this.failures.delete(accountId);
    try {
      await this.#backend.syncFolder(accountId, path);
    } catch (reason) {
      this.failures.set(accountId, {
        error: BackendError.from(reason).toCommandError(),
        path,
        retry: () => this.syncFolder(accountId, path),
      });
    } finally {
      this.#syncingFolders.delete(key);
      if (this.progress.get(accountId)?.path === path) this.#clearProgress(accountId);
      await this.#finished(accountId);
    }
  }

  /** Asks the engine to reconnect the account now instead of at its next retry. */
  async retryAccount(accountId: string): Promise<void> {
    this.failures.delete(accountId);
    try {
      await this.#backend.retryAccount(accountId);
    } catch (reason) {
      this.failures.set(accountId, {
        error: BackendError.from(reason).toCommandError(),
        path: null,
        retry: () => this.retryAccount(accountId),
      });
    }
  }

  /** Forgets an account (removed). */
  forget(accountId: string): void {
    this.#clearProgress(accountId);
    this.failures.delete(accountId);
    this.counts.delete(accountId);
    this.quotas.delete(accountId);
    this.statuses.delete(accountId);
  }

  #progressed(event: SyncProgressEvent): void {
    this.#cancelSettle(event.accountId);
    // The last report of a folder says everything is in: its bar goes at once.
    if (event.total > 0 && event.done >= event.total) {
      if (this.progress.get(event.accountId)?.path === event.path) this.progress.delete(event.accountId);
      return;
    }
    this.progress.set(event.accountId, event);
  }

  /**
   * The engine published a folder's changes, which it does when that folder's sync ended: unless
   * more progress follows shortly, the bar goes.
   */
  #settle(accountId: string, path: string): void {
    if (this.progress.get(accountId)?.path !== path) return;
    this.#cancelSettle(accountId);
    this.#settling.set(
      accountId,
      setTimeout(() => {
        this.#settling.delete(accountId);
        if (this.progress.get(accountId)?.path === path) this.progress.delete(accountId);
      }, PROGRESS_SETTLE_MS),
    );
  }

  #cancelSettle(accountId: string): void {
    clearTimeout(this.#settling.get(accountId));
    this.#settling.delete(accountId);
  }

  #clearProgress(accountId: string): void {
    this.#cancelSettle(accountId);
    this.progress.delete(accountId);
  }

  #statusChanged(accountId: string, status: AccountStatus): void {
    const was = this.statuses.get(accountId)?.state;
    this.statuses.set(accountId, status);
    // Any other state means the connection (and whatever sync ran on it) ended.
    if (status.state !== 'online') this.#clearProgress(accountId);
    if (status.state === 'online' && was !== undefined && was !== 'online') {
      // Back online: what a failed "sync now" reported is over, and the quota may be fresher.
      if (this.failures.get(accountId)?.error.kind === 'connectionLost') this.failures.delete(accountId);
      void this.refreshQuota(accountId);
    }
  }

  async #finished(accountId: string): Promise<void> {
    await Promise.all([this.refreshCounts(accountId), this.refreshQuota(accountId)]);
    this.#revisions.set(accountId, this.revision(accountId) + 1);
  }
}
