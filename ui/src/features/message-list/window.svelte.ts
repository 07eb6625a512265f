import { SvelteMap } from 'svelte/reactivity';
import {
  BackendError,
  MAX_PAGE,
  type Backend,
  type CommandError,
  type ListQuery,
  type MessageRow,
} from '../../ipc/backend';

/** Rows fetched per call. */
export const PAGE_SIZE = 200;

/**
 * Pages kept on each side of the ones in view. Farther pages are dropped as the list scrolls
 * (and read again if they come back into view), so scrolling through a long folder holds a few
 * thousand rows at most, not every row passed on the way.
 */
export const KEPT_PAGES = 5;

/**
 * What identifies a row across live updates: its message (account, folder, UID), or in a
 * conversation list its conversation (whose newest message changes as replies arrive).
 */
export function rowKey(row: MessageRow, conversations: boolean): string {
  return conversations
    ? `c\u0000${row.accountId}\u0000${row.threadId}`
    : `m\u0000${row.accountId}\u0000${row.path}\u0000${row.uid}`;
}

/** The User Timing mark set when the app first paints rows with their data (see BENCHMARKS.md). */
export const FIRST_ROWS_MARK = 'tern:first-rows';

/**
 * A list (one folder or every inbox, sorted, filtered, maybe as conversations) as windows of
 * the cache: pages of {@link PAGE_SIZE} rows fetched on demand for the visible range (plus one
 * page ahead), never the whole list. Only the pages near the visible range stay loaded (see
 * {@link KEPT_PAGES}), with the first page and any page {@link MessageWindow.keep} asks for.
 */
export class MessageWindow {
  /** Rows in the list; null until the first page has been read. */
  total = $state<number | null>(null);
  unread = $state(0);
  error = $state<CommandError | null>(null);
  readonly pages = new SvelteMap<number, MessageRow[]>();

  readonly query: ListQuery;
  readonly #backend: Backend;
  readonly #pending = new Map<number, Promise<void>>();
  /** The range last asked for, refetched on refresh. */
  #visible: [number, number] = [0, 0];
  #generation = 0;
  /**
   * Whether a page far from view must stay loaded all the same: the list keeps the pages that
   * hold selected rows, which its actions read from the loaded pages.
   */
  keep: (rows: MessageRow[]) => boolean = () => false;

  constructor(backend: Backend, query: ListQuery) {
    this.#backend = backend;
    this.query = query;
  }

  /** The key of a row of this list (see {@link rowKey}). */
  key(row: MessageRow): string {
    return rowKey(row, this.query.conversations);
  }

  /** The row at `index`, if its page has arrived. */
  row(index: number): MessageRow | undefined {
    return this.pages.get(Math.floor(index / PAGE_SIZE))?.[index % PAGE_SIZE];
  }

  /** Reads the first page (the folder's size and unread count come with it). */
  load(): Promise<void> {
    return this.#fetch(0);
  }

  /** Makes sure rows `first`..`last` are loaded, plus the page after them. */
  async ensure(first: number, last: number): Promise<void> {
    this.#visible = [first, last];
    const total = this.total;
    if (total === null || total === 0) return;
    const lastPage = Math.floor((total - 1) / PAGE_SIZE);
    const from = Math.max(0, Math.floor(first / PAGE_SIZE));
    const to = Math.min(lastPage, Math.floor(Math.max(first, last) / PAGE_SIZE) + 1);
    this.#dropFarFrom(from, to);
    const wanted: Promise<void>[] = [];
    for (let page = from; page <= to; page++) if (!this.pages.has(page)) wanted.push(this.#fetch(page));
    await Promise.all(wanted);
  }

  /** Drops the loaded pages more than {@link KEPT_PAGES} away from pages `from`..`to`. */
  #dropFarFrom(from: number, to: number): void {
    for (const [page, rows] of this.pages) {
      const far = page < from - KEPT_PAGES || page > to + KEPT_PAGES;
      if (far && page !== 0 && !this.keep(rows)) this.pages.delete(page);
    }
  }

  /**
   * Re-reads the visible pages after a sync; pages elsewhere are dropped and
   * fetched again when they scroll into view. What is shown stays until the
   * fresh rows arrive. `applied` runs right after the fresh rows replace the
   * old ones (in the same tick, before anything re-renders).
   */
  async refresh(applied?: () => void): Promise<void> {
    const generation = ++this.#generation;
    this.#pending.clear();
    const [first, last] = this.#visible;
    const pages = new Set([0, Math.floor(first / PAGE_SIZE), Math.floor(last / PAGE_SIZE)]);
    for (let p = Math.floor(first / PAGE_SIZE); p <= Math.floor(last / PAGE_SIZE) + 1; p++) pages.add(p);
    const fresh = new Map<number, MessageRow[]>();
    try {
      const results = await Promise.all(
        [...pages].map((page) =>
          this.#backend.listRows(this.query, page * PAGE_SIZE, PAGE_SIZE).then((r) => [page, r] as const),
        ),
      );
      if (generation !== this.#generation) return;
      for (const [page, result] of results) {
        this.total = result.total;
        this.unread = result.unread;
        if (result.rows.length > 0) fresh.set(page, result.rows);
      }
      this.error = null;
      for (const page of [...this.pages.keys()]) if (!fresh.has(page)) this.pages.delete(page);
      for (const [page, rows] of fresh) this.pages.set(page, rows);
      applied?.();
    } catch (reason) {
      if (generation === this.#generation) this.error = BackendError.from(reason).toCommandError();
    }
  }

  /**
   * Shows a flag change on the loaded rows with these keys at once, before the server has it:
   * the next refresh brings the rows as the cache has them.
   */
  patch(keys: ReadonlySet<string>, change: { seen: boolean | null; flagged: boolean | null }): void {
    for (const [page, rows] of [...this.pages]) {
      if (!rows.some((r) => keys.has(this.key(r)))) continue;
      this.pages.set(
        page,
        rows.map((r) =>
          keys.has(this.key(r)) ? { ...r, seen: change.seen ?? r.seen, flagged: change.flagged ?? r.flagged } : r,
        ),
      );
    }
  }

  /** Index of the row with `key` among the loaded rows, or -1. */
  indexOf(key: string): number {
    for (const [page, rows] of this.pages) {
      const i = rows.findIndex((r) => this.key(r) === key);
      if (i >= 0) return page * PAGE_SIZE + i;
    }
    return -1;
  }

  /** Rows `first`..`last` (inclusive), reading the pages not loaded yet (for a range selection). */
  async range(first: number, last: number): Promise<MessageRow[]> {
    const wanted: Promise<void>[] = [];
    for (let page = Math.floor(first / PAGE_SIZE); page <= Math.floor(last / PAGE_SIZE); page++)
      if (!this.pages.has(page)) wanted.push(this.#fetch(page));
    await Promise.all(wanted);
    const rows: MessageRow[] = [];
    for (let i = first; i <= last; i++) {
      const row = this.row(i);
      if (row) rows.push(row);
    }
    return rows;
  }

  /** Every row of the list, read from the cache a page of {@link MAX_PAGE} at a time (for select-all). */
  async all(): Promise<MessageRow[]> {
    const rows: MessageRow[] = [];
    let total = Infinity;
    while (rows.length < total) {
      const page = await this.#backend.listRows(this.query, rows.length, MAX_PAGE);
      total = page.total;
      if (page.rows.length === 0) break;
      rows.push(...page.rows);
    }
    return rows;
  }

  #fetch(page: number): Promise<void> {
    const existing = this.#pending.get(page);
    if (existing) return existing;
    const generation = this.#generation;
    const promise = this.#backend
      .listRows(this.query, page * PAGE_SIZE, PAGE_SIZE)
      .then((result) => {
        if (generation !== this.#generation) return;
        this.total = result.total;
        this.unread = result.unread;
        this.error = null;
        this.pages.set(page, result.rows);
      })
      .catch((reason: unknown) => {
        if (generation === this.#generation) this.error = BackendError.from(reason).toCommandError();
      })
      .finally(() => {
        if (this.#pending.get(page) === promise) this.#pending.delete(page);
      });
    this.#pending.set(page, promise);
    return promise;
  }
}
