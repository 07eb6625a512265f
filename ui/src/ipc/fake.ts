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
 * - host `offline.example` (after adding) → refreshFolders fails with unreachable
 */
import { BackendError, type Backend } from './backend';
import type { Account, AppInfo, CommandError, Folder, ImapSettings, NewAccountRequest } from './bindings';

/** The certificate fingerprint `untrusted.example` presents. */
export const UNTRUSTED_HOST = 'untrusted.example';
export const UNTRUSTED_FINGERPRINT =
  '3A:7F:19:C2:5E:88:04:B1:6D:2F:A0:93:E7:41:5C:0B:D8:22:6E:F4:91:3C:A7:58:0E:B6:72:1D:C9:84:2F:60';
/** A host whose folder refresh fails (to exercise the offline banner). */
export const OFFLINE_HOST = 'offline.example';

export type Fixture = 'empty' | 'demo';

export interface FakeOptions {
  /** `demo` starts with one account; `empty` (default) with none. */
  fixture?: Fixture;
  /** Artificial latency of every call, in milliseconds (default 150; connects take 3×). */
  latencyMs?: number;
}

/** Reads `?fixture=demo` from a query string. */
export function fixtureFromUrl(search: string): Fixture {
  return new URLSearchParams(search).get('fixture') === 'demo' ? 'demo' : 'empty';
}

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
  options: { parent?: string; selectable?: boolean; subscribed?: boolean } = {},
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

export function createFakeBackend(options: FakeOptions = {}): Backend {
  const latency = options.latencyMs ?? 150;
  const accounts: Account[] = options.fixture === 'demo' ? [structuredClone(DEMO_ACCOUNT)] : [];
  /** The cache: empty for a fresh account until the first refresh, like the engine's. */
  const cache = new Map<string, Folder[]>();
  if (options.fixture === 'demo') cache.set(DEMO_ACCOUNT.id, typicalFolders());
  let nextId = 1;

  const wait = (factor = 1) =>
    new Promise<void>((resolve) => (latency > 0 ? setTimeout(resolve, latency * factor) : resolve()));
  const find = (accountId: string): Account =>
    accounts.find((a) => a.id === accountId) ?? fail('notFound', `there is no account ${accountId}`);

  return {
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
    },

    async cachedFolders(accountId) {
      await wait(0.1);
      find(accountId);
      return structuredClone(cache.get(accountId) ?? []);
    },

    async refreshFolders(accountId) {
      const account = find(accountId);
      await wait(4);
      if (account.imap.host.toLowerCase() === OFFLINE_HOST)
        fail('unreachable', `could not reach ${OFFLINE_HOST}:${account.imap.port}: the network is down`);
      const folders = typicalFolders();
      cache.set(accountId, folders);
      return structuredClone(folders);
    },
  };
}
