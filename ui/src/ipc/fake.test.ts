import { afterEach, describe, expect, it, vi } from 'vitest';
import { BackendError } from './backend';
import type { LinkActivated, ListQuery, MailEvent, MessageRow, NewAccountRequest } from './bindings';
import {
  BIG_INBOX,
  createFakeBackend,
  DEMO_NEW_MESSAGES,
  DEFAULT_SETTINGS,
  DEMO_QUOTA,
  DOWNLOADS_DIR,
  FOLDER_SIZES,
  fixtureFromUrl,
  NEW_ACCOUNT_QUOTA,
  retryDelayMs,
  UNTRUSTED_FINGERPRINT,
  type FakeBackend,
} from './fake';
import { baseSubject } from './fake-mail';
import { SOURCE_LIMIT } from './fake-view';

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

/** A window of a folder as single messages, newest first (the old `listMessages`). */
function messages(backend: FakeBackend, accountId: string, path: string, offset: number, limit: number) {
  return backend.listRows(
    { source: { kind: 'folder', accountId, path }, sort: 'date', descending: true, filter: '', conversations: false },
    offset,
    limit,
  );
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

/** Every `mail-events` batch, flattened, from now on. */
async function recordEvents(backend: FakeBackend): Promise<MailEvent[]> {
  const events: MailEvent[] = [];
  await backend.onMailEvents((batch) => events.push(...batch));
  return events;
}

afterEach(() => {
  vi.useRealTimers();
});

describe('fake live engine', () => {
  it('reports every account online, and offline.example offline', async () => {
    const backend = createFakeBackend({ latencyMs: 0, fixture: 'demo' });
    const offline = await backend.addAccount(request({ host: 'offline.example' }));
    const statuses = await backend.accountStatuses();
    expect(statuses).toEqual([
      { accountId: 'demo', status: { state: 'online', push: true } },
      {
        accountId: offline.id,
        status: { state: 'offline', reason: expect.stringContaining('offline.example'), retryAtMs: expect.any(Number), attempts: 1 },
      },
    ]);
  });

  it('delivers a message into the cache with the events the engine sends', async () => {
    const backend = createFakeBackend({ latencyMs: 0, fixture: 'demo' });
    const events = await recordEvents(backend);
    const before = (await backend.folderCounts('demo')).find((c) => c.path === 'Archive')!;
    const row = await backend.deliver('demo', 'Archive', { subject: 'Minutes', seen: true });
    expect(row).toMatchObject({ uid: FOLDER_SIZES.Archive! + 1, subject: 'Minutes', seen: true });
    expect(events).toEqual([
      { kind: 'mailboxChanged', accountId: 'demo', path: 'Archive', added: [row.uid], changed: [], removed: [], more: false },
      { kind: 'countsChanged', accountId: 'demo', path: 'Archive', total: before.total + 1, unread: before.unread },
    ]);
    const page = await messages(backend, 'demo', 'Archive', 0, 2);
    expect(page.total).toBe(before.total + 1);
    expect(page.rows[0]).toEqual(row);
    expect(page.rows[1]!.received).toBeLessThan(row.received);
  });

  it('announces unread inbox mail, with what the cache had not seen yet', async () => {
    const backend = createFakeBackend({ latencyMs: 0, fixture: 'demo' });
    const events = await recordEvents(backend);
    const row = await backend.deliver('demo', 'INBOX', { subject: 'Hello' });
    const changed = events.find((e) => e.kind === 'mailboxChanged');
    // The three messages the demo cache had not seen arrive with it, in UID order.
    const added = Array.from({ length: DEMO_NEW_MESSAGES + 1 }, (_, i) => row.uid - DEMO_NEW_MESSAGES + i);
    expect(changed).toMatchObject({ path: 'INBOX', added, more: false });
    const counts = events.find((e) => e.kind === 'countsChanged');
    expect(counts).toMatchObject({ path: 'INBOX', total: FOLDER_SIZES.INBOX! + 1 });
    expect(events.find((e) => e.kind === 'newMail')).toMatchObject({ path: 'INBOX', count: expect.any(Number) });
    expect((await messages(backend, 'demo', 'INBOX', 0, 1)).rows[0]!.uid).toBe(row.uid);
  });

  it('leaves delivered mail on the server while offline; the next sync fetches it', async () => {
    const backend = createFakeBackend({ latencyMs: 0, fixture: 'demo' });
    const events = await recordEvents(backend);
    backend.setStatus('demo', { state: 'offline', reason: 'the network is down', retryAtMs: Date.now() + 5_000, attempts: 1 });
    events.length = 0;
    const row = await backend.deliver('demo', 'Archive', { subject: 'Later' });
    expect(events).toEqual([]);
    expect((await messages(backend, 'demo', 'Archive', 0, 1)).rows[0]!.uid).not.toBe(row.uid);
    const e = await failure(backend.syncFolder('demo', 'Archive'));
    expect(e.kind).toBe('connectionLost');

    await backend.retryAccount('demo');
    await vi.waitFor(async () => expect(await backend.accountStatuses()).toEqual([{ accountId: 'demo', status: { state: 'online', push: true } }]));
    expect(events.filter((e) => e.kind === 'accountStatus').map((e) => e.kind === 'accountStatus' && e.status.state)).toEqual([
      'connecting',
      'online',
    ]);
    const summary = await backend.syncFolder('demo', 'Archive');
    expect(summary).toMatchObject({ mode: 'qresync', added: 1 });
    expect((await messages(backend, 'demo', 'Archive', 0, 1)).rows[0]!.uid).toBe(row.uid);
  });

  it('reports the changes of a sync asked for as mail events', async () => {
    const backend = createFakeBackend({ latencyMs: 0, fixture: 'demo' });
    const events = await recordEvents(backend);
    await backend.syncFolder('demo', 'INBOX');
    expect(events.map((e) => e.kind)).toEqual(['mailboxChanged', 'countsChanged', 'newMail']);
    events.length = 0;
    await backend.syncFolder('demo', 'INBOX');
    expect(events).toEqual([]);
  });

  it('live: connects and syncs a new account by itself, with progress and events', async () => {
    const backend = createFakeBackend({ latencyMs: 0, live: true });
    const events = await recordEvents(backend);
    const progress: number[] = [];
    await backend.onSyncProgress((e) => e.path === 'INBOX' && progress.push(e.done));
    const account = await backend.addAccount(request());
    await vi.waitFor(() => expect(events.some((e) => e.kind === 'countsChanged' && e.path === 'Receipts')).toBe(true));
    const states = events.flatMap((e) => (e.kind === 'accountStatus' ? [e.status.state] : []));
    expect(states).toEqual(['connecting', 'online']);
    expect(events.find((e) => e.kind === 'foldersChanged')).toEqual({ kind: 'foldersChanged', accountId: account.id });
    expect(events.find((e) => e.kind === 'mailboxChanged' && e.path === 'INBOX')).toMatchObject({ added: [], more: true });
    expect(progress).toEqual([50, 2_050, 2_400]);
    expect(events.some((e) => e.kind === 'newMail')).toBe(false);
    expect(backend.calls.map((c) => c.method)).not.toContain('syncAccount');
    expect(await backend.accountQuota(account.id)).toEqual(NEW_ACCOUNT_QUOTA);
  });

  it('live: goes offline when the connection drops, and comes back by itself', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const backend = createFakeBackend({ latencyMs: 0, live: true });
    const events = await recordEvents(backend);
    const start = Date.now();
    const account = await backend.addAccount(request({ host: 'dropped.example' }));
    await vi.waitFor(() => expect(events.some((e) => e.kind === 'accountStatus' && e.status.state === 'offline')).toBe(true));
    const offline = events.find((e) => e.kind === 'accountStatus' && e.status.state === 'offline');
    expect(offline).toMatchObject({
      accountId: account.id,
      status: { state: 'offline', reason: expect.stringContaining('was lost'), attempts: 1 },
    });
    const retryAt = offline?.kind === 'accountStatus' && offline.status.state === 'offline' ? offline.status.retryAtMs : 0;
    expect(retryAt).toBeGreaterThanOrEqual(start + retryDelayMs(1));
    expect(retryAt).toBeLessThanOrEqual(Date.now() + retryDelayMs(1));
    expect((await failure(backend.syncAccount(account.id))).kind).toBe('connectionLost');

    await vi.advanceTimersByTimeAsync(retryDelayMs(1));
    await vi.waitFor(() => expect(events.some((e) => e.kind === 'countsChanged' && e.path === 'Receipts')).toBe(true));
    expect((await backend.accountStatuses()).find((s) => s.accountId === account.id)?.status).toEqual({ state: 'online', push: true });
  });

  it('live: keeps retrying an unreachable host, waiting longer each time', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const backend = createFakeBackend({ latencyMs: 0, live: true });
    const events = await recordEvents(backend);
    await backend.addAccount(request({ host: 'offline.example' }));
    await vi.advanceTimersByTimeAsync(retryDelayMs(1) + retryDelayMs(2));
    const attempts = events.flatMap((e) => (e.kind === 'accountStatus' && e.status.state === 'offline' ? [e.status.attempts] : []));
    expect(attempts).toEqual([1, 2, 3]);
    expect([retryDelayMs(1), retryDelayMs(2), retryDelayMs(3), retryDelayMs(20)]).toEqual([2_000, 4_000, 8_000, 300_000]);
  });

  it('keeps the settings', async () => {
    const backend = createFakeBackend({ latencyMs: 0 });
    expect(await backend.getSettings()).toEqual(DEFAULT_SETTINGS);
    const quiet = { ...DEFAULT_SETTINGS, notifications: false };
    expect(await backend.setSettings(quiet)).toEqual(quiet);
    expect(await backend.getSettings()).toEqual(quiet);
  });
});

describe('fake reading and flags', () => {
  it('opens a cached message as a data: document, and null for a message that is gone', async () => {
    const backend = createFakeBackend({ latencyMs: 0, fixture: 'demo' });
    const row = (await messages(backend, 'demo', 'Archive', 0, 1)).rows[0]!;
    const view = (await backend.openMessage('demo', 'Archive', row.uid, false))!;
    expect(view.url).toMatch(/^data:text\/html;charset=utf-8,/);
    expect(decodeURIComponent(view.url)).toContain(`message ${row.uid} of the sample mailbox`);
    expect(await backend.openMessage('demo', 'Archive', 999_999, false)).toBeNull();
  });

  it('blocks remote content until allowed, and always removes tracking pixels', async () => {
    const backend = createFakeBackend({ latencyMs: 0, fixture: 'demo' });
    const rows = (await messages(backend, 'demo', 'Archive', 0, 20)).rows;
    const uid = rows.find((r) => r.uid % 4 === 0)!.uid;
    const blocked = (await backend.openMessage('demo', 'Archive', uid, false))!;
    const allowed = (await backend.openMessage('demo', 'Archive', uid, true))!;
    expect(blocked).toMatchObject({ blockedRemote: 3, trackingPixels: 1 });
    expect(allowed).toMatchObject({ blockedRemote: 0, trackingPixels: 1 });
  });

  it('fails with connectionLost offline for a message never opened, and opens one opened before', async () => {
    const backend = createFakeBackend({ latencyMs: 0, fixture: 'demo' });
    const [a, b] = (await messages(backend, 'demo', 'Archive', 0, 2)).rows;
    await backend.openMessage('demo', 'Archive', a!.uid, false);
    backend.setStatus('demo', { state: 'offline', reason: 'down', retryAtMs: 0, attempts: 1 });
    expect(await backend.openMessage('demo', 'Archive', a!.uid, false)).not.toBeNull();
    await expect(backend.openMessage('demo', 'Archive', b!.uid, false)).rejects.toMatchObject({ kind: 'connectionLost' });
  });

  it('sets flags on sample and delivered messages, with the events and counts the engine sends', async () => {
    const backend = createFakeBackend({ latencyMs: 0, fixture: 'demo' });
    await backend.syncFolder('demo', 'INBOX');
    const page = await messages(backend, 'demo', 'INBOX', 0, 50);
    const unread = page.rows.filter((r) => !r.seen).slice(0, 2).map((r) => r.uid);
    const delivered = await backend.deliver('demo', 'INBOX', { subject: 'Fresh' });
    const batches: MailEvent[][] = [];
    await backend.onMailEvents((batch) => batches.push(batch));

    await backend.setFlags('demo', 'INBOX', [...unread, delivered.uid], { seen: true, flagged: null });
    const after = await messages(backend, 'demo', 'INBOX', 0, 51);
    expect(after.unread).toBe(page.unread - 2);
    for (const uid of [...unread, delivered.uid]) expect(after.rows.find((r) => r.uid === uid)!.seen).toBe(true);
    expect(batches).toHaveLength(1);
    expect(batches[0]).toEqual([
      expect.objectContaining({ kind: 'mailboxChanged', path: 'INBOX', changed: [...unread, delivered.uid].sort((x, y) => x - y) }),
      expect.objectContaining({ kind: 'countsChanged', path: 'INBOX', unread: page.unread - 2, total: page.total + 1 }),
    ]);
    expect((await backend.folderCounts('demo')).find((c) => c.path === 'INBOX')!.unread).toBe(page.unread - 2);

    // Flagged, then unread again; null leaves the other flag alone.
    await backend.setFlags('demo', 'INBOX', [unread[0]!], { seen: null, flagged: true });
    await backend.setFlags('demo', 'INBOX', [unread[0]!], { seen: false, flagged: null });
    const row = (await messages(backend, 'demo', 'INBOX', 0, 51)).rows.find((r) => r.uid === unread[0])!;
    expect(row).toMatchObject({ seen: false, flagged: true });
    expect((await messages(backend, 'demo', 'INBOX', 0, 1)).unread).toBe(page.unread - 1);
  });
});

describe('fake message details, attachments and links', () => {
  async function demo(pick: (row: MessageRow) => boolean) {
    const backend = createFakeBackend({ latencyMs: 0, fixture: 'demo' });
    const row = (await messages(backend, 'demo', 'INBOX', 0, 400)).rows.find(pick);
    if (!row) throw new Error('no sample message fits');
    return { backend, row };
  }

  it('gives sample rows copied recipients and, mostly, their first words', async () => {
    const backend = createFakeBackend({ latencyMs: 0, fixture: 'demo' });
    const rows = (await messages(backend, 'demo', 'INBOX', 0, 200)).rows;
    expect(rows.some((r) => r.cc.length > 0)).toBe(true);
    expect(rows.some((r) => r.cc.length === 0)).toBe(true);
    const withText = rows.filter((r) => r.snippet !== null);
    expect(withText.length).toBeGreaterThan(150);
    expect(withText.length).toBeLessThan(200);
    const row = withText[0]!;
    expect(row.snippet).toMatch(new RegExp(`^Hi Ada Lovelace, This is message ${row.uid} of the sample mailbox\\.`));
    expect(row.snippet!.length).toBeLessThanOrEqual(140);
  });

  it('serves every header field and the raw source of a message', async () => {
    const { backend, row } = await demo((r) => r.cc.length > 0 && r.hasAttachment);
    const source = (await backend.messageSource('demo', 'INBOX', row.uid))!;
    const names = source.headers.map((h) => h.name);
    for (const name of ['Received', 'Message-ID', 'Date', 'From', 'To', 'Cc', 'Subject', 'MIME-Version', 'Content-Type'])
      expect(names).toContain(name);
    expect(source.headers.find((h) => h.name === 'Subject')!.value).toBe(row.subject);
    expect(source.headers.find((h) => h.name === 'Cc')!.value).toContain(row.cc[0]!.email);
    expect(source.raw).toContain(`Subject: ${row.subject}\r\n`);
    expect(source.raw).toContain('Content-Disposition: attachment; filename="report.pdf"');
    expect(source.raw).toContain(`message ${row.uid} of the sample mailbox`);
    expect(source.size).toBe(row.size);
    expect(await backend.messageSource('demo', 'INBOX', 999_999)).toBeNull();
  });

  it('cuts the source of a message larger than 1 MB', async () => {
    const { backend, row } = await demo((r) => r.hasAttachment && r.uid % 3 === 1);
    expect(row.size).toBeGreaterThan(SOURCE_LIMIT);
    const source = (await backend.messageSource('demo', 'INBOX', row.uid))!;
    expect(source).toMatchObject({ truncated: true, size: row.size });
    expect(source.raw).toHaveLength(SOURCE_LIMIT);
  });

  it('opens the forwarded message some messages carry, with its own links and attachment', async () => {
    const { backend, row } = await demo((r) => r.hasAttachment && r.uid % 3 === 0);
    const view = (await backend.openMessage('demo', 'INBOX', row.uid, false))!;
    const eml = view.attachments.find((a) => a.mime === 'message/rfc822')!;
    expect(eml).toMatchObject({ section: '4', filename: 'Travel plans.eml' });
    const inner = (await backend.openAttachedMessage('demo', 'INBOX', row.uid, eml.section, false))!;
    expect(decodeURIComponent(inner.url)).toContain('Travel plans');
    expect(inner).toMatchObject({ blockedRemote: 3, remoteAllowedForSender: false });
    expect(inner.links.map((l) => l.mismatchedDomain)).toEqual([false, true]);
    expect(inner.attachments).toEqual([{ section: '4.2', filename: 'itinerary.pdf', mime: 'application/pdf', size: 48_128 }]);
    expect((await backend.openAttachedMessage('demo', 'INBOX', row.uid, eml.section, true))!.blockedRemote).toBe(0);
    // Not a message there.
    expect(await backend.openAttachedMessage('demo', 'INBOX', row.uid, '2', false)).toBeNull();
  });

  it('saves attachments to the downloads folder unless the dialog is cancelled', async () => {
    const { backend, row } = await demo((r) => r.hasAttachment);
    expect(await backend.saveAttachment('demo', 'INBOX', row.uid, '2', 'report.pdf')).toEqual({
      path: `${DOWNLOADS_DIR}/report.pdf`,
      bytes: 90_112,
    });
    expect(await backend.saveAttachment('demo', 'INBOX', row.uid, '3', null)).toEqual({
      path: `${DOWNLOADS_DIR}/attachment`,
      bytes: 1_536,
    });
    expect((await backend.saveAttachment('demo', 'INBOX', row.uid, '2', '../../etc/passwd'))!.path).toBe(
      `${DOWNLOADS_DIR}/_.._etc_passwd`,
    );
    backend.cancelNextSave();
    expect(await backend.saveAttachment('demo', 'INBOX', row.uid, '2', 'report.pdf')).toBeNull();
    expect(await backend.saveAttachment('demo', 'INBOX', row.uid, '2', 'report.pdf')).not.toBeNull();
    await expect(backend.saveAttachment('demo', 'INBOX', row.uid, '9', 'x')).rejects.toMatchObject({ kind: 'notFound' });
  });

  it('opens attachments, but never programs or scripts', async () => {
    const { backend, row } = await demo((r) => r.hasAttachment && r.uid % 3 === 1);
    const opened = await backend.openAttachment('demo', 'INBOX', row.uid, '2', 'report.pdf');
    expect(opened.path).toMatch(/\/report\.pdf$/);
    expect(backend.openedAttachments).toEqual([opened.path]);
    for (const name of ['installer.exe', 'SETUP.EXE', 'run.sh', 'macro.vbs']) {
      const e = await failure(backend.openAttachment('demo', 'INBOX', row.uid, '4', name));
      expect(e.kind).toBe('unsafe');
      expect(e.message).toContain(`${name} is a program or script`);
    }
    expect(backend.openedAttachments).toHaveLength(1);
  });

  it('opens web and mail links only, and records them', async () => {
    const backend = createFakeBackend({ latencyMs: 0 });
    await backend.openLink('https://tern.example/docs');
    await backend.openLink('mailto:ada@example.org');
    for (const url of ['file:///etc/passwd', 'javascript:alert(1)', 'smb://server/share']) {
      expect((await failure(backend.openLink(url))).kind).toBe('unsafe');
    }
    expect(backend.openedLinks).toEqual(['https://tern.example/docs', 'mailto:ada@example.org']);
  });

  it('reports a click on a link of a view it served as link-activated', async () => {
    const { backend, row } = await demo((r) => r.uid % 5 === 0);
    const view = (await backend.openMessage('demo', 'INBOX', row.uid, false))!;
    const events: LinkActivated[] = [];
    const stop = await backend.onLinkActivated((e) => events.push(e));
    const disguised = view.links.find((l) => l.mismatchedDomain)!;
    expect(backend.clickLink(view.url, disguised.id)).toEqual({
      viewUrl: view.url,
      href: disguised.href,
      text: disguised.text,
      mismatchedDomain: true,
    });
    expect(backend.clickLink(view.url, 'no/such')).toBeNull();
    expect(backend.clickLink('data:text/html,unknown', '1/0')).toBeNull();
    expect(events).toHaveLength(1);
    stop();
    backend.clickLink(view.url, disguised.id);
    expect(events).toHaveLength(1);
  });

  it('loads remote content by itself for senders the user allows, and keeps their list', async () => {
    const { backend, row } = await demo((r) => r.uid % 4 === 0);
    const sender = row.from[0]!.email;
    const settings = await backend.setRemoteContentForSender(sender.toUpperCase(), true);
    expect(settings.remoteContentSenders).toEqual([sender.toLowerCase()]);
    const view = (await backend.openMessage('demo', 'INBOX', row.uid, false))!;
    expect(view).toMatchObject({ blockedRemote: 0, remoteAllowedForSender: true });
    expect(decodeURIComponent(view.url)).toContain('[remote image 1]');
    expect((await backend.setRemoteContentForSender(sender, false)).remoteContentSenders).toEqual([]);
    expect(await backend.openMessage('demo', 'INBOX', row.uid, false)).toMatchObject({
      blockedRemote: 3,
      remoteAllowedForSender: false,
    });
  });

  it('stores settings as the engine does: the cache at least 64 MB, senders in lower case and sorted', async () => {
    const { backend, row } = await demo((r) => r.uid % 2 === 1);
    const saved = await backend.setSettings({
      ...DEFAULT_SETTINGS,
      cacheMb: 10,
      plainMonospace: true,
      remoteContentSenders: ['Zed@Example.org', 'amy@example.org', 'zed@example.org'],
    });
    expect(saved).toMatchObject({ cacheMb: 64, plainMonospace: true, remoteContentSenders: ['amy@example.org', 'zed@example.org'] });
    expect((await backend.openMessage('demo', 'INBOX', row.uid, false))!.monospace).toBe(true);
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

describe('fake message list', () => {
  const folderQuery = (path: string, overrides: Partial<ListQuery> = {}): ListQuery => ({
    source: { kind: 'folder', accountId: 'demo', path },
    sort: 'date',
    descending: true,
    filter: '',
    conversations: false,
    ...overrides,
  });
  const all = async (backend: FakeBackend, query: ListQuery) => {
    const first = await backend.listRows(query, 0, 1000);
    const rows = [...first.rows];
    while (rows.length < first.total) rows.push(...(await backend.listRows(query, rows.length, 1000)).rows);
    return { ...first, rows };
  };
  /** The engine's sort keys: the first sender's "name address" and the subject without prefixes, lower case. */
  const sender = (r: MessageRow) =>
    (r.from[0]?.name?.trim() ? `${r.from[0].name.trim()} ${r.from[0].email}` : (r.from[0]?.email ?? '')).toLowerCase();
  const subject = (r: MessageRow) => baseSubject(r.subject).toLowerCase();
  const newestFirst = (a: MessageRow, b: MessageRow) => b.received - a.received || b.uid - a.uid;
  const text = (key: (r: MessageRow) => string, sign: number) => (a: MessageRow, b: MessageRow) =>
    sign * (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0) || newestFirst(a, b);

  it.each<[string, Partial<ListQuery>, (a: MessageRow, b: MessageRow) => number]>([
    ['date, newest first', {}, newestFirst],
    ['date, oldest first', { descending: false }, (a, b) => a.received - b.received || newestFirst(a, b)],
    ['sender A to Z', { sort: 'sender', descending: false }, text(sender, 1)],
    ['sender Z to A', { sort: 'sender' }, text(sender, -1)],
    ['subject A to Z', { sort: 'subject', descending: false }, text(subject, 1)],
    ['subject Z to A', { sort: 'subject' }, text(subject, -1)],
    ['size, largest first', { sort: 'size' }, (a, b) => b.size - a.size || newestFirst(a, b)],
    ['size, smallest first', { sort: 'size', descending: false }, (a, b) => a.size - b.size || newestFirst(a, b)],
  ])('sorts by %s, ties newest first', async (_, overrides, order) => {
    const backend = createFakeBackend({ latencyMs: 0, fixture: 'demo' });
    const { rows, total } = await all(backend, folderQuery('Archive', overrides));
    expect(total).toBe(FOLDER_SIZES.Archive);
    expect(rows.map((r) => r.uid)).toEqual(rows.slice().sort(order).map((r) => r.uid));
    expect(rows.every((r) => r.accountId === 'demo' && r.path === 'Archive' && r.threadCount === 1)).toBe(true);
  });

  it.each([
    ['Lunch', 'Lunch'],
    ['Re: Lunch', 'Lunch'],
    ['RE: Fwd: AW: Lunch', 'Lunch'],
    ['Re[2]: Lunch', 'Lunch'],
    ['Fwd(3) : Lunch', 'Lunch'],
    ['Fwd (3): Lunch', 'Fwd (3): Lunch'],
    ['SV：Lunch', 'Lunch'],
    ['[tern-dev] Re: Lunch', 'Lunch'],
    ['[tern-dev]', '[tern-dev]'],
    ['Rex: Lunch', 'Rex: Lunch'],
    ['Regarding: Lunch', 'Regarding: Lunch'],
    ['  Re:  ', ''],
  ])('sorts %j by its subject %j, as the engine strips prefixes', (input, expected) => {
    expect(baseSubject(input)).toBe(expected);
  });

  it.each<[string, (r: MessageRow) => boolean]>([
    ['grace', (r) => `${r.from[0]?.name} ${r.from[0]?.email} ${r.subject}`.toLowerCase().includes('grace')],
    ['LUNCH friday', (r) => /lunch/i.test(r.subject) && /friday/i.test(r.subject)],
    ['  bletchley.example   re: ', (r) => r.from[0]?.email === 'alan@bletchley.example' && /re:/i.test(r.subject)],
    ['no-such-words-anywhere', () => false],
  ])('filters on sender and subject by every word of %j, ignoring case', async (filter, expected) => {
    const backend = createFakeBackend({ latencyMs: 0, fixture: 'demo' });
    const everything = (await all(backend, folderQuery('Archive'))).rows;
    const page = await all(backend, folderQuery('Archive', { filter }));
    expect(page.rows.map((r) => r.uid)).toEqual(everything.filter(expected).map((r) => r.uid));
    expect(page.total).toBe(page.rows.length);
    // The unread count is the folder's, whatever the filter.
    expect(page.unread).toBe((await backend.folderCounts('demo')).find((c) => c.path === 'Archive')!.unread);
  });

  it('groups conversations over the folder and Sent, with counts and aggregated flags', async () => {
    const backend = createFakeBackend({ latencyMs: 0, fixture: 'demo' });
    const messages = (await all(backend, folderQuery('INBOX'))).rows;
    const sent = (await all(backend, folderQuery('Sent'))).rows;
    const grouped = await all(backend, folderQuery('INBOX', { conversations: true }));
    expect(grouped.total).toBe(new Set(messages.map((r) => r.threadId)).size);
    expect(grouped.unread).toBe(messages.filter((r) => !r.seen).length);
    let withReply = 0;
    for (const row of grouped.rows) {
      const inbox = messages.filter((r) => r.threadId === row.threadId);
      const replies = sent.filter((r) => r.threadId === row.threadId);
      if (replies.length) withReply++;
      expect(row.path).toBe('INBOX');
      // The newest of the Inbox's messages stands for it.
      expect(row.uid).toBe(inbox.sort(newestFirst)[0]!.uid);
      expect(row.threadCount).toBe(inbox.length + replies.length);
      const members = [...inbox, ...replies];
      expect(row.seen).toBe(members.every((m) => m.seen));
      expect(row.flagged).toBe(members.some((m) => m.flagged));
      expect(row.hasAttachment).toBe(members.some((m) => m.hasAttachment));
    }
    expect(withReply).toBeGreaterThan(10);
    expect(grouped.rows.filter((r) => r.threadCount >= 3).length).toBeGreaterThan(10);
    // Conversations are dated by their newest message, the user's replies in Sent included.
    const latest = (row: MessageRow) =>
      Math.max(...[...messages, ...sent].filter((r) => r.threadId === row.threadId).map((r) => r.received));
    const dates = grouped.rows.map(latest);
    expect(dates).toEqual(dates.slice().sort((a, b) => b - a));
    expect(grouped.rows.some((r) => latest(r) > r.received)).toBe(true);

    // A conversation, oldest first, with the user's reply from Sent.
    const row = grouped.rows.find((r) => r.threadCount >= 3 && sent.some((s) => s.threadId === r.threadId))!;
    const members = await backend.conversation('demo', 'INBOX', row.uid);
    expect(members).toHaveLength(row.threadCount);
    expect(members.some((m) => m.path === 'Sent' && m.subject.startsWith('Re: '))).toBe(true);
    expect(members.map((m) => m.received)).toEqual(members.map((m) => m.received).sort((a, b) => a - b));
    expect(members[members.length - 1]!.received).toBeGreaterThanOrEqual(row.received - 1);
    expect(await backend.conversation('demo', 'INBOX', 999_999)).toEqual([]);
  });

  it('follows the cache as a first sync fills it and as new mail arrives on top', async () => {
    // Enough latency for the list to be read between two batches of the sync.
    const backend = createFakeBackend({ latencyMs: 10 });
    const account = await backend.addAccount(request());
    await backend.refreshFolders(account.id);
    const query = folderQuery('INBOX', { source: { kind: 'folder', accountId: account.id, path: 'INBOX' } });
    const seen: [number, number][] = [];
    const newest = (n: number) => Array.from({ length: n }, (_, i) => FOLDER_SIZES.INBOX! - i);
    const wrong: string[] = [];
    await backend.onSyncProgress(async (e) => {
      if (e.path !== 'INBOX') return;
      // While the sync runs, the list is what has been downloaded so far: the newest messages.
      const { rows, total } = await backend.listRows(query, 0, 1000);
      seen.push([e.done, total]);
      if (JSON.stringify(rows.map((r) => r.uid)) !== JSON.stringify(newest(Math.min(total, 1000))))
        wrong.push(`after ${e.done}`);
    });
    await backend.syncFolder(account.id, 'INBOX');
    await vi.waitFor(() => expect(seen.map(([done]) => done)).toEqual([50, 2_050, 2_400]));
    expect(seen.every(([done, total]) => done === total)).toBe(true);
    expect(wrong).toEqual([]);
    expect((await all(backend, query)).rows.map((r) => r.uid)).toEqual(newest(FOLDER_SIZES.INBOX!));

    for (const subject of ['One', 'Two']) await backend.deliver(account.id, 'INBOX', { subject });
    const { rows, total } = await all(backend, query);
    expect(total).toBe(FOLDER_SIZES.INBOX! + 2);
    expect(rows.slice(0, 2).map((r) => r.subject)).toEqual(['Two', 'One']);
    expect(rows.map((r) => r.uid)).toEqual(Array.from({ length: total }, (_, i) => total - i));
  });

  it('shows a flag change on one message of a conversation on its row at once', async () => {
    const backend = createFakeBackend({ latencyMs: 0, fixture: 'demo' });
    const query = folderQuery('INBOX', { conversations: true });
    const before = await all(backend, query);
    const row = before.rows.find((r) => r.threadCount >= 2 && r.seen && !r.flagged)!;
    const members = await backend.conversation('demo', 'INBOX', row.uid);
    const sent = members.find((m) => m.path === 'Sent');
    const other = members.find((m) => m.path === 'INBOX' && m.uid !== row.uid) ?? members[0]!;
    const rowOf = async () => (await all(backend, query)).rows.find((r) => r.threadId === row.threadId)!;

    await backend.setFlags('demo', other.path, [other.uid], { seen: false, flagged: null });
    expect(await rowOf()).toMatchObject({ uid: row.uid, seen: false, flagged: false });
    expect((await backend.listRows(query, 0, 1)).unread).toBe(before.unread + (other.path === 'INBOX' ? 1 : 0));
    await backend.setFlags('demo', other.path, [other.uid], { seen: true, flagged: null });
    expect(await rowOf()).toMatchObject({ seen: true, flagged: false });
    expect((await backend.listRows(query, 0, 1)).unread).toBe(before.unread);
    // The user's own reply in Sent counts too.
    const target = sent ?? other;
    await backend.setFlags('demo', target.path, [target.uid], { seen: null, flagged: true });
    expect(await rowOf()).toMatchObject({ flagged: true, threadCount: row.threadCount });
    // The single-message list of the folder agrees.
    const single = (await all(backend, folderQuery(other.path))).rows.find((r) => r.uid === other.uid)!;
    expect(single.seen).toBe(true);
  });

  it('lists every account’s inbox in the unified inbox, each row naming its account', async () => {
    const backend = createFakeBackend({ latencyMs: 0, fixture: fixtureFromUrl('?fixture=two') });
    expect((await backend.listAccounts()).map((a) => a.id)).toEqual(['demo', 'work']);
    const query = folderQuery('INBOX', { source: { kind: 'allInboxes' } });
    const unified = await all(backend, query);
    const demo = await all(backend, folderQuery('INBOX'));
    const work = await all(
      backend,
      folderQuery('INBOX', { source: { kind: 'folder', accountId: 'work', path: 'INBOX' } }),
    );
    expect(unified.total).toBe(demo.total + work.total);
    expect(unified.unread).toBe(demo.unread + work.unread);
    expect(new Set(unified.rows.map((r) => r.accountId))).toEqual(new Set(['demo', 'work']));
    for (let i = 1; i < unified.rows.length; i++)
      expect(newestFirst(unified.rows[i - 1]!, unified.rows[i]!)).toBeLessThanOrEqual(0);
    // The two accounts hold different mail.
    const subjects = (rows: MessageRow[]) => rows.slice(0, 20).map((r) => `${r.subject} ${r.received}`);
    expect(subjects(work.rows)).not.toEqual(subjects(demo.rows));
    const grouped = await backend.listRows({ ...query, conversations: true }, 0, 10);
    expect(grouped.total).toBeLessThan(unified.total);
  });

  it('pages through 100,000 messages quickly, and shows a delivery and a flag change at once', async () => {
    const backend = createFakeBackend({ latencyMs: 0, fixture: 'big' });
    for (const conversations of [false, true]) {
      const query = folderQuery('INBOX', { conversations });
      let started = performance.now();
      const first = await backend.listRows(query, 0, 200);
      const firstMs = performance.now() - started;
      started = performance.now();
      for (let offset = 200; offset < 20_000; offset += 200) await backend.listRows(query, offset, 200);
      expect((performance.now() - started) / 99, 'a cached page').toBeLessThan(5);
      expect(firstMs, 'the first page').toBeLessThan(3_000);
      if (!conversations) expect(first.total).toBe(BIG_INBOX);
    }
    const query = folderQuery('INBOX');
    const row = await backend.deliver('demo', 'INBOX', { subject: 'Fresh news' });
    const page = await backend.listRows(query, 0, 2);
    expect(page.total).toBe(BIG_INBOX + 1);
    expect(page.rows[0]!.uid).toBe(row.uid);
    await backend.setFlags('demo', 'INBOX', [row.uid], { seen: true, flagged: true });
    expect((await backend.listRows(query, 0, 1)).rows[0]).toMatchObject({ uid: row.uid, seen: true, flagged: true });
    expect((await backend.listRows(query, 0, 1)).unread).toBe(page.unread - 1);
  });
});

describe('fake account access', () => {
  it('signs in again: a wrong password fails, the right one brings the account back online', async () => {
    const backend = createFakeBackend({ latencyMs: 0, fixture: 'demo' });
    const events: MailEvent[] = [];
    await backend.onMailEvents((batch) => events.push(...batch));
    const reason = 'The server rejected the password';
    backend.setStatus('demo', { state: 'offline', reason, retryAtMs: Date.now() + 60_000, attempts: 1 });
    expect((await failure(backend.updateAccountAccess('demo', 'wrong', null))).kind).toBe('authFailed');
    expect((await backend.accountStatuses())[0]!.status.state).toBe('offline');
    const account = await backend.updateAccountAccess('demo', 'new secret', null);
    expect(account.id).toBe('demo');
    await vi.waitFor(async () =>
      expect((await backend.accountStatuses())[0]!.status).toEqual({ state: 'online', push: true }),
    );
    expect(events.map((e) => (e.kind === 'accountStatus' ? e.status.state : e.kind))).toEqual([
      'offline',
      'connecting',
      'online',
    ]);
    // The saved password is the new one: signing in again without one works.
    await backend.updateAccountAccess('demo', null, null);
  });

  it('trusts a refused certificate only with its fingerprint', async () => {
    const backend = createFakeBackend({ latencyMs: 0 });
    const added = await backend.addAccount(
      request({ host: 'untrusted.example', pinnedCertSha256: UNTRUSTED_FINGERPRINT }),
    );
    const e = await failure(backend.updateAccountAccess(added.id, null, 'AA:BB'));
    expect(e.kind).toBe('untrustedCertificate');
    expect(e.fingerprint).toBe(UNTRUSTED_FINGERPRINT);
    const account = await backend.updateAccountAccess(added.id, null, UNTRUSTED_FINGERPRINT);
    expect(account.imap.pinnedCertSha256).toBe(UNTRUSTED_FINGERPRINT);
    expect((await failure(backend.updateAccountAccess('nobody', 'x', null))).kind).toBe('notFound');
  });
});
