import { describe, expect, it } from 'vitest';
import { BackendError } from './backend';
import type { NewAccountRequest } from './bindings';
import { createFakeBackend, DEMO_QUOTA, fixtureFromUrl, NEW_ACCOUNT_QUOTA, UNTRUSTED_FINGERPRINT } from './fake';

function request(overrides: Partial<NewAccountRequest['imap']> & { password?: string } = {}): NewAccountRequest {
  const { password = 'secret', ...imap } = overrides;
  return {
    displayName: 'Grace Hopper',
    email: 'grace@example.org',
    password,
    imap: {
      host: 'imap.example.org',
      port: 993,
      security: 'tls',
      username: 'grace@example.org',
      pinnedCertSha256: null,
      ...imap,
    },
  };
}

async function failure(promise: Promise<unknown>): Promise<BackendError> {
  try {
    await promise;
  } catch (e) {
    expect(e).toBeInstanceOf(BackendError);
    return e as BackendError;
  }
  throw new Error('expected the call to fail');
}

describe('fake backend', () => {
  it('starts with no accounts, or the demo account with ?fixture=demo', async () => {
    expect(await createFakeBackend({ latencyMs: 0 }).listAccounts()).toEqual([]);
    const demo = createFakeBackend({ latencyMs: 0, fixture: fixtureFromUrl('?fixture=demo') });
    const accounts = await demo.listAccounts();
    expect(accounts).toHaveLength(1);
    expect(accounts[0]?.email).toBe('ada@example.org');
    expect(fixtureFromUrl('')).toBe('empty');
  });

  it('adds an account and lists it', async () => {
    const backend = createFakeBackend({ latencyMs: 0 });
    const account = await backend.addAccount(request());
    expect(account).toMatchObject({ displayName: 'Grace Hopper', email: 'grace@example.org' });
    expect(await backend.listAccounts()).toEqual([account]);
  });

  it('rejects a wrong password as authFailed', async () => {
    const e = await failure(createFakeBackend({ latencyMs: 0 }).addAccount(request({ password: 'wrong' })));
    expect(e.kind).toBe('authFailed');
    expect(e.message).toBe('The server rejected the user name or password');
    expect(e.fingerprint).toBeNull();
  });

  it('refuses an untrusted certificate until its fingerprint is pinned', async () => {
    const backend = createFakeBackend({ latencyMs: 0 });
    const e = await failure(backend.addAccount(request({ host: 'untrusted.example' })));
    expect(e.kind).toBe('untrustedCertificate');
    expect(e.fingerprint).toBe(UNTRUSTED_FINGERPRINT);

    const wrongPin = await failure(
      backend.addAccount(request({ host: 'untrusted.example', pinnedCertSha256: 'AA:BB' })),
    );
    expect(wrongPin.kind).toBe('untrustedCertificate');

    const account = await backend.addAccount(
      request({ host: 'untrusted.example', pinnedCertSha256: UNTRUSTED_FINGERPRINT.toLowerCase() }),
    );
    expect(account.imap.pinnedCertSha256).toBe(UNTRUSTED_FINGERPRINT.toLowerCase());
  });

  it('refuses plain text except to loopback', async () => {
    const backend = createFakeBackend({ latencyMs: 0 });
    const e = await failure(backend.addAccount(request({ security: 'plain', port: 143 })));
    expect(e.kind).toBe('insecure');
    for (const host of ['localhost', '127.0.0.1', '[::1]']) {
      await expect(backend.addAccount(request({ security: 'plain', port: 143, host }))).resolves.toBeTruthy();
    }
  });

  it('reports invalid settings, unreachable hosts and timeouts', async () => {
    const backend = createFakeBackend({ latencyMs: 0 });
    expect((await failure(backend.addAccount(request({ host: ' ' })))).kind).toBe('invalidSettings');
    expect((await failure(backend.addAccount(request({ port: 0 })))).kind).toBe('invalidSettings');
    expect((await failure(backend.addAccount(request({ host: 'unreachable.example' })))).kind).toBe('unreachable');
    expect((await failure(backend.addAccount(request({ host: 'slow.example' })))).kind).toBe('timeout');
  });

  it('serves an empty cache for a new account until the first refresh', async () => {
    const backend = createFakeBackend({ latencyMs: 0 });
    const account = await backend.addAccount(request());
    expect(await backend.cachedFolders(account.id)).toEqual([]);
    const folders = await backend.refreshFolders(account.id);
    expect(folders.map((f) => f.name)).toEqual(
      expect.arrayContaining(['Inbox', 'Drafts', 'Sent', 'Archive', 'Junk', 'Trash', 'Work', 'Projects', 'Entwürfe']),
    );
    expect(folders.find((f) => f.name === 'Projects')).toMatchObject({ parent: 'Work', depth: 1 });
    expect(folders.find((f) => f.name === 'Work')?.selectable).toBe(false);
    expect(await backend.cachedFolders(account.id)).toEqual(folders);
  });

  it('fails the folder refresh of an offline host, and unknown accounts with notFound', async () => {
    const backend = createFakeBackend({ latencyMs: 0 });
    const account = await backend.addAccount(request({ host: 'offline.example' }));
    expect((await failure(backend.refreshFolders(account.id))).kind).toBe('unreachable');
    expect((await failure(backend.cachedFolders('nope'))).kind).toBe('notFound');
  });

  it('reports the demo quota, and none for a new account until its first sync completes', async () => {
    const backend = createFakeBackend({ latencyMs: 0, fixture: 'demo' });
    expect(await backend.accountQuota('demo')).toEqual(DEMO_QUOTA);
    const account = await backend.addAccount(request());
    expect(await backend.accountQuota(account.id)).toBeNull();
    await backend.syncAccount(account.id);
    expect(await backend.accountQuota(account.id)).toEqual(NEW_ACCOUNT_QUOTA);
    const offline = await backend.addAccount(request({ host: 'offline.example' }));
    await failure(backend.syncAccount(offline.id));
    expect(await backend.accountQuota(offline.id)).toBeNull();
    expect((await failure(backend.accountQuota('nope'))).kind).toBe('notFound');
  });

  it('removes an account', async () => {
    const backend = createFakeBackend({ latencyMs: 0, fixture: 'demo' });
    await backend.removeAccount('demo');
    expect(await backend.listAccounts()).toEqual([]);
    expect((await failure(backend.removeAccount('demo'))).kind).toBe('notFound');
  });
});

describe('BackendError.from', () => {
  it('keeps a serialized CommandError and wraps anything else as internal', () => {
    const e = BackendError.from({ kind: 'tls', message: 'handshake failed', fingerprint: null });
    expect(e).toMatchObject({ kind: 'tls', message: 'handshake failed', fingerprint: null });
    expect(BackendError.from('boom')).toMatchObject({ kind: 'internal', message: 'boom' });
    expect(BackendError.from(new Error('x')).kind).toBe('internal');
  });
});
