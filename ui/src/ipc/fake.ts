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
 * `?fixture=two` is the demo account and a second one ({@link WORK_ACCOUNT}, fully cached), for
 * the unified inbox. Each account's Sent folder holds the user's replies to some of its Inbox's
 * messages, so conversations span the Inbox and Sent.
 *
 * The list: `listRows` sorts, filters and groups the cached rows of one folder or of every
 * account's Inbox as the engine does (conversations by `threadId`, over the shown folders and the
 * account's Sent folder, dated by their newest message; the sender is the first one's "name
 * address"; subjects sort without "Re:"/"Fwd:" and list tags; ties newest first). It keeps each
 * folder's rows, reading only what a sync or new mail adds, and each query's result until the mail
 * changes (flag changes are patched in place), so paging through `?fixture=big` stays fast.
 * `conversation` returns a message's conversation (its folder, the Inbox and Sent), oldest
 * first. `updateAccountAccess` signs in again like `addAccount` (password `wrong` → authFailed,
 * `untrusted.example` without its fingerprint → untrustedCertificate) and then reconnects.
 *
 * Storage quota: the demo account uses {@link DEMO_QUOTA} (1.3 GB of 5 GB); a new
 * account has none until its first whole-account sync completes, then {@link NEW_ACCOUNT_QUOTA}.
 *
 * The live engine (`live: true`, as in the browser): like the app, the fake connects every account
 * at start and each account added (`connecting`, then `online {push: true}`), syncs it, and reports
 * what changed as `mail-events` (`mailboxChanged` and `countsChanged` per synced folder,
 * `foldersChanged`, `newMail`, `accountStatus`). `offline.example` stays `offline` and retries
 * with a growing delay; `dropped.example` goes offline when its first sync loses the connection
 * and comes back by itself. Without `live` (unit tests) every account is reported online
 * (`offline.example`: offline) and nothing happens by itself: tests drive syncs, `setStatus`,
 * `deliver` and `emitMailEvents`. Either way, syncs asked for while an account is offline fail
 * with `connectionLost`, every sync reports its changes as `mail-events`, and `deliver` puts a
 * message on the server and, when the account is online, into the cache with the events the
 * engine would send.
 *
 * Reading: `openMessage` serves a generated, escaped `data:` document (see `fake-view.ts` for which
 * UIDs carry remote content, disguised links, attachments, forwarded messages or unreadable parts);
 * offline, only messages opened before open (others fail with `connectionLost`). Remote content
 * loads by itself for senders in the settings' `remoteContentSenders`. `openAttachedMessage` opens
 * the forwarded message (`message/rfc822`) some of them carry; `messageSource` serves their header
 * fields and raw text. `setFlags` changes the rows at once and reports `mailboxChanged` (the
 * changed UIDs) and `countsChanged`, as the engine does.
 *
 * Files and links: `saveAttachment` answers like a save dialog the user confirmed, with a path in
 * {@link DOWNLOADS_DIR} (`cancelNextSave` makes the next one cancelled); `openAttachment` refuses
 * programs and scripts (`.exe`, `.bat`, `.sh`, …) with `unsafe` and records the others in
 * `openedAttachments`; `openLink` refuses anything but http, https and mailto with `unsafe` and
 * records the others in `openedLinks`. `clickLink` stands for a click on a link inside a message's
 * frame: it reports `link-activated` for a view the fake served, as the app does.
 */
import { BackendError, MAX_PAGE, type Backend, type FlagChange } from './backend';
import type {
  Account,
  AccountStatus,
  AppInfo,
  CommandError,
  Folder,
  FolderCounts,
  ImapSettings,
  LinkActivated,
  MailEvent,
  MessageLink,
  MessagePage,
  MessageRow,
  MessageView,
  ListQuery,
  NewAccountRequest,
  Settings,
  StorageQuota,
  SyncMode,
  SyncProgressEvent,
  SyncSummary,
} from './bindings';
import { baseSubject, SampleMailbox, type Delivery } from './fake-mail';
import { attachedView, sampleAttachments, sampleSource, sampleView } from './fake-view';

export type { Delivery } from './fake-mail';

/** The certificate fingerprint `untrusted.example` presents. */
export const UNTRUSTED_HOST = 'untrusted.example';
export const UNTRUSTED_FINGERPRINT =
  '3A:7F:19:C2:5E:88:04:B1:6D:2F:A0:93:E7:41:5C:0B:D8:22:6E:F4:91:3C:A7:58:0E:B6:72:1D:C9:84:2F:60';
/** A host whose folder refresh fails (to exercise the offline banner). */
export const OFFLINE_HOST = 'offline.example';
/** A host whose first sync loses the connection half-way. */
export const DROPPED_HOST = 'dropped.example';

export type Fixture = 'empty' | 'demo' | 'big' | 'two';

export interface FakeOptions {
  /**
   * `demo` starts with one account; `big` with one whose Inbox holds 100,000 messages; `two` with the
   * demo account and {@link WORK_ACCOUNT}; `empty` (default) with none.
   */
  fixture?: Fixture;
  /** Artificial latency of every call, in milliseconds (default 150; connects take 3×). */
  latencyMs?: number;
  /** "Now" for the sample mail's dates, in milliseconds (default: the current time). */
  now?: number;
  /** Run the live engine: connect, sync and reconnect every account by itself, as the app does (default false). */
  live?: boolean;
  /** Preferences to start with instead of {@link DEFAULT_SETTINGS} (fields not given keep their default). */
  settings?: Partial<Settings>;
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
  /** Delivers a batch of `mail-events` to the listeners, as the engine would. */
  emitMailEvents(batch: MailEvent[]): void;
  /** Changes an account's connection status and reports it (an `accountStatus` event). */
  setStatus(accountId: string, status: AccountStatus): void;
  /**
   * A new message arrives in a folder on the server. When the account is online the engine
   * notices at once: the message (with any others the cache had not seen) lands in the cache and
   * `mailboxChanged`, `countsChanged` (and `newMail` for unread inbox mail) follow. Resolves to
   * the message as stored.
   */
  deliver(accountId: string, path: string, message: Delivery): Promise<MessageRow>;
  /**
   * The user clicks the link `linkId` (a `MessageLink.id`) in the document at `viewUrl` (a view
   * this backend served): `link-activated` goes to the listeners, as the app reports it. Returns
   * the event, or null when there is no such link.
   */
  clickLink(viewUrl: string, linkId: string): LinkActivated | null;
  /** Delivers a `link-activated` event as given. */
  emitLinkActivated(event: LinkActivated): void;
  /** The next `saveAttachment` is cancelled in the save dialog (resolves to null). */
  cancelNextSave(): void;
  /** Every URL `openLink` opened, in order. */
  readonly openedLinks: string[];
  /** Every attachment `openAttachment` opened (its file), in order. */
  readonly openedAttachments: string[];
}

/** Where the fake's save dialog puts attachments. */
export const DOWNLOADS_DIR = '/home/ada/Downloads';

/** The settings of a fresh installation (the engine's defaults). */
export const DEFAULT_SETTINGS: Settings = {
  notifications: true,
  markRead: { kind: 'immediately' },
  remoteContentSenders: [],
  cacheMb: 1024,
  plainMonospace: false,
  prefetch: true,
  conversations: true,
  theme: 'system',
  density: 'comfortable',
  sidebarWidth: 240,
  listWidth: 380,
};
/** The smallest cache for downloaded messages, in MB (the engine raises anything smaller to it). */
export const MIN_CACHE_MB = 64;

/** File names Tern never opens: programs and scripts (the engine's list). */
const PROGRAM = /\.(exe|com|bat|cmd|msi|msp|scr|pif|cpl|jar|js|jse|vbs|vbe|wsf|wsh|ps1|psm1|sh|bash|command|app|pkg|dmg|deb|rpm|appimage|run|bin|py|pl|rb|desktop|lnk|reg|hta|apk)$/i;

/** A file name safe to write anywhere (the engine's rule): no folders, no control characters. */
function safeFileName(name: string | null, fallback: string): string {
  const clean = (name ?? '')
    .replace(/[\u0000-\u001f/\\:*?"<>|]/g, '_')
    .trim()
    .replace(/^\.+/, '');
  return clean || fallback;
}

/** Reads `?conversations=off` (start with one row per message) from a query string. */
export function settingsFromUrl(search: string): Partial<Settings> {
  return new URLSearchParams(search).get('conversations') === 'off' ? { conversations: false } : {};
}

/** Reads `?fixture=demo`, `?fixture=big` or `?fixture=two` from a query string. */
export function fixtureFromUrl(search: string): Fixture {
  const fixture = new URLSearchParams(search).get('fixture');
  return fixture === 'demo' || fixture === 'big' || fixture === 'two' ? fixture : 'empty';
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
/** The fake engine's reconnect delay after `attempts` failures in a row: 2 s, doubling, at most 5 minutes. */
export function retryDelayMs(attempts: number): number {
  return Math.min(5 * 60_000, 2_000 * 2 ** Math.max(0, attempts - 1));
}
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

/** The second account of `?fixture=two`. */
export const WORK_ACCOUNT: Account = {
  id: 'work',
  displayName: 'Ada at Analytical',
  email: 'ada@analytical.example',
  imap: {
    host: 'imap.analytical.example',
    port: 993,
    security: 'tls',
    username: 'ada',
    pinnedCertSha256: null,
  },
};
/** The password the fake's preset accounts were saved with. */
export const PRESET_PASSWORD = 'secret';

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

/** Newer first: by arrival, then by UID. */
function newer(a: MessageRow, b: MessageRow): boolean {
  return a.received > b.received || (a.received === b.received && a.uid > b.uid);
}

/** The sender a row sorts and filters by, as the engine keeps it: the first sender's "name address", lower case. */
export function senderKey(row: MessageRow): string {
  const first = row.from[0];
  if (!first) return '';
  const name = first.name?.trim();
  return (name ? `${name} ${first.email}` : first.email).toLowerCase();
}

/**
 * Sorts list rows in place by `key` (ties: newest first), as the engine does. `dateOf` is what
 * a row's date is (a conversation's: its newest message's, the user's replies included).
 */
export function sortRows(
  rows: MessageRow[],
  key: ListQuery['sort'],
  descending: boolean,
  dateOf: (row: MessageRow) => number = (row) => row.received,
): void {
  const sign = descending ? -1 : 1;
  const text = (row: MessageRow): string =>
    key === 'sender' ? senderKey(row) : baseSubject(row.subject).toLowerCase();
  const keys = key === 'sender' || key === 'subject' ? new Map(rows.map((r) => [r, text(r)])) : null;
  rows.sort((a, b) => {
    let order = 0;
    if (keys) {
      const x = keys.get(a)!;
      const y = keys.get(b)!;
      order = x < y ? -1 : x > y ? 1 : 0;
    } else if (key === 'size') order = a.size - b.size;
    else order = dateOf(a) - dateOf(b);
    if (order !== 0) return sign * order;
    return dateOf(b) - dateOf(a) || b.received - a.received || b.uid - a.uid;
  });
}

/**
 * A folder's cached rows, newest first, and which messages they are: positions `[lo, hi)`
 * counted from the server's oldest (these never change: new mail comes on top).
 */
interface Snapshot {
  rows: MessageRow[];
  lo: number;
  hi: number;
}

/** A conversation of several messages in a conversation list: its row and its messages (the folders' own rows). */
interface Conversation {
  row: MessageRow;
  members: MessageRow[];
}

/** The whole list one query shows, kept until the mail changes. */
interface ListResult {
  rows: MessageRow[];
  /** Unread messages in the shown folders. */
  unread: number;
  /** The shown folders (`folderKey`). */
  paths: Set<string>;
  /** Conversation lists: each conversation of several messages by `threadKey` (a single message is its own row). */
  groups: Map<string, Conversation> | null;
}

/** A folder's cache: server messages `[from, to)` (0 = the server's newest). */
interface CachedRange {
  from: number;
  to: number;
}

export function createFakeBackend(options: FakeOptions = {}): FakeBackend {
  const latency = options.latencyMs ?? 150;
  const now = options.now ?? Date.now();
  const live = options.live ?? false;
  const withDemo = options.fixture === 'demo' || options.fixture === 'big' || options.fixture === 'two';
  const accounts: Account[] = withDemo ? [structuredClone(DEMO_ACCOUNT)] : [];
  if (options.fixture === 'two') accounts.push(structuredClone(WORK_ACCOUNT));
  /** Each account's saved password (what `updateAccountAccess` falls back to). */
  const passwords = new Map<string, string>(accounts.map((a) => [a.id, PRESET_PASSWORD]));
  /** The cache: empty for a fresh account until the first refresh, like the engine's. */
  const cache = new Map<string, Folder[]>();
  /** The server's mailboxes per account, and what of them is cached. */
  const servers = new Map<string, Map<string, SampleMailbox>>();
  const cachedMail = new Map<string, Map<string, CachedRange>>();
  /** Accounts whose next sync drops the connection (`dropped.example`). */
  const dropping = new Set<string>();
  /** The quota each account's last sync found (none before the first). */
  const quotas = new Map<string, StorageQuota>();
  /** Each account's connection, and its failed attempts in a row. */
  const statuses = new Map<string, AccountStatus>();
  const attempts = new Map<string, number>();
  /** Pending reconnects of the live engine. */
  const retries = new Map<string, ReturnType<typeof setTimeout>>();
  let settings: Settings = { ...structuredClone(DEFAULT_SETTINGS), ...options.settings };
  const linkListeners = new Set<(event: LinkActivated) => void>();
  /** The links of every view served, by its URL (for `clickLink`). */
  const served = new Map<string, MessageLink[]>();
  const openedLinks: string[] = [];
  const openedAttachments: string[] = [];
  let cancelSave = false;
  const listeners = new Set<(event: SyncProgressEvent) => void>();
  const mailListeners = new Set<(batch: MailEvent[]) => void>();
  const calls: FakeCall[] = [];
  let nextId = 1;
  /** Messages opened before (their parts are cached: they open offline too). */
  const opened = new Set<string>();

  const serverFor = (account: Account): Map<string, SampleMailbox> => {
    let server = servers.get(account.id);
    if (!server) {
      const owner = { name: account.displayName || null, email: account.email };
      const big = account.id === DEMO_ACCOUNT.id && options.fixture === 'big';
      const make = (path: string, size: number, repliesTo?: SampleMailbox) =>
        new SampleMailbox(path, path === 'INBOX' && big ? BIG_INBOX : size, now, owner, {
          accountId: account.id,
          repliesTo,
          // The second account of `?fixture=two` has mail of its own.
          salt: account.id === WORK_ACCOUNT.id ? account.id : undefined,
        });
      const inbox = make('INBOX', FOLDER_SIZES.INBOX!);
      server = new Map(
        Object.entries(FOLDER_SIZES).map(([path, size]) => [
          path,
          path === 'INBOX' ? inbox : make(path, size, path === 'Sent' ? inbox : undefined),
        ]),
      );
      servers.set(account.id, server);
    }
    return server;
  };

  for (const account of accounts) {
    cache.set(account.id, typicalFolders());
    const server = serverFor(account);
    const ranges = new Map<string, CachedRange>();
    for (const [path, mailbox] of server) {
      // The demo Inbox has a few messages the cache hasn't seen yet (the big one is fully synced).
      const fresh = path === 'INBOX' && account.id === DEMO_ACCOUNT.id && options.fixture !== 'big';
      ranges.set(path, { from: fresh ? Math.min(DEMO_NEW_MESSAGES, mailbox.size) : 0, to: mailbox.size });
    }
    cachedMail.set(account.id, ranges);
    quotas.set(account.id, { ...DEMO_QUOTA });
  }

  /**
   * The list's caches: each folder's cached rows, and each query's sorted, filtered, grouped rows.
   * A folder's rows follow its cache by reading only what came in; flag changes patch them and
   * every result in place; anything else that changes the cache drops the results (`changed`).
   */
  const snapshots = new Map<string, Snapshot>();
  const results = new Map<string, ListResult>();
  /** Lower-case "name email" of a row's first sender and its subject, for the filter. */
  const haystacks = new WeakMap<MessageRow, string>();
  const folderKey = (accountId: string, path: string) => `${accountId}\u0000${path}`;
  const threadKey = (row: MessageRow) => `${row.accountId}\u0000${row.threadId}`;

  /** The cache of an account (or one of its folders) changed: every list is made again. */
  const changed = (accountId: string, path?: string) => {
    if (path === undefined)
      for (const key of [...snapshots.keys()]) if (key.startsWith(`${accountId}\u0000`)) snapshots.delete(key);
    results.clear();
  };

  /**
   * The cached rows of a folder, newest first (empty when nothing of it is cached). New mail on
   * top and older mail from a sync going back are read on their own; the rest is kept.
   */
  const snapshot = (account: Account, path: string): MessageRow[] => {
    const key = folderKey(account.id, path);
    const mailbox = serverFor(account).get(path);
    const range = cachedMail.get(account.id)?.get(path);
    if (!mailbox || !range) {
      snapshots.delete(key);
      return [];
    }
    // The cache as positions from the oldest message (they never move: new mail comes on top).
    const lo = mailbox.size - range.to;
    const hi = mailbox.size - range.from;
    const rowAt = (position: number) => mailbox.row(mailbox.size - 1 - position);
    const kept = snapshots.get(key);
    if (kept && kept.lo === lo && kept.hi === hi) return kept.rows;
    let rows: MessageRow[];
    if (kept && lo <= kept.lo && kept.hi <= hi) {
      const newer: MessageRow[] = [];
      for (let p = hi - 1; p >= kept.hi; p--) newer.push(rowAt(p));
      const older: MessageRow[] = [];
      for (let p = kept.lo - 1; p >= lo; p--) older.push(rowAt(p));
      rows = newer.concat(kept.rows, older);
    } else {
      rows = [];
      for (let p = hi - 1; p >= lo; p--) rows.push(rowAt(p));
    }
    snapshots.set(key, { rows, lo, hi });
    return rows;
  };

  /** A folder's rows by conversation (`threadId`), kept as long as its rows are. */
  const threadIndexes = new WeakMap<MessageRow[], Map<string, MessageRow[]>>();
  const threadsOf = (rows: MessageRow[]): Map<string, MessageRow[]> => {
    let index = threadIndexes.get(rows);
    if (!index) {
      index = new Map();
      for (const row of rows) {
        const members = index.get(row.threadId);
        if (members) members.push(row);
        else index.set(row.threadId, [row]);
      }
      threadIndexes.set(rows, index);
    }
    return index;
  };

  const roleFolder = (account: Account, role: Folder['role'], fallback: string): string =>
    (cache.get(account.id) ?? []).find((f) => f.role === role && f.selectable)?.path ?? fallback;

  const matches = (row: MessageRow, words: string[]): boolean => {
    if (words.length === 0) return true;
    let hay = haystacks.get(row);
    if (hay === undefined) {
      hay = `${senderKey(row)}\n${row.subject.toLowerCase()}`;
      haystacks.set(row, hay);
    }
    return words.every((w) => hay.includes(w));
  };

  /**
   * Groups rows into conversations (with the account's Sent folder): one row each, the newest
   * shown message, with its conversation's newest date (the user's replies included) in `latest`
   * and each conversation of several messages in `out`. A message alone is its own row.
   */
  const conversations = (
    shown: MessageRow[],
    accountsShown: Account[],
    paths: Set<string>,
    latest: Map<MessageRow, number>,
    out: Map<string, Conversation>,
  ): MessageRow[] => {
    const groups = new Map<string, Conversation>();
    for (const row of shown) {
      const key = threadKey(row);
      const group = groups.get(key);
      if (!group) groups.set(key, { row, members: [row] });
      else {
        group.members.push(row);
        if (newer(row, group.row)) group.row = row;
      }
    }
    for (const account of accountsShown) {
      const sent = roleFolder(account, 'sent', 'Sent');
      if (paths.has(folderKey(account.id, sent))) continue;
      for (const row of snapshot(account, sent)) groups.get(threadKey(row))?.members.push(row);
    }
    const rows: MessageRow[] = [];
    for (const [key, { row, members }] of groups) {
      if (members.length === 1) {
        rows.push(row);
        continue;
      }
      const conversation: MessageRow = {
        ...row,
        threadCount: members.length,
        seen: members.every((m) => m.seen),
        flagged: members.some((m) => m.flagged),
        hasAttachment: members.some((m) => m.hasAttachment),
      };
      latest.set(conversation, Math.max(...members.map((m) => m.received)));
      out.set(key, { row: conversation, members });
      rows.push(conversation);
    }
    return rows;
  };

  /** The whole list a query shows (cached until the mail changes). */
  const evaluate = (query: ListQuery): ListResult => {
    const filter = query.filter.trim().toLowerCase();
    const key = JSON.stringify([query.source, query.sort, query.descending, filter, query.conversations]);
    const cached = results.get(key);
    if (cached) return cached;
    const sources: [Account, string][] =
      query.source.kind === 'folder'
        ? [[find(query.source.accountId), query.source.path]]
        : accounts.map((a) => [a, roleFolder(a, 'inbox', 'INBOX')]);
    const paths = new Set(sources.map(([a, p]) => folderKey(a.id, p)));
    const shown = sources.flatMap(([account, path]) => snapshot(account, path));
    const unread = shown.reduce((n, row) => n + (row.seen ? 0 : 1), 0);
    const words = query.filter.toLowerCase().split(/\s+/).filter(Boolean);
    let rows: MessageRow[];
    const latest = new Map<MessageRow, number>();
    const groups = query.conversations ? new Map<string, Conversation>() : null;
    if (groups) {
      // A conversation is kept when one of its shown messages matches.
      const kept = new Set<string>();
      if (words.length) for (const row of shown) if (matches(row, words)) kept.add(threadKey(row));
      rows = conversations(
        words.length ? shown.filter((r) => kept.has(threadKey(r))) : shown,
        sources.map(([a]) => a),
        paths,
        latest,
        groups,
      );
    } else {
      rows = words.length ? shown.filter((r) => matches(r, words)) : shown.slice();
    }
    // A conversation sorts by its newest message's date, the user's replies included (the engine's rule).
    sortRows(rows, query.sort, query.descending, latest.size ? (row) => latest.get(row) ?? row.received : undefined);
    const result: ListResult = { rows, unread, paths, groups };
    if (results.size > 32) results.clear();
    results.set(key, result);
    return result;
  };

  const emit = (event: SyncProgressEvent) => {
    for (const listener of [...listeners]) listener(structuredClone(event));
  };
  const emitMail = (batch: MailEvent[]) => {
    if (batch.length === 0) return;
    for (const listener of [...mailListeners]) listener(structuredClone(batch));
  };

  const wait = (factor = 1) =>
    new Promise<void>((resolve) => (latency > 0 ? setTimeout(resolve, latency * factor) : resolve()));
  const find = (accountId: string): Account =>
    accounts.find((a) => a.id === accountId) ?? fail('notFound', `there is no account ${accountId}`);
  const exists = (account: Account) => accounts.includes(account);

  const checkOnline = (account: Account) => {
    if (account.imap.host.toLowerCase() === OFFLINE_HOST)
      fail('unreachable', `could not reach ${OFFLINE_HOST}:${account.imap.port}: the network is down`);
  };

  const setStatus = (accountId: string, status: AccountStatus) => {
    statuses.set(accountId, structuredClone(status));
    emitMail([{ kind: 'accountStatus', accountId, status }]);
  };

  /** Syncs asked for run on the account's live connection: none while it is offline. */
  const checkConnected = (account: Account) => {
    const state = statuses.get(account.id)?.state;
    if (state !== 'online' && state !== 'connecting')
      fail('connectionLost', `${account.imap.host} is not connected: the account is offline`);
  };

  /** The cached counts of a folder. */
  const countsOf = (account: Account, path: string): FolderCounts => {
    const mailbox = serverFor(account).get(path)!;
    const range = cachedMail.get(account.id)?.get(path) ?? { from: 0, to: 0 };
    return {
      path,
      total: range.to - range.from,
      unread: mailbox.unreadAmong(range.to) - mailbox.unreadAmong(range.from),
    };
  };

  /** What the engine reports after new messages (`added`, server indices) landed in a folder's cache. */
  const publish = (account: Account, path: string, added: number[], initial: boolean) => {
    changed(account.id, path);
    const mailbox = serverFor(account).get(path)!;
    const counts = countsOf(account, path);
    const batch: MailEvent[] = [
      {
        kind: 'mailboxChanged',
        accountId: account.id,
        path,
        added: initial ? [] : added.map((index) => mailbox.row(index).uid).sort((a, b) => a - b),
        changed: [],
        removed: [],
        more: initial,
      },
      { kind: 'countsChanged', accountId: account.id, ...counts },
    ];
    const unread = added.filter((index) => mailbox.isUnread(index)).length;
    if (!initial && path === 'INBOX' && unread > 0)
      batch.push({ kind: 'newMail', accountId: account.id, path, count: unread });
    emitMail(batch);
  };

  /** Loses the connection: offline, and (live) back by itself after a delay. */
  const goOffline = (account: Account, reason: string) => {
    const attempt = (attempts.get(account.id) ?? 0) + 1;
    attempts.set(account.id, attempt);
    const delay = retryDelayMs(attempt);
    setStatus(account.id, { state: 'offline', reason, retryAtMs: Date.now() + delay, attempts: attempt });
    if (live) retries.set(account.id, setTimeout(() => void reconnect(account), delay));
  };

  /** (Re)connects an account; the live engine then catches up with the server. */
  const reconnect = async (account: Account): Promise<void> => {
    clearTimeout(retries.get(account.id));
    retries.delete(account.id);
    setStatus(account.id, { state: 'connecting' });
    await wait(2);
    if (!exists(account)) return;
    if (account.imap.host.toLowerCase() === OFFLINE_HOST) {
      goOffline(account, `could not reach ${OFFLINE_HOST}:${account.imap.port}: the network is down`);
      return;
    }
    setStatus(account.id, { state: 'online', push: true });
    if (!live) {
      attempts.delete(account.id);
      return;
    }
    try {
      await syncAll(account);
      attempts.delete(account.id);
    } catch (reason) {
      const error = BackendError.from(reason);
      if (exists(account) && error.kind === 'connectionLost') goOffline(account, error.message);
    }
  };

  /** How an account starts: live, connecting; otherwise simply online (offline.example: offline). */
  const start = (account: Account) => {
    if (live) {
      statuses.set(account.id, { state: 'connecting' });
      void reconnect(account);
    } else if (account.imap.host.toLowerCase() === OFFLINE_HOST) {
      goOffline(account, `could not reach ${OFFLINE_HOST}:${account.imap.port}: the network is down`);
    } else {
      statuses.set(account.id, { state: 'online', push: true });
    }
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
      publish(account, path, Array.from({ length: added }, (_, i) => i), false);
      return summary('qresync', added);
    }
    // Initial sync, newest first, in batches; the cache fills as it goes.
    const range: CachedRange = { from: 0, to: 0 };
    ranges.set(path, range);
    changed(account.id, path);
    const total = mailbox.size;
    let next = Math.min(PROGRESS_FIRST, total);
    while (range.to < total) {
      await wait(Math.max(0.2, (next - range.to) / 1_000));
      if (dropping.has(account.id) && range.to >= PROGRESS_FIRST) {
        dropping.delete(account.id);
        fail('connectionLost', `the connection to ${account.imap.host} was lost while downloading ${path}`);
      }
      range.to = next;
      changed(account.id, path);
      emit({ accountId: account.id, path, done: range.to, total });
      next = Math.min(range.to + PROGRESS_EVERY, total);
    }
    publish(account, path, [], true);
    return summary('initial', total);
  };

  /** The folder list and every folder, as `syncAccount` and the live engine's catch-up do. */
  const syncAll = async (account: Account): Promise<SyncSummary[]> => {
    await wait(2);
    checkOnline(account);
    const before = cache.get(account.id) ?? [];
    const folders = typicalFolders();
    cache.set(account.id, folders);
    if (JSON.stringify(before) !== JSON.stringify(folders)) emitMail([{ kind: 'foldersChanged', accountId: account.id }]);
    const summaries: SyncSummary[] = [];
    for (const folder of folders) {
      if (!folder.selectable) continue;
      summaries.push(await syncOne(account, folder.path));
    }
    if (!quotas.has(account.id)) quotas.set(account.id, { ...NEW_ACCOUNT_QUOTA });
    return summaries;
  };

  /** A sync the user asked for; a lost connection takes the account offline (live). */
  const syncNow = async <T>(account: Account, run: () => Promise<T>): Promise<T> => {
    checkConnected(account);
    try {
      return await run();
    } catch (reason) {
      const error = BackendError.from(reason);
      if (live && error.kind === 'connectionLost' && exists(account)) goOffline(account, error.message);
      throw error;
    }
  };

  /** A cached message (`fail` for an unknown folder, null when the message is not in the cache). */
  const cachedRow = (account: Account, path: string, uid: number): MessageRow | null => {
    const mailbox = serverFor(account).get(path) ?? fail('notFound', `there is no folder ${path}`);
    const range = cachedMail.get(account.id)?.get(path);
    const index = mailbox.indexOfUid(uid);
    if (!range || index < range.from || index >= range.to) return null;
    return mailbox.row(index);
  };

  /** Content (a message, or one of its parts) is downloaded once, then cached: offline, only what was downloaded before opens. */
  const download = (account: Account, path: string, uid: number, part = '') => {
    const key = `${account.id}\u0000${path}\u0000${uid}${part ? `/${part}` : ''}`;
    if (statuses.get(account.id)?.state !== 'online' && !opened.has(key))
      fail('connectionLost', `${account.imap.host} is not connected: the account is offline`);
    opened.add(key);
  };

  const serve = (view: MessageView): MessageView => {
    served.set(view.url, structuredClone(view.links));
    return view;
  };

  const loadsRemoteFrom = (row: MessageRow) => {
    const sender = row.from[0]?.email.trim().toLowerCase();
    return !!sender && settings.remoteContentSenders.includes(sender);
  };

  const setRemoteFrom = (next: Settings, address: string, allowed: boolean): Settings => {
    const clean = address.trim().toLowerCase();
    const senders = next.remoteContentSenders.filter((s) => s !== clean);
    if (allowed && clean) senders.push(clean);
    return { ...next, remoteContentSenders: senders.sort() };
  };

  /** The attachment at `section` of a cached message (or of a message attached to it). */
  const attachmentOf = (account: Account, path: string, uid: number, section: string) => {
    const row = cachedRow(account, path, uid) ?? fail('notFound', 'the message is no longer on the server');
    const outer = sampleAttachments(row);
    const inner = outer
      .filter((a) => a.mime === 'message/rfc822')
      .flatMap((a) => attachedView(row, a.section, { allowRemote: false })?.attachments ?? []);
    return [...outer, ...inner].find((a) => a.section === section) ?? fail('notFound', 'the attachment is no longer there');
  };

  const linkListenersEmit = (event: LinkActivated) => {
    for (const listener of [...linkListeners]) listener(structuredClone(event));
  };

  const backend: FakeBackend = {
    calls,

    openedLinks,

    openedAttachments,

    clickLink(viewUrl, linkId) {
      const link = served.get(viewUrl)?.find((l) => l.id === linkId);
      if (!link) return null;
      const event: LinkActivated = { viewUrl, href: link.href, text: link.text, mismatchedDomain: link.mismatchedDomain };
      linkListenersEmit(event);
      return event;
    },

    emitLinkActivated: linkListenersEmit,

    cancelNextSave() {
      cancelSave = true;
    },

    emitProgress: emit,

    emitMailEvents: emitMail,

    setStatus,

    async deliver(accountId, path, message) {
      const account = find(accountId);
      const mailbox = serverFor(account).get(path) ?? fail('notFound', `there is no folder ${path}`);
      const row = mailbox.deliver(message);
      // Everything already on the server moved down one place.
      const ranges = cachedMail.get(accountId);
      const cached = ranges?.get(path);
      if (cached) {
        cached.from += 1;
        cached.to += 1;
        changed(accountId, path);
      }
      // The engine hears of it (IDLE on the inbox, polling elsewhere) and fetches what is new.
      await wait();
      if (statuses.get(accountId)?.state === 'online' && cached && cached.to === mailbox.size) {
        const added = Array.from({ length: cached.from }, (_, i) => i);
        cached.from = 0;
        publish(account, path, added, false);
      }
      return row;
    },

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
      passwords.set(account.id, request.password);
      changed(account.id);
      if (account.imap.host.toLowerCase() === DROPPED_HOST) dropping.add(account.id);
      start(account);
      return structuredClone(account);
    },

    async removeAccount(accountId) {
      await wait();
      find(accountId);
      accounts.splice(
        accounts.findIndex((a) => a.id === accountId),
        1,
      );
      clearTimeout(retries.get(accountId));
      retries.delete(accountId);
      attempts.delete(accountId);
      setStatus(accountId, { state: 'stopped' });
      statuses.delete(accountId);
      cache.delete(accountId);
      quotas.delete(accountId);
      servers.delete(accountId);
      cachedMail.delete(accountId);
      passwords.delete(accountId);
      changed(accountId);
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
      return [...(cachedMail.get(accountId)?.keys() ?? [])].map((path) => countsOf(account, path));
    },

    async accountQuota(accountId) {
      find(accountId);
      await wait(0.1);
      const quota = quotas.get(accountId);
      return quota ? { ...quota } : null;
    },

    async syncAccount(accountId) {
      const account = find(accountId);
      return syncNow(account, () => syncAll(account));
    },

    async syncFolder(accountId, path) {
      const account = find(accountId);
      return syncNow(account, async () => {
        await wait();
        checkOnline(account);
        return syncOne(account, path);
      });
    },

    async listRows(query, offset, limit): Promise<MessagePage> {
      await wait(0.2);
      if (!Number.isInteger(offset) || offset < 0 || !Number.isInteger(limit) || limit < 0)
        fail('internal', 'offset and limit must be whole numbers');
      if (limit > MAX_PAGE) fail('internal', `at most ${MAX_PAGE} rows a call`);
      const { rows, unread } = evaluate(query);
      return { total: rows.length, unread, offset, rows: structuredClone(rows.slice(offset, offset + limit)) };
    },

    async conversation(accountId, path, uid) {
      const account = find(accountId);
      await wait(0.2);
      const mailbox = serverFor(account).get(path);
      const range = cachedMail.get(account.id)?.get(path);
      const row = mailbox && range ? snapshot(account, path)[mailbox.indexOfUid(uid) - range.from] : undefined;
      if (row?.uid !== uid) return [];
      const paths = new Set([path, roleFolder(account, 'inbox', 'INBOX'), roleFolder(account, 'sent', 'Sent')]);
      const members = [...paths].flatMap((p) => threadsOf(snapshot(account, p)).get(row.threadId) ?? []);
      members.sort((a, b) => a.received - b.received || a.uid - b.uid);
      return structuredClone(members).map((m) => ({ ...m, threadCount: members.length }));
    },

    async updateAccountAccess(accountId, password, trustFingerprint) {
      const account = find(accountId);
      const imap: ImapSettings = {
        ...account.imap,
        pinnedCertSha256: trustFingerprint?.trim() ? trustFingerprint.trim() : account.imap.pinnedCertSha256,
      };
      await wait(3);
      connect(imap, password ?? passwords.get(accountId) ?? '');
      account.imap = imap;
      if (password !== null) passwords.set(accountId, password);
      void reconnect(account);
      return structuredClone(account);
    },

    async openMessage(accountId, path, uid, allowRemote) {
      const account = find(accountId);
      await wait();
      const row = cachedRow(account, path, uid);
      if (!row) return null;
      download(account, path, uid);
      const forSender = loadsRemoteFrom(row);
      return serve(
        sampleView(row, { allowRemote: allowRemote || forSender, forSender, monospace: settings.plainMonospace }),
      );
    },

    async openAttachedMessage(accountId, path, uid, section, allowRemote) {
      const account = find(accountId);
      await wait();
      const row = cachedRow(account, path, uid);
      if (!row) return null;
      download(account, path, uid, section);
      const view = attachedView(row, section, { allowRemote, monospace: settings.plainMonospace });
      return view ? serve(view) : null;
    },

    async messageSource(accountId, path, uid) {
      const account = find(accountId);
      await wait();
      const row = cachedRow(account, path, uid);
      if (!row) return null;
      download(account, path, uid, 'source');
      return sampleSource(row);
    },

    async saveAttachment(accountId, path, uid, section, filename) {
      const account = find(accountId);
      const attachment = attachmentOf(account, path, uid, section);
      // The user picks a place in the save dialog (or cancels it).
      await wait(2);
      if (cancelSave) {
        cancelSave = false;
        return null;
      }
      download(account, path, uid, section);
      await wait();
      const name = safeFileName(filename, attachment.mime === 'message/rfc822' ? 'message.eml' : 'attachment');
      return { path: `${DOWNLOADS_DIR}/${name}`, bytes: attachment.size };
    },

    async openAttachment(accountId, path, uid, section, filename) {
      const account = find(accountId);
      const name = safeFileName(filename, 'attachment');
      if (PROGRAM.test(name))
        fail(
          'unsafe',
          `${name} is a program or script; Tern does not open those because they could harm your computer. Save it instead if you trust the sender.`,
        );
      const attachment = attachmentOf(account, path, uid, section);
      download(account, path, uid, section);
      await wait();
      const file = `/tmp/tern/attachments/${(uid * 2654435761) >>> 0}/${name}`;
      openedAttachments.push(file);
      return { path: file, bytes: attachment.size };
    },

    async openLink(url) {
      await wait(0.1);
      const scheme = url.includes(':') ? url.slice(0, url.indexOf(':')).toLowerCase() : '';
      if (!['http', 'https', 'mailto'].includes(scheme))
        fail('unsafe', `Tern only opens web and mail links; this one is a ${scheme}: link`);
      openedLinks.push(url);
    },

    async setRemoteContentForSender(address, allowed) {
      await wait(0.5);
      settings = setRemoteFrom(settings, address, allowed);
      return structuredClone(settings);
    },

    async onLinkActivated(callback) {
      linkListeners.add(callback);
      return () => {
        linkListeners.delete(callback);
      };
    },

    async setFlags(accountId, path, uids, { seen, flagged }: FlagChange) {
      const account = find(accountId);
      await wait(0.1);
      const mailbox = serverFor(account).get(path) ?? fail('notFound', `there is no folder ${path}`);
      const flipped = uids.filter((uid) => mailbox.setFlags(uid, { seen, flagged }));
      const range = cachedMail.get(accountId)?.get(path);
      if (flipped.length === 0 || !range) return;
      // The folder's cached rows change in place, and so do the lists showing them: sorting and
      // grouping 100,000 rows again for one flag would be slow, and flags change neither.
      const key = folderKey(accountId, path);
      const rows = snapshots.has(key) ? snapshot(account, path) : [];
      let unread = 0;
      const touched = new Set<string>();
      for (const uid of flipped) {
        const row = rows[mailbox.indexOfUid(uid) - range.from];
        if (row?.uid !== uid) continue;
        if (seen !== null && seen !== row.seen) unread += seen ? -1 : 1;
        if (seen !== null) row.seen = seen;
        if (flagged !== null) row.flagged = flagged;
        touched.add(threadKey(row));
      }
      for (const result of results.values()) {
        if (result.paths.has(key)) result.unread += unread;
        for (const thread of result.groups ? touched : []) {
          const group = result.groups!.get(thread);
          if (!group) continue;
          group.row.seen = group.members.every((m) => m.seen);
          group.row.flagged = group.members.some((m) => m.flagged);
        }
      }
      emitMail([
        {
          kind: 'mailboxChanged',
          accountId,
          path,
          added: [],
          changed: [...flipped].sort((a, b) => a - b),
          removed: [],
          more: false,
        },
        { kind: 'countsChanged', accountId, ...countsOf(account, path) },
      ]);
    },

    async onSyncProgress(callback) {
      listeners.add(callback);
      return () => {
        listeners.delete(callback);
      };
    },

    async onMailEvents(callback) {
      mailListeners.add(callback);
      return () => {
        mailListeners.delete(callback);
      };
    },

    async accountStatuses() {
      await wait(0.1);
      return accounts.flatMap((account) => {
        const status = statuses.get(account.id);
        return status ? [{ accountId: account.id, status: structuredClone(status) }] : [];
      });
    },

    async retryAccount(accountId) {
      const account = find(accountId);
      await wait(0.1);
      void reconnect(account);
    },

    async getSettings() {
      await wait(0.1);
      return structuredClone(settings);
    },

    async setSettings(next) {
      await wait(0.5);
      // Stored as the engine stores them: the cache at least its minimum, senders in lower case.
      let saved: Settings = { ...structuredClone(next), cacheMb: Math.max(MIN_CACHE_MB, Math.round(next.cacheMb)), remoteContentSenders: [] };
      for (const sender of next.remoteContentSenders) saved = setRemoteFrom(saved, sender, true);
      settings = saved;
      return structuredClone(settings);
    },
  };

  for (const account of accounts) start(account);

  // Record every call (tests check which windows the list asked for).
  const untracked = new Set<string>([
    'emitProgress',
    'emitMailEvents',
    'setStatus',
    'deliver',
    'clickLink',
    'emitLinkActivated',
    'cancelNextSave',
  ]);
  for (const key of Object.keys(backend) as (keyof FakeBackend)[]) {
    const value = backend[key];
    if (typeof value !== 'function' || untracked.has(key)) continue;
    const method = value as (...args: unknown[]) => unknown;
    (backend as unknown as Record<string, unknown>)[key] = (...args: unknown[]) => {
      calls.push({ method: key, args });
      return method(...args);
    };
  }
  return backend;
}
