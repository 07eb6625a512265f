import { BackendError, type Backend, type Settings } from '../../ipc/backend';

/**
 * The app-wide preferences, read once and shared: the settings panel shows and changes them,
 * the reader follows them (when to mark messages read, whose remote content loads).
 */
export class Preferences {
  /** The preferences as last read or saved; null until first read. */
  current = $state<Settings | null>(null);
  readonly #backend: Backend;
  #reading: Promise<Settings> | null = null;
  /** Changes started; only the latest one's answer is kept. */
  #changes = 0;

  constructor(backend: Backend) {
    this.#backend = backend;
  }

  /** Reads the preferences afresh. */
  load(): Promise<Settings> {
    if (!this.#reading) {
      const changes = this.#changes;
      this.#reading = this.#backend
        .getSettings()
        .then((settings) => {
          // A change made meanwhile is newer than what was read.
          if (changes === this.#changes) this.current = settings;
          return this.current ?? settings;
        })
        .finally(() => {
          this.#reading = null;
        });
    }
    return this.#reading;
  }

  /** The preferences, read only when they are not known yet. */
  ensure(): Promise<Settings> {
    return this.current ? Promise.resolve(this.current) : this.load();
  }

  /**
   * Saves `next`, shown at once; resolves to what was saved. On failure the previous preferences
   * come back and the error is thrown (a `BackendError`).
   */
  async save(next: Settings): Promise<Settings> {
    return this.#change(next, () => this.#backend.setSettings($state.snapshot(next)));
  }

  /** Always (or no longer) loads remote content in messages from `address`; resolves to the new preferences. */
  async allowRemoteFrom(address: string, allowed: boolean): Promise<Settings> {
    const clean = address.trim().toLowerCase();
    const optimistic = this.current
      ? {
          ...this.current,
          remoteContentSenders: allowed
            ? [...new Set([...this.current.remoteContentSenders, clean])].sort()
            : this.current.remoteContentSenders.filter((s) => s !== clean),
        }
      : null;
    return this.#change(optimistic, () => this.#backend.setRemoteContentForSender(address, allowed));
  }

  async #change(optimistic: Settings | null, save: () => Promise<Settings>): Promise<Settings> {
    const change = ++this.#changes;
    const previous = this.current;
    if (optimistic) this.current = optimistic;
    try {
      const saved = await save();
      if (change === this.#changes) this.current = saved;
      return saved;
    } catch (reason) {
      if (change === this.#changes) this.current = previous;
      throw BackendError.from(reason);
    }
  }
}
