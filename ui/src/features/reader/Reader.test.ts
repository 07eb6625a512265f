import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, it, vi } from 'vitest';
import { BackendError, type Backend, type MessageRow, type MessageView } from '../../ipc/backend';
import { createFakeBackend, type FakeBackend } from '../../ipc/fake';
import { SyncCenter } from '../sync/sync.svelte';
import Reader from './Reader.svelte';
import { humanSize } from './size';

const ROW: MessageRow = {
  uid: 42,
  subject: 'Quarterly numbers',
  from: [{ name: 'Grace Hopper', email: 'grace@navy.example' }],
  to: [{ name: 'Ada Lovelace', email: 'ada@example.org' }],
  date: 1_700_000_000,
  received: 1_700_000_000,
  size: 4_000,
  seen: true,
  flagged: false,
  answered: false,
  draft: false,
  hasAttachment: false,
  keywords: [],
  threadId: '1',
};

const VIEW: MessageView = {
  url: 'data:text/html;charset=utf-8,%3Cp%3EHello%3C%2Fp%3E',
  blockedRemote: 0,
  trackingPixels: 0,
  links: [],
  attachments: [],
  problems: [],
};

/** A backend that answers `openMessage` with `views` (by allowRemote) and records `setFlags`. */
function stub(views: { blocked?: MessageView; allowed?: MessageView } | ((remote: boolean) => Promise<MessageView | null>)) {
  const openMessage = vi.fn(async (_a: string, _p: string, _u: number, remote: boolean) =>
    typeof views === 'function' ? views(remote) : ((remote ? views.allowed : views.blocked) ?? VIEW),
  );
  const setFlags = vi.fn(async () => {});
  return { backend: { openMessage, setFlags } as unknown as Backend, openMessage, setFlags };
}

function show(backend: Backend, message: MessageRow = ROW, path = 'INBOX') {
  return render(Reader, { props: { backend, accountId: 'demo', path, message } });
}

const frame = () => screen.findByTitle('Message') as Promise<HTMLIFrameElement>;

describe('reader', () => {
  it('shows the message document in a frame with an empty sandbox and no referrer, under the header', async () => {
    const { backend, openMessage } = stub({});
    show(backend);
    expect(screen.getByRole('heading', { name: 'Quarterly numbers' })).toBeInTheDocument();
    expect(screen.getByRole('status')).toHaveTextContent('Opening the message…');
    const iframe = await frame();
    expect(iframe.tagName).toBe('IFRAME');
    expect(iframe.getAttribute('sandbox')).toBe('');
    expect(iframe.getAttribute('src')).toBe(VIEW.url);
    expect(iframe.getAttribute('referrerpolicy')).toBe('no-referrer');
    expect(openMessage).toHaveBeenCalledWith('demo', 'INBOX', 42, false);
    expect(screen.getByText('Grace Hopper <grace@navy.example>')).toBeInTheDocument();
    expect(screen.queryByRole('region', { name: 'Privacy' })).toBeNull();
    expect(screen.queryByRole('list', { name: 'Attachments' })).toBeNull();
  });

  it('blocks remote content until asked, then re-opens this message with remote content allowed', async () => {
    const blocked = { ...VIEW, blockedRemote: 3, trackingPixels: 2 };
    const allowed = { ...VIEW, url: 'data:text/html;charset=utf-8,remote', trackingPixels: 2 };
    const { backend, openMessage } = stub({ blocked, allowed });
    const view = show(backend);
    const bar = await screen.findByRole('region', { name: 'Privacy' });
    expect(bar).toHaveTextContent('Remote content blocked to protect your privacy (3 items)');
    expect(bar).toHaveTextContent('2 tracking pixels removed');
    await fireEvent.click(within(bar).getByRole('button', { name: 'Load remote content' }));
    await waitFor(async () => expect((await frame()).getAttribute('src')).toBe(allowed.url));
    expect(openMessage).toHaveBeenLastCalledWith('demo', 'INBOX', 42, true);
    expect(screen.queryByText(/Remote content blocked/)).toBeNull();
    expect(screen.getByText(/2 tracking pixels removed/)).toBeInTheDocument();

    // The next message starts blocked again.
    await view.rerender({ backend, accountId: 'demo', path: 'INBOX', message: { ...ROW, uid: 43 } });
    await screen.findByRole('button', { name: 'Load remote content' });
    expect(openMessage).toHaveBeenLastCalledWith('demo', 'INBOX', 43, false);
  });

  it('says one item and one tracking pixel in the singular', async () => {
    const { backend } = stub({ blocked: { ...VIEW, blockedRemote: 1, trackingPixels: 1 } });
    show(backend);
    const bar = await screen.findByRole('region', { name: 'Privacy' });
    expect(bar).toHaveTextContent('Remote content blocked to protect your privacy (1 item)');
    expect(bar).toHaveTextContent('1 tracking pixel removed');
  });

  it('warns about links whose text shows another address, listing where they really go as text', async () => {
    const links = [
      { href: 'https://tern.example/docs', text: 'docs', mismatchedDomain: false },
      { href: 'https://evil.example/login', text: 'https://bank.example', mismatchedDomain: true },
    ];
    const { backend } = stub({ blocked: { ...VIEW, links } });
    show(backend);
    const warning = await screen.findByRole('region', { name: 'Disguised links' });
    expect(warning).toHaveTextContent(
      'This message contains links whose text shows a different address than where they go',
    );
    const targets = within(warning).getByRole('list', { name: 'Where the links really go' });
    expect(within(targets).getAllByRole('listitem').map((li) => li.textContent)).toEqual(['https://evil.example/login']);
    expect(within(warning).queryByRole('link')).toBeNull();
  });

  it('lists the attachments with name, type and size, without buttons', async () => {
    const attachments = [
      { section: '2', filename: 'report.pdf', mime: 'application/pdf', size: 90_112 },
      { section: '3', filename: null, mime: 'image/png', size: 1_536 },
    ];
    const { backend } = stub({ blocked: { ...VIEW, attachments } });
    show(backend);
    const list = await screen.findByRole('list', { name: 'Attachments' });
    expect(within(list).getByRole('listitem', { name: 'report.pdf, application/pdf, 88 KB' })).toBeInTheDocument();
    expect(within(list).getByRole('listitem', { name: 'Unnamed attachment, image/png, 1.5 KB' })).toBeInTheDocument();
    expect(within(list).queryByRole('button')).toBeNull();
  });

  it('notes the parts it could not show', async () => {
    const { backend } = stub({ blocked: { ...VIEW, problems: ['A part in an unknown charset', 'A broken image'] } });
    show(backend);
    const note = await screen.findByRole('region', { name: 'Problems' });
    expect(note).toHaveTextContent('Some parts of this message could not be shown:');
    expect(within(note).getAllByRole('listitem').map((li) => li.textContent)).toEqual([
      'A part in an unknown charset',
      'A broken image',
    ]);
  });

  it('explains an offline account and opens the message on "Try again" once it is back', async () => {
    const backend = createFakeBackend({ latencyMs: 0, fixture: 'demo' });
    const row = (await backend.listMessages('demo', 'INBOX', 0, 1)).rows[0]!;
    backend.setStatus('demo', { state: 'offline', reason: 'network down', retryAtMs: Date.now() + 60_000, attempts: 1 });
    show(backend, { ...row, seen: true });
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent(
      'Tern is offline and this message has not been downloaded yet; it opens as soon as the account is back online.',
    );
    expect(screen.queryByTitle('Message')).toBeNull();

    backend.setStatus('demo', { state: 'online', push: true });
    await fireEvent.click(within(alert).getByRole('button', { name: 'Try again' }));
    expect((await frame()).getAttribute('src')).toMatch(/^data:text\/html;charset=utf-8,/);
    expect(screen.queryByRole('alert')).toBeNull();
  });

  it('opens a message it could not download offline by itself once the account is back online', async () => {
    const backend = createFakeBackend({ latencyMs: 0, fixture: 'demo' });
    const sync = new SyncCenter(backend);
    const stop = await sync.listen();
    const row = (await backend.listMessages('demo', 'INBOX', 0, 1)).rows[0]!;
    backend.setStatus('demo', { state: 'offline', reason: 'network down', retryAtMs: Date.now() + 60_000, attempts: 1 });
    render(Reader, { props: { backend, sync, accountId: 'demo', path: 'INBOX', message: { ...row, seen: true } } });
    await screen.findByRole('alert');
    backend.setStatus('demo', { state: 'connecting' });
    await new Promise((r) => setTimeout(r, 10));
    expect(screen.getByRole('alert')).toBeInTheDocument();
    backend.setStatus('demo', { state: 'online', push: true });
    expect((await frame()).getAttribute('sandbox')).toBe('');
    expect(screen.queryByRole('alert')).toBeNull();
    stop();
  });

  it('shows other errors with their reason', async () => {
    const { backend } = stub(async () => {
      throw new BackendError({ kind: 'storage', message: 'the disk is full', fingerprint: null });
    });
    show(backend);
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('The message could not be opened. The disk is full.');
    expect(within(alert).getByRole('button', { name: 'Try again' })).toBeInTheDocument();
  });

  it('says so when the message is gone', async () => {
    const { backend, setFlags } = stub(async () => null);
    show(backend, { ...ROW, seen: false });
    await screen.findByText(/no longer on the server/);
    expect(setFlags).not.toHaveBeenCalled();
  });

  it('marks an unread message read once it opened, and only once', async () => {
    const backend: FakeBackend = createFakeBackend({ latencyMs: 0, fixture: 'demo' });
    const page = await backend.listMessages('demo', 'INBOX', 0, 50);
    const unread = page.rows.find((r) => !r.seen)!;
    const events = vi.fn();
    await backend.onMailEvents(events);
    const view = show(backend, unread);
    await frame();
    await waitFor(() => expect(backend.calls.filter((c) => c.method === 'setFlags')).toHaveLength(1));
    expect(backend.calls.find((c) => c.method === 'setFlags')!.args).toEqual([
      'demo',
      'INBOX',
      [unread.uid],
      { seen: true, flagged: null },
    ]);
    await waitFor(() => expect(events).toHaveBeenCalled());
    expect(events.mock.calls[0]![0]).toContainEqual(
      expect.objectContaining({ kind: 'countsChanged', path: 'INBOX', unread: page.unread - 1 }),
    );
    const after = await backend.listMessages('demo', 'INBOX', 0, 50);
    expect(after.rows.find((r) => r.uid === unread.uid)!.seen).toBe(true);

    // Loading remote content, or the row arriving again (still unread) does not mark it twice.
    await view.rerender({ backend, accountId: 'demo', path: 'INBOX', message: { ...unread } });
    await new Promise((r) => setTimeout(r, 10));
    expect(backend.calls.filter((c) => c.method === 'setFlags')).toHaveLength(1);
  });

  it('leaves a read message alone', async () => {
    const { backend, setFlags } = stub({});
    show(backend, { ...ROW, seen: true });
    await frame();
    await new Promise((r) => setTimeout(r, 10));
    expect(setFlags).not.toHaveBeenCalled();
  });
});

describe('attachment sizes', () => {
  it('reads like a file manager', () => {
    expect(humanSize(0, 'en')).toBe('0 bytes');
    expect(humanSize(1, 'en')).toBe('1 byte');
    expect(humanSize(900, 'en')).toBe('900 bytes');
    expect(humanSize(90_112, 'en')).toBe('88 KB');
    expect(humanSize(1_572_864, 'en')).toBe('1.5 MB');
  });
});
