import { BackendError, type Backend, type CommandError, type Folder } from '../../ipc/backend';

/**
 * The folder list of one account: the cached list first (instant), then the
 * server's list in the background, which replaces it. A refresh failure keeps
 * whatever was shown and records the error for a non-blocking banner.
 */
export class AccountFolders {
  folders = $state<Folder[]>([]);
  /** True until the cached list has been read. */
  loading = $state(true);
  refreshing = $state(false);
  error = $state<CommandError | null>(null);

  readonly #backend: Backend;
  readonly accountId: string;
  #generation = 0;

  constructor(backend: Backend, accountId: string) {
    this.#backend = backend;
    this.accountId = accountId;
  }

  /** Shows the cache, then refreshes from the server. */
  async load(): Promise<void> {
    const generation = ++this.#generation;
    this.loading = true;
    try {
      const cached = await this.#backend.cachedFolders(this.accountId);
      // A refresh that already finished is newer than the cache.
      if (generation === this.#generation && !this.refreshing) this.folders = cached;
    } catch {
      // An unreadable cache only costs the instant first paint; the refresh below decides.
    } finally {
      this.loading = false;
    }
    await this.refresh();
  }

  /**
   * Re-reads the cached list (the engine changed it). A server refresh under way is not
   * disturbed: its answer is at least as new.
   */
  async reread(): Promise<void> {
    const generation = this.#generation;
    try {
      const cached = await this.#backend.cachedFolders(this.accountId);
      if (generation === this.#generation) this.folders = cached;
    } catch {
      // Keep what is shown; the next change tries again.
    }
  }

  /** Fetches the list from the server and replaces the shown one. */
  async refresh(): Promise<void> {
    const generation = ++this.#generation;
    this.refreshing = true;
    this.error = null;
    try {
      const fresh = await this.#backend.refreshFolders(this.accountId);
      if (generation === this.#generation) this.folders = fresh;
    } catch (reason) {
      if (generation === this.#generation) this.error = BackendError.from(reason).toCommandError();
    } finally {
      if (generation === this.#generation) this.refreshing = false;
    }
  }
}
