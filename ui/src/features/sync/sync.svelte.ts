import { SvelteMap, SvelteSet } from 'svelte/reactivity';
import {
  BackendError,
  type Backend,
  type CommandError,
  type FolderCounts,
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

const folderKey = (accountId: string, path: string) => `${accountId}\u0000${path}`;

/**
 * Background syncs of every account: runs them, follows `sync-progress`,
 * keeps the cached folder counts and storage quotas, and tells the panes when to re-read the
 * cache (`revision`). Failures are recorded for a non-blocking banner.
 */
export class SyncCenter {
  /** The latest progress of each account's running sync. */
  readonly progress = new SvelteMap<string, SyncProgressEvent>();
  /** Accounts with a whole-account sync running. */
  readonly syncingAccounts = new SvelteSet<string>();
  /** Folders (`accountId\0path`) with a one-folder sync running. */
  readonly #syncingFolders = new SvelteSet<string>();
  /** The last failure per account. */
  readonly failures = new SvelteMap<string, SyncFailure>();
  /** Cached counts per account, by folder path. */
  readonly counts = new SvelteMap<string, Map<string, FolderCounts>>();
  /** Storage quota per account as of its last sync (null: the server reports none, or no sync yet). */
  readonly quotas = new SvelteMap<string, StorageQuota | null>();
  /** Bumped every time a sync of the account ends: the cache may have changed. */
  readonly #revisions = new SvelteMap<string, number>();

  readonly #backend: Backend;

  constructor(backend: Backend) {
    this.#backend = backend;
  }

  /** Follows the engine's progress events; resolves to the function that stops. */
  listen(): Promise<() => void> {
    return this.#backend.onSyncProgress((event) => {
      this.progress.set(event.accountId, event);
    });
  }

  revision(accountId: string): number {
    return this.#revisions.get(accountId) ?? 0;
  }

  /** Whether the folder is being synced (on its own, or with its account). */
  isSyncing(accountId: string, path: string): boolean {
    return this.syncingAccounts.has(accountId) || this.#syncingFolders.has(folderKey(accountId, path));
  }

  /** The running sync's progress for this folder, if it reported any. */
  folderProgress(accountId: string, path: string): SyncProgressEvent | null {
    const progress = this.progress.get(accountId);
    return progress && progress.path === path && this.isSyncing(accountId, path) ? progress : null;
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

  /** Syncs the folder list and every folder of the account, in the background. */
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
      this.progress.delete(accountId);
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
      if (this.progress.get(accountId)?.path === path) this.progress.delete(accountId);
      await this.#finished(accountId);
    }
  }

  /** Forgets an account (removed). */
  forget(accountId: string): void {
    this.progress.delete(accountId);
    this.failures.delete(accountId);
    this.counts.delete(accountId);
    this.quotas.delete(accountId);
  }

  async #finished(accountId: string): Promise<void> {
    await Promise.all([this.refreshCounts(accountId), this.refreshQuota(accountId)]);
    this.#revisions.set(accountId, this.revision(accountId) + 1);
  }
}
