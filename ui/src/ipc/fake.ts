/**
 * An in-memory backend that behaves like the engine: it validates settings the
 * way the server connection would fail, answers after a short delay, and
 * serves the folder list of a typical account. Used in the browser (`npm run
 * dev`), in unit tests and in the Playwright tests.
 *
 * Scenarios, by input:
 * - password `wrong`                      → authFailed
 * - host `untrusted.example`, no pin      → untrustedCertificate (+ fingerprint); pinned → success
 * - host `unreachable.example`            → unreachable
 * - host `slow.example`                   → timeout
 * - security `plain` on a non-loopback host → insecure
 * - host `offline.example` (after adding) → refreshFolders and syncs fail with unreachable
 * - host `dropped.example` (after adding)  → the first sync loses the connection half-way (connectionLost)
 *
 * Mail: every folder holds deterministic sample messages (see `fake-mail.ts`).
 * The demo account's cache is already filled, with a few new messages waiting
 * in the Inbox for the next sync; a new account starts with an empty cache, so
 * its first sync downloads everything and reports `sync-progress` on the way.
 * `?fixture=big` is the demo account with 100,000 messages in the Inbox, all cached.
 *
 * Storage quota: the demo account uses {@link DEMO_QUOTA} (1.3 GB of 5 GB); a new
 * account has none until its first whole-account sync completes, then {@link NEW_ACCOUNT_QUOTA}.
 */
import { BackendError, MAX_PAGE, type Backend } from './backend';
import type {
  Account,
  AppInfo,
  CommandError,
  Folder,
  FolderCounts,
  ImapSettings,
  MessagePage,
  NewAccountRequest,
  StorageQuota,
  SyncMode,
  SyncProgressEvent,
  SyncSummary,
} from './bindings';
import { SampleMailbox } from './fake-mail';

/** The certificate fingerprint `untrusted.example` presents. */
export const UNTRUSTED_HOST = 'untrusted.example';
export const UNTRUSTED_FINGERPRINT =
  '3A:7F:19:C2:5E:88:04:B1:6D:2F:A0:93:E7:41:5C:0B:D8:22:6E:F4:91:3C:A7:58:0E:B6:72:1D:C9:84:2F:60';
/** A host whose folder refresh fails (to exercise the offline banner). */
export const OFFLINE_HOST = 'offline.example';
/** A host whose first sync loses the connection half-way. */
export const DROPPED_HOST = 'dropped.example';

export type Fixture = 'empty' | 'demo' | 'big';

export interface FakeOptions {
  /** `demo` starts with one account; `big` with one whose Inbox holds 100,000 messages; `empty` (default) with none. */
  fixture?: Fixture;
  /** Artificial latency of every call, in milliseconds (default 150; connects take 3×). */
  latencyMs?: number;
  /** "Now" for the sample mail's dates, in milliseconds (default: the current time). */
  now?: number;
}

/** One recorded call, for tests that check what the UI asked for. */
export interface FakeCall {
  method: string;
  args: unknown[];
}

export interface FakeBackend extends Backend {
  /** Every call made, in order. */
  readonly calls: FakeCall[];
  /** Delivers a `sync-progress` event to the listeners, as the engine would. */
  emitProgress(event: SyncProgressEvent): void;
}

/** Reads `?fixture=demo` or `?fixture=big` from a query string. */
export function fixtureFromUrl(search: string): Fixture {
  const fixture = new URLSearchParams(search).get('fixture');
  return fixture === 'demo' || fixture === 'big' ? fixture : 'empty';
}

/** Messages on the fake server per folder. */
export const FOLDER_SIZES: Readonly<Record<string, number>> = {
  INBOX: 2_400,
  Drafts: 3,
  Sent: 320,
  Archive: 1_250,
  Junk: 14,
  Trash: 46,
  Entwürfe: 0,
  'Work/Projects': 64,
  'Work/Projects/Tern': 150,
  Receipts: 88,
};
/** The Inbox of `?fixture=big`. */
export const BIG_INBOX = 100_000;
/** New Inbox messages the demo account finds on its first sync. */
export const DEMO_NEW_MESSAGES = 3;
/** The engine reports progress after the first rows, then every this many. */
const PROGRESS_FIRST = 50;
const PROGRESS_EVERY = 2_000;

const MIB = 1024;
const GIB = 1024 * MIB;
/** The demo account's quota (as of its last sync): 1.3 GiB of 5 GiB. */
export const DEMO_QUOTA: StorageQuota = { usedKib: Math.round(1.3 * GIB), limitKib: 5 * GIB };
/** What a new account's first sync finds: 240 MiB of 15 GiB. */
export const NEW_ACCOUNT_QUOTA: StorageQuota = { usedKib: 240 * MIB, limitKib: 15 * GIB };

export const DEMO_ACCOUNT: Account = {
  id: 'demo',
  displayName: 'Ada Lovelace',
  email: 'ada@example.org',
  imap: {
    host: 'imap.example.org',
    port: 993,
    security: 'tls',
    username: 'ada@example.org',
    pinnedCertSha256: null,
  },
};

function folder(
  path: string,
  role: Folder['role'],
  options: { parent?: string; selectable?: boolean; subscribed?: boolean; namespace?: Folder['namespace'] } = {},
): Folder {
  const parts = path.split('/');
  return {
    path,
    name: parts[parts.length - 1] ?? path,
    parent: options.parent ?? null,
    depth: parts.length - 1,
    role,
    selectable: options.selectable ?? true,
    subscribed: options.subscribed ?? true,
    namespace: options.namespace ?? 'personal',
  };
}

/** The folder tree of a typical account, as the server lists it. */
export function typicalFolders(): Folder[] {
  return [
    folder('INBOX', 'inbox'),
    folder('Drafts', 'drafts'),
    folder('Sent', 'sent'),
    folder('Archive', 'archive'),
    folder('Junk', 'junk'),
    folder('Trash', 'trash'),
    folder('Entwürfe', null),
    folder('Work', null, { selectable: false }),
    folder('Work/Projects', null, { parent: 'Work' }),
    folder('Work/Projects/Tern', null, { parent: 'Work/Projects' }),
    folder('Receipts', null),
  ].map((f) => (f.path === 'INBOX' ? { ...f, name: 'Inbox' } : f));
}

function isLoopback(host: string): boolean {
  const h = host.trim().replace(/^\[/, '').replace(/\]$/, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

function normalizeFingerprint(text: string): string {
  const hex = text.replace(/[^0-9a-f]/gi, '').toUpperCase();
  return (hex.match(/.{1,2}/g) ?? []).join(':');
}

function fail(kind: CommandError['kind'], message: string, fingerprint: string | null = null): never {
  throw new BackendError({ kind, message, fingerprint });
}

function validate(imap: ImapSettings, request: NewAccountRequest): void {
  if (!request.email.trim() || !request.email.includes('@')) fail('invalidSettings', 'enter a valid email address');
  if (!imap.host.trim()) fail('invalidSettings', 'enter the IMAP server name');
  if (!Number.isInteger(imap.port) || imap.port < 1 || imap.port > 65535)
    fail('invalidSettings', 'enter the IMAP port (usually 993)');
  if (!imap.username.trim()) fail('invalidSettings', 'enter the user name');
  if (imap.security === 'plain' && !isLoopback(imap.host))
    fail('insecure', `Tern does not send passwords unencrypted: choose TLS or STARTTLS for ${imap.host.trim()}`);
}

function connect(imap: ImapSettings, password: string): void {
  const host = imap.host.trim().toLowerCase();
  if (host === 'unreachable.example')
    fail('unreachable', `could not reach ${host}:${imap.port}: the host name was not found`);
  if (host === 'slow.example') fail('timeout', `${host} did not answer within 20 seconds`);
  if (host === UNTRUSTED_HOST && imap.security !== 'plain') {
    const pinned = imap.pinnedCertSha256 ? normalizeFingerprint(imap.pinnedCertSha256) : null;
    if (pinned !== UNTRUSTED_FINGERPRINT)
      fail(
        'untrustedCertificate',
        `the certificate of ${host} is not trusted by this system (self-signed certificate)`,
        UNTRUSTED_FINGERPRINT,
      );
  }
  if (password === '') fail('invalidSettings', 'enter the password');
  if (password === 'wrong') fail('authFailed', 'The server rejected the user name or password');
}

/** A folder's cache: server messages `[from, to)` (0 = the server's newest). */
interface CachedRange {
  from: number;
  to: number;
}

export function createFakeBackend(options: FakeOptions = {}): FakeBackend {
  const latency = options.latencyMs ?? 150;
  const now = options.now ?? Date.now();
  const withDemo = options.fixture === 'demo' || options.fixture === 'big';
  const accounts: Account[] = withDemo ? [structuredClone(DEMO_ACCOUNT)] : [];
  /** The cache: empty for a fresh account until the first refresh, like the engine's. */
  const cache = new Map<string, Folder[]>();
  /** The server's mailboxes per account, and what of them is cached. */
  const servers = new Map<string, Map<string, SampleMailbox>>();
  const cachedMail = new Map<string, Map<string, CachedRange>>();
  /** Accounts whose next sync drops the connection (`dropped.example`). */
  const dropping = new Set<string>();
  /** The quota each account's last sync found (none before the first). */
  const quotas = new Map<string, StorageQuota>();
  const listeners = new Set<(event: SyncProgressEvent) => void>();
  const calls: FakeCall[] = [];
  let nextId = 1;

  const serverFor = (account: Account): Map<string, SampleMailbox> => {
    let server = servers.get(account.id);
    if (!server) {
      const owner = { name: account.displayName || null, email: account.email };
      const big = account.id === DEMO_ACCOUNT.id && options.fixture === 'big';
      server = new Map(
        Object.entries(FOLDER_SIZES).map(([path, size]) => [
          path,
          new SampleMailbox(path, path === 'INBOX' && big ? BIG_INBOX : size, now, owner),
        ]),
      );
      servers.set(account.id, server);
    }
    return server;
  };

  if (withDemo) {
    cache.set(DEMO_ACCOUNT.id, typicalFolders());
    const server = serverFor(DEMO_ACCOUNT);
    const ranges = new Map<string, CachedRange>();
    for (const [path, mailbox] of server) {
      // The demo Inbox has a few messages the cache hasn't seen yet (the big one is fully synced).
      const from = path === 'INBOX' && options.fixture === 'demo' ? Math.min(DEMO_NEW_MESSAGES, mailbox.size) : 0;
      ranges.set(path, { from, to: mailbox.size });
    }
    cachedMail.set(DEMO_ACCOUNT.id, ranges);
    quotas.set(DEMO_ACCOUNT.id, { ...DEMO_QUOTA });
  }

  const emit = (event: SyncProgressEvent) => {
    for (const listener of [...listeners]) listener(structuredClone(event));
  };

  const wait = (factor = 1) =>
    new Promise<void>((resolve) => (latency > 0 ? setTimeout(resolve, latency * factor) : resolve()));
  const find = (accountId: string): Account =>
    accounts.find((a) => a.id === accountId) ?? fail('notFound', `there is no account ${accountId}`);

  const checkOnline = (account: Account) => {
    if (account.imap.host.toLowerCase() === OFFLINE_HOST)
      fail('unreachable', `could not reach ${OFFLINE_HOST}:${account.imap.port}: the network is down`);
  };

  const syncOne = async (account: Account, path: string): Promise<SyncSummary> => {
    const mailbox = serverFor(account).get(path);
    const folders = cache.get(account.id) ?? typicalFolders();
    if (!mailbox || !folders.some((f) => f.path === path && f.selectable))
      fail('notFound', `there is no folder ${path}`);
    let ranges = cachedMail.get(account.id);
    if (!ranges) cachedMail.set(account.id, (ranges = new Map()));
    const cached = ranges.get(path);
    const summary = (mode: SyncMode, added: number): SyncSummary => ({
      accountId: account.id,
      path,
      mode,
      added,
      changed: 0,
      removed: 0,
      total: mailbox.size,
      unread: mailbox.unreadAmong(mailbox.size),
    });
    if (cached && cached.from === 0 && cached.to === mailbox.size) {
      await wait(0.5);
      return summary('unchanged', 0);
    }
    if (cached && cached.to === mailbox.size) {
      // New mail on top: a quick incremental sync.
      const added = cached.from;
      await wait();
      cached.from = 0;
      return summary('qresync', added);
    }
    // Initial sync, newest first, in batches; the cache fills as it goes.
    const range: CachedRange = { from: 0, to: 0 };
    ranges.set(path, range);
    const total = mailbox.size;
    let next = Math.min(PROGRESS_FIRST, total);
    while (range.to < total) {
      await wait(Math.max(0.2, (next - range.to) / 1_000));
      if (dropping.has(account.id) && range.to >= PROGRESS_FIRST) {
        dropping.delete(account.id);
        fail('connectionLost', `the connection to ${account.imap.host} was lost while downloading ${path}`);
      }
      range.to = next;
      if (range.to < total) emit({ accountId: account.id, path, done: range.to, total });
      next = Math.min(range.to + PROGRESS_EVERY, total);
    }
    return summary('initial', total);
  };

  const backend: FakeBackend = {
    calls,

    emitProgress: emit,

    async appInfo(): Promise<AppInfo> {
      await wait(0.1);
      return { version: '0.1.0', dataDir: '(in memory)' };
    },

    async listAccounts() {
      await wait(0.5);
      return structuredClone(accounts);
    },

    async addAccount(request) {
      const imap: ImapSettings = {
        ...request.imap,
        host: request.imap.host.trim(),
        username: request.imap.username.trim() || request.email.trim(),
        pinnedCertSha256: request.imap.pinnedCertSha256?.trim() ? request.imap.pinnedCertSha256.trim() : null,
      };
      validate(imap, request);
      await wait(3);
      connect(imap, request.password);
      const account: Account = {
        id: `account-${nextId++}`,
        displayName: request.displayName.trim() || request.email.trim(),
        email: request.email.trim(),
        imap,
      };
      accounts.push(account);
      if (account.imap.host.toLowerCase() === DROPPED_HOST) dropping.add(account.id);
      return structuredClone(account);
    },

    async removeAccount(accountId) {
      await wait();
      find(accountId);
      accounts.splice(
        accounts.findIndex((a) => a.id === accountId),
        1,
      );
      cache.delete(accountId);
      quotas.delete(accountId);
      servers.delete(accountId);
      cachedMail.delete(accountId);
    },

    async cachedFolders(accountId) {
      await wait(0.1);
      find(accountId);
      return structuredClone(cache.get(accountId) ?? []);
    },

    async refreshFolders(accountId) {
      const account = find(accountId);
      await wait(4);
      checkOnline(account);
      const folders = typicalFolders();
      cache.set(accountId, folders);
      return structuredClone(folders);
    },

    async folderCounts(accountId): Promise<FolderCounts[]> {
      const account = find(accountId);
      await wait(0.1);
      const server = serverFor(account);
      return [...(cachedMail.get(accountId) ?? new Map<string, CachedRange>())].map(([path, range]) => {
        const mailbox = server.get(path)!;
        return {
          path,
          total: range.to - range.from,
          unread: mailbox.unreadAmong(range.to) - mailbox.unreadAmong(range.from),
        };
      });
    },

    async accountQuota(accountId) {
      find(accountId);
      await wait(0.1);
      const quota = quotas.get(accountId);
      return quota ? { ...quota } : null;
    },

    async syncAccount(accountId) {
      const account = find(accountId);
      await wait(2);
      checkOnline(account);
      cache.set(accountId, typicalFolders());
      const summaries: SyncSummary[] = [];
      for (const folder of typicalFolders()) {
        if (!folder.selectable) continue;
        summaries.push(await syncOne(account, folder.path));
      }
      if (!quotas.has(accountId)) quotas.set(accountId, { ...NEW_ACCOUNT_QUOTA });
      return summaries;
    },

    async syncFolder(accountId, path) {
      const account = find(accountId);
      await wait();
      checkOnline(account);
      return syncOne(account, path);
    },

    async listMessages(accountId, path, offset, limit): Promise<MessagePage> {
      const account = find(accountId);
      await wait(0.2);
      if (!Number.isInteger(offset) || offset < 0 || !Number.isInteger(limit) || limit < 0)
        fail('internal', 'offset and limit must be whole numbers');
      if (limit > MAX_PAGE) fail('internal', `at most ${MAX_PAGE} rows a call`);
      const mailbox = serverFor(account).get(path);
      const range = cachedMail.get(accountId)?.get(path);
      if (!mailbox || !range) return { total: 0, unread: 0, offset, rows: [] };
      const total = range.to - range.from;
      const rows = [];
      for (let i = offset; i < Math.min(offset + limit, total); i++) rows.push(mailbox.row(range.from + i));
      return {
        total,
        unread: mailbox.unreadAmong(range.to) - mailbox.unreadAmong(range.from),
        offset,
        rows,
      };
    },

    async onSyncProgress(callback) {
      listeners.add(callback);
      return () => {
        listeners.delete(callback);
      };
    },
  };

  // Record every call (tests check which windows the list asked for).
  for (const key of Object.keys(backend) as (keyof FakeBackend)[]) {
    const value = backend[key];
    if (typeof value !== 'function' || key === 'emitProgress') continue;
    const method = value as (...args: unknown[]) => unknown;
    (backend as unknown as Record<string, unknown>)[key] = (...args: unknown[]) => {
      calls.push({ method: key, args });
      return method(...args);
    };
  }
  return backend;
}
