import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  BackendError,
  type Backend,
  type ListQuery,
  type MessagePage,
  type MessageRow,
  type MessageView,
  type Settings,
} from '../../ipc/backend';
import { createFakeBackend, DEFAULT_SETTINGS, type FakeBackend } from '../../ipc/fake';
import { Preferences } from '../settings/preferences.svelte';
import { SyncCenter } from '../sync/sync.svelte';
import Reader from './Reader.svelte';
import { humanSize } from './size';

const last = <T>(list: T[]): T | undefined => list[list.length - 1];

const ROW: MessageRow = {
  accountId: 'demo',
  path: 'INBOX',
  uid: 42,
  subject: 'Quarterly numbers',
  from: [{ name: 'Grace Hopper', email: 'grace@navy.example' }],
  to: [{ name: 'Ada Lovelace', email: 'ada@example.org' }],
  cc: [],
  snippet: null,
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
  threadCount: 1,
};

const VIEW: MessageView = {
  url: 'data:text/html;charset=utf-8,%3Cp%3EHello%3C%2Fp%3E',
  blockedRemote: 0,
  trackingPixels: 0,
  links: [],
  attachments: [],
  problems: [],
  remoteAllowedForSender: false,
  monospace: false,
};

/** A backend that answers `openMessage` with `views` (by allowRemote) and records `setFlags`. */
function stub(views: { blocked?: MessageView; allowed?: MessageView } | ((remote: boolean) => Promise<MessageView | null>)) {
  const openMessage = vi.fn(async (_a: string, _p: string, _u: number, remote: boolean) =>
    typeof views === 'function' ? views(remote) : ((remote ? views.allowed : views.blocked) ?? VIEW),
  );
  const setFlags = vi.fn(async () => {});
  const getSettings = vi.fn(async () => structuredClone(DEFAULT_SETTINGS));
  const onLinkActivated = vi.fn(async () => () => {});
  return {
    backend: { openMessage, setFlags, getSettings, onLinkActivated } as unknown as Backend,
    openMessage,
    setFlags,
  };
}

/** A window of the demo account's Inbox as the single-message list shows it (newest first). */
function inboxPage(backend: Backend, limit: number): Promise<MessagePage> {
  const query: ListQuery = {
    source: { kind: 'folder', accountId: 'demo', path: 'INBOX' },
    sort: 'date',
    descending: true,
    filter: '',
    conversations: false,
  };
  return backend.listRows(query, 0, limit);
}

async function inboxRows(backend: Backend, limit: number): Promise<MessageRow[]> {
  return (await inboxPage(backend, limit)).rows;
}

function show(backend: Backend, message: MessageRow = ROW) {
  return render(Reader, { props: { backend, message } });
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
    await view.rerender({ backend, message: { ...ROW, uid: 43 } });
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
      { href: 'https://tern.example/docs', text: 'docs', mismatchedDomain: false, id: '1/0' },
      { href: 'https://evil.example/login', text: 'https://bank.example', mismatchedDomain: true, id: '1/1' },
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

  it('lists the attachments with name, type and size, each with Save and Open', async () => {
    const attachments = [
      { section: '2', filename: 'report.pdf', mime: 'application/pdf', size: 90_112 },
      { section: '3', filename: null, mime: 'image/png', size: 1_536 },
    ];
    const { backend } = stub({ blocked: { ...VIEW, attachments } });
    show(backend);
    const list = await screen.findByRole('list', { name: 'Attachments' });
    const pdf = within(list).getByRole('listitem', { name: 'report.pdf, application/pdf, 88 KB' });
    const png = within(list).getByRole('listitem', { name: 'Unnamed attachment, image/png, 1.5 KB' });
    for (const item of [pdf, png]) {
      expect(within(item).getAllByRole('button').map((b) => b.textContent)).toEqual(['Save', 'Open']);
    }
    expect(within(list).queryByRole('button', { name: 'Open message' })).toBeNull();
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
    const row = (await inboxRows(backend, 1))[0]!;
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
    const row = (await inboxRows(backend, 1))[0]!;
    backend.setStatus('demo', { state: 'offline', reason: 'network down', retryAtMs: Date.now() + 60_000, attempts: 1 });
    render(Reader, { props: { backend, sync, message: { ...row, seen: true } } });
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
    const page = await inboxPage(backend, 50);
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
    const after = await inboxPage(backend, 50);
    expect(after.rows.find((r) => r.uid === unread.uid)!.seen).toBe(true);

    // Loading remote content, or the row arriving again (still unread) does not mark it twice.
    await view.rerender({ backend, message: { ...unread } });
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

/** The demo account with no latency, and the first cached Inbox message that `pick` accepts, opened in the reader. */
async function openFake(pick: (row: MessageRow) => boolean, options: { seen?: boolean; backend?: FakeBackend } = {}) {
  const backend = options.backend ?? createFakeBackend({ latencyMs: 0, fixture: 'demo' });
  const rows = await inboxRows(backend, 400);
  const found = rows.find(pick);
  if (!found) throw new Error('no sample message fits');
  const row = options.seen === false ? found : { ...found, seen: true };
  const result = render(Reader, { props: { backend, message: row } });
  const iframe = await frame();
  return { backend, row, result, iframe, url: iframe.getAttribute('src')! };
}

describe('reader header', () => {
  it('shows the sender with name and address, the recipients, those copied and the date in the user’s locale', async () => {
    const { backend } = stub({});
    const row: MessageRow = {
      ...ROW,
      to: [
        { name: 'Ada Lovelace', email: 'ada@example.org' },
        { name: null, email: 'team@example.org' },
      ],
      cc: [{ name: 'Alan Turing', email: 'alan@bletchley.example' }],
    };
    show(backend, row);
    const header = screen.getByRole('heading', { name: 'Quarterly numbers' }).closest('header')!;
    const terms = [...header.querySelectorAll('dt')].map((dt) => dt.textContent);
    expect(terms).toEqual(['From', 'To', 'Cc', 'Date']);
    expect(within(header).getByText('Grace Hopper <grace@navy.example>')).toBeInTheDocument();
    expect(within(header).getByText('Ada Lovelace <ada@example.org>, team@example.org')).toBeInTheDocument();
    expect(within(header).getByText('Alan Turing <alan@bletchley.example>')).toBeInTheDocument();
    const date = new Intl.DateTimeFormat(undefined, { dateStyle: 'full', timeStyle: 'short' }).format(
      new Date(row.date * 1000),
    );
    const time = within(header).getByText(date);
    expect(time.tagName).toBe('TIME');
    expect(time).toHaveAttribute('datetime', new Date(row.date * 1000).toISOString());
    await frame();
  });

  it('leaves out Cc when nobody was copied', async () => {
    const { backend } = stub({});
    show(backend);
    await frame();
    const header = screen.getByRole('heading', { name: 'Quarterly numbers' }).closest('header')!;
    expect([...header.querySelectorAll('dt')].map((dt) => dt.textContent)).toEqual(['From', 'To', 'Date']);
  });

  it('shows every header field on "Show details", read once from the message source', async () => {
    const { backend, row } = await openFake((r) => r.cc.length > 0);
    const toggle = screen.getByRole('button', { name: 'Show details' });
    expect(toggle).toHaveAttribute('aria-expanded', 'false');
    expect(screen.queryByRole('table', { name: 'Header fields' })).toBeNull();
    await fireEvent.click(toggle);
    expect(toggle).toHaveAttribute('aria-expanded', 'true');
    const table = await screen.findByRole('table', { name: 'Header fields' });
    expect(backend.calls.filter((c) => c.method === 'messageSource')).toHaveLength(1);
    const source = (await backend.messageSource('demo', 'INBOX', row.uid))!;
    const rows = within(table).getAllByRole('row');
    expect(rows.map((r) => [within(r).getByRole('rowheader').textContent, within(r).getByRole('cell').textContent])).toEqual(
      source.headers.map((h) => [h.name, h.value]),
    );
    expect(within(table).getByRole('rowheader', { name: 'Cc' })).toBeInTheDocument();
    expect(within(table).getByRole('rowheader', { name: 'Message-ID' })).toBeInTheDocument();

    // The source comes from the same reading.
    await fireEvent.click(screen.getByRole('button', { name: 'View source' }));
    const pre = screen.getByLabelText('Message source');
    expect(pre.tagName).toBe('PRE');
    expect(pre.textContent).toBe(source.raw);
    expect(pre.textContent).toContain(`Subject: ${row.subject}`);
    expect(screen.queryByText(/^Showing the first/)).toBeNull();
    expect(backend.calls.filter((c) => c.method === 'messageSource')).toHaveLength(2);

    // Hidden again.
    await fireEvent.click(toggle);
    expect(screen.queryByRole('table', { name: 'Header fields' })).toBeNull();
    expect(screen.getByLabelText('Message source')).toBeInTheDocument();
  });

  it('says how much of a large message’s source it shows', async () => {
    const { backend } = stub({});
    const raw = 'Subject: Big\r\n\r\n' + 'x'.repeat(1024);
    Object.assign(backend, {
      messageSource: vi.fn(async () => ({ headers: [{ name: 'Subject', value: 'Big' }], raw, size: 3_774_874, truncated: true })),
    });
    show(backend);
    await fireEvent.click(screen.getByRole('button', { name: 'View source' }));
    expect(await screen.findByText('Showing the first 1 MB of 3.6 MB')).toBeInTheDocument();
    expect(screen.getByLabelText('Message source').textContent).toBe(raw);
  });

  it('explains when the details cannot be read, and tries again', async () => {
    const { backend } = stub({});
    const messageSource = vi
      .fn()
      .mockRejectedValueOnce(new BackendError({ kind: 'timeout', message: 'the server did not answer', fingerprint: null }))
      .mockResolvedValueOnce(null);
    Object.assign(backend, { messageSource });
    show(backend);
    await frame();
    await fireEvent.click(screen.getByRole('button', { name: 'Show details' }));
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('The message’s details could not be read. The server did not answer.');
    await fireEvent.click(within(alert).getByRole('button', { name: 'Try again' }));
    expect(await screen.findByText(/details are not available: this message is no longer on the server/)).toBeInTheDocument();
    expect(messageSource).toHaveBeenCalledTimes(2);
    expect(messageSource).toHaveBeenCalledWith('demo', 'INBOX', 42);
  });

  it('closes the details when another message opens', async () => {
    const { backend } = stub({});
    Object.assign(backend, {
      messageSource: vi.fn(async () => ({ headers: [{ name: 'Subject', value: 'x' }], raw: 'Subject: x', size: 10, truncated: false })),
    });
    const view = show(backend);
    await fireEvent.click(screen.getByRole('button', { name: 'Show details' }));
    await screen.findByRole('table', { name: 'Header fields' });
    await view.rerender({ backend, message: { ...ROW, uid: 43 } });
    await frame();
    expect(screen.queryByRole('table', { name: 'Header fields' })).toBeNull();
    expect(screen.getByRole('button', { name: 'Show details' })).toHaveAttribute('aria-expanded', 'false');
  });
});

describe('reader links', () => {
  it('opens a link clicked in the message in the browser at once', async () => {
    const { backend, url } = await openFake(() => true);
    expect(backend.clickLink(url, '1/0')).toMatchObject({ href: 'https://tern.example/docs', mismatchedDomain: false });
    await waitFor(() => expect(backend.openedLinks).toEqual(['https://tern.example/docs']));
    expect(screen.queryByRole('alertdialog')).toBeNull();
  });

  it('asks first when the link’s text shows another address, and opens it only on "Open anyway"', async () => {
    const { backend, url } = await openFake((r) => r.uid % 5 === 0);
    backend.clickLink(url, '1/1');
    const dialog = await screen.findByRole('alertdialog', { name: 'Open this link?' });
    expect(dialog).toHaveTextContent(
      'This link’s text shows https://bank.example/account, but it goes to login.bank-secure.example.',
    );
    expect(within(dialog).getByText('https://login.bank-secure.example/verify').tagName).toBe('CODE');
    await waitFor(() => expect(within(dialog).getByRole('button', { name: 'Cancel' })).toHaveFocus());
    expect(backend.openedLinks).toEqual([]);

    await fireEvent.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    expect(screen.queryByRole('alertdialog')).toBeNull();
    expect(backend.openedLinks).toEqual([]);

    backend.clickLink(url, '1/1');
    await fireEvent.click(within(await screen.findByRole('alertdialog')).getByRole('button', { name: 'Open anyway' }));
    await waitFor(() => expect(backend.openedLinks).toEqual(['https://login.bank-secure.example/verify']));
    expect(screen.queryByRole('alertdialog')).toBeNull();
  });

  it('closes the warning with Escape', async () => {
    const { backend, url } = await openFake((r) => r.uid % 5 === 0);
    backend.clickLink(url, '1/1');
    const dialog = await screen.findByRole('alertdialog');
    await fireEvent.keyDown(within(dialog).getByRole('button', { name: 'Cancel' }), { key: 'Escape' });
    expect(screen.queryByRole('alertdialog')).toBeNull();
    expect(backend.openedLinks).toEqual([]);
  });

  it('ignores clicks in documents it does not show', async () => {
    const { backend } = await openFake(() => true);
    backend.emitLinkActivated({ viewUrl: 'tern-part://localhost/view/other', href: 'https://tern.example/', text: 'x', mismatchedDomain: false });
    await new Promise((r) => setTimeout(r, 10));
    expect(backend.openedLinks).toEqual([]);
  });

  it('says why a link was not opened', async () => {
    const { backend, url } = await openFake(() => true);
    backend.emitLinkActivated({ viewUrl: url, href: 'file:///etc/passwd', text: 'passwords', mismatchedDomain: false });
    expect(await screen.findByRole('alert')).toHaveTextContent(
      'Tern only opens web and mail links; this one is a file: link.',
    );
    expect(backend.openedLinks).toEqual([]);
  });

  it('stops listening when the reader goes away', async () => {
    const { backend, url, result } = await openFake(() => true);
    result.unmount();
    backend.clickLink(url, '1/0');
    await new Promise((r) => setTimeout(r, 10));
    expect(backend.openedLinks).toEqual([]);
  });
});

describe('reader remote content', () => {
  it('always loads remote content from the sender once asked, and stops again', async () => {
    const { backend, row } = await openFake((r) => r.uid % 4 === 0);
    const address = row.from[0]!.email;
    const bar = screen.getByRole('region', { name: 'Privacy' });
    expect(within(bar).getByRole('button', { name: 'Load remote content' })).toBeInTheDocument();
    await fireEvent.click(within(bar).getByRole('button', { name: `Always load from ${address}` }));

    const allowed = await screen.findByText(`Remote content is loaded for messages from ${address}`);
    expect(backend.calls).toContainEqual({ method: 'setRemoteContentForSender', args: [address, true] });
    expect(last(backend.calls.filter((c) => c.method === 'openMessage'))!.args).toEqual(['demo', 'INBOX', row.uid, true]);
    expect((await backend.getSettings()).remoteContentSenders).toEqual([address.toLowerCase()]);
    expect(screen.queryByText(/Remote content blocked/)).toBeNull();
    expect(decodeURIComponent((await frame()).getAttribute('src')!)).toContain('[remote image 1]');

    await fireEvent.click(within(allowed.closest('[role="region"]') as HTMLElement).getByRole('button', { name: 'Stop' }));
    await screen.findByRole('button', { name: 'Load remote content' });
    expect(backend.calls).toContainEqual({ method: 'setRemoteContentForSender', args: [address, false] });
    expect(last(backend.calls.filter((c) => c.method === 'openMessage'))!.args).toEqual(['demo', 'INBOX', row.uid, false]);
    expect((await backend.getSettings()).remoteContentSenders).toEqual([]);
    expect(screen.queryByText(/Remote content is loaded/)).toBeNull();
  });

  it('says so when the sender’s setting cannot be saved, and keeps the content blocked', async () => {
    const backend = createFakeBackend({ latencyMs: 0, fixture: 'demo' });
    vi.spyOn(backend, 'setRemoteContentForSender').mockRejectedValueOnce(
      new BackendError({ kind: 'storage', message: 'the disk is full', fingerprint: null }),
    );
    const { row } = await openFake((r) => r.uid % 4 === 0, { backend });
    await fireEvent.click(screen.getByRole('button', { name: `Always load from ${row.from[0]!.email}` }));
    expect(await screen.findByRole('alert')).toHaveTextContent('The setting could not be saved. The disk is full.');
    expect(screen.getByText(/Remote content blocked/)).toBeInTheDocument();
  });
});

describe('reader attachments', () => {
  const withAttachments = (rest: number) => (r: MessageRow) => r.hasAttachment && r.uid % 3 === rest;

  it('saves an attachment where the user chooses, and says nothing when the dialog is cancelled', async () => {
    const { backend, row } = await openFake(withAttachments(0));
    const list = screen.getByRole('list', { name: 'Attachments' });
    const pdf = within(list).getByRole('listitem', { name: 'report.pdf, application/pdf, 88 KB' });
    await fireEvent.click(within(pdf).getByRole('button', { name: 'Save' }));
    expect(await screen.findByRole('status')).toHaveTextContent('Saved to /home/ada/Downloads/report.pdf');
    expect(backend.calls).toContainEqual({ method: 'saveAttachment', args: ['demo', 'INBOX', row.uid, '2', 'report.pdf'] });

    backend.cancelNextSave();
    const png = within(list).getByRole('listitem', { name: 'Unnamed attachment, image/png, 1.5 KB' });
    await fireEvent.click(within(png).getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(backend.calls.filter((c) => c.method === 'saveAttachment')).toHaveLength(2));
    await waitFor(() => expect(within(png).getByRole('button', { name: 'Save' })).toBeEnabled());
    expect(screen.queryByText(/Saved to/)).toBeNull();
    expect(screen.queryByRole('alert')).toBeNull();
  });

  it('opens an attachment with the system’s app, and explains why a program is not opened', async () => {
    const { backend, row } = await openFake(withAttachments(1));
    const list = screen.getByRole('list', { name: 'Attachments' });
    await fireEvent.click(
      within(within(list).getByRole('listitem', { name: /^report\.pdf,/ })).getByRole('button', { name: 'Open' }),
    );
    await waitFor(() => expect(backend.openedAttachments).toHaveLength(1));
    expect(backend.openedAttachments[0]).toMatch(/\/report\.pdf$/);

    const program = within(list).getByRole('listitem', { name: 'installer.exe, application/x-msdownload, 2.5 MB' });
    await fireEvent.click(within(program).getByRole('button', { name: 'Open' }));
    expect(await screen.findByRole('alert')).toHaveTextContent(
      'installer.exe is a program or script; Tern does not open those because they could harm your computer. Save it instead if you trust the sender.',
    );
    expect(backend.openedAttachments).toHaveLength(1);
    expect(backend.calls).toContainEqual({ method: 'openAttachment', args: ['demo', 'INBOX', row.uid, '4', 'installer.exe'] });
  });

  it('says why an attachment could not be saved', async () => {
    const { backend } = stub({
      blocked: { ...VIEW, attachments: [{ section: '2', filename: 'notes.txt', mime: 'text/plain', size: 300 }] },
    });
    Object.assign(backend, {
      saveAttachment: vi.fn(async () => {
        throw new BackendError({ kind: 'storage', message: 'the disk is full', fingerprint: null });
      }),
    });
    show(backend);
    await fireEvent.click(await screen.findByRole('button', { name: 'Save' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('notes.txt could not be saved. The disk is full.');
  });

  it('shows an attached message in its own frame with its own notes, and goes back to the message', async () => {
    const { backend, row, url } = await openFake(withAttachments(0));
    const list = screen.getByRole('list', { name: 'Attachments' });
    const eml = within(list).getByRole('listitem', { name: 'Travel plans.eml, message/rfc822, 15 KB' });
    await fireEvent.click(within(eml).getByRole('button', { name: 'Open message' }));

    const inner = (await screen.findByTitle('Attached message')) as HTMLIFrameElement;
    expect(inner.getAttribute('sandbox')).toBe('');
    expect(inner.getAttribute('referrerpolicy')).toBe('no-referrer');
    expect(decodeURIComponent(inner.getAttribute('src')!)).toContain('Travel plans');
    expect(screen.queryByTitle('Message')).toBeNull();
    expect(backend.calls).toContainEqual({ method: 'openAttachedMessage', args: ['demo', 'INBOX', row.uid, '4', false] });
    const region = screen.getByRole('region', { name: 'Attached message' });
    expect(region).toHaveTextContent('Attached message: Travel plans.eml');
    await waitFor(() => expect(within(region).getByRole('button', { name: 'Back to the message' })).toHaveFocus());

    // Its own notes: remote content (only for this opening: the sender's setting does not apply), disguised links, attachments.
    const privacy = screen.getByRole('region', { name: 'Privacy' });
    expect(within(privacy).queryByRole('button', { name: /Always load/ })).toBeNull();
    expect(screen.getByRole('region', { name: 'Disguised links' })).toHaveTextContent('https://checkin.airline-deals.example/start');
    expect(within(screen.getByRole('list', { name: 'Attachments' })).getByRole('listitem', { name: /^itinerary\.pdf,/ })).toBeInTheDocument();
    await fireEvent.click(within(privacy).getByRole('button', { name: 'Load remote content' }));
    await waitFor(async () =>
      expect(decodeURIComponent((await screen.findByTitle('Attached message')).getAttribute('src')!)).toContain('[remote image 1]'),
    );
    expect(backend.calls).toContainEqual({ method: 'openAttachedMessage', args: ['demo', 'INBOX', row.uid, '4', true] });

    // Its links are the ones that count now.
    backend.clickLink(url, '1/0');
    backend.clickLink(screen.getByTitle('Attached message').getAttribute('src')!, '4.1/0');
    await waitFor(() => expect(backend.openedLinks).toEqual(['https://tickets.example/booking/7F3K']));

    // Its attachment saves from the outer message.
    await fireEvent.click(
      within(within(screen.getByRole('list', { name: 'Attachments' })).getByRole('listitem', { name: /^itinerary/ })).getByRole(
        'button',
        { name: 'Save' },
      ),
    );
    expect(await screen.findByRole('status')).toHaveTextContent('Saved to /home/ada/Downloads/itinerary.pdf');
    expect(backend.calls).toContainEqual({ method: 'saveAttachment', args: ['demo', 'INBOX', row.uid, '4.2', 'itinerary.pdf'] });

    await fireEvent.click(screen.getByRole('button', { name: 'Back to the message' }));
    expect((await frame()).getAttribute('src')).toBe(url);
    expect(screen.queryByTitle('Attached message')).toBeNull();
    expect(screen.queryByRole('region', { name: 'Attached message' })).toBeNull();
    await waitFor(() => expect(screen.getByRole('button', { name: 'Open message' })).toHaveFocus());
  });

  it('explains an attached message that is gone or cannot be opened', async () => {
    const attachments = [{ section: '2', filename: null, mime: 'message/rfc822', size: 4_000 }];
    const { backend } = stub({ blocked: { ...VIEW, attachments } });
    const openAttachedMessage = vi
      .fn()
      .mockResolvedValueOnce(null)
      .mockRejectedValueOnce(new BackendError({ kind: 'protocol', message: 'the server sent garbage', fingerprint: null }))
      .mockResolvedValueOnce({ ...VIEW, url: 'data:text/html,inner' });
    Object.assign(backend, { openAttachedMessage });
    show(backend);
    const item = await screen.findByRole('listitem', { name: 'Attached message, message/rfc822, 3.9 KB' });
    await fireEvent.click(within(item).getByRole('button', { name: 'Open message' }));
    expect(await screen.findByText(/The attached message is no longer there/)).toBeInTheDocument();
    await fireEvent.click(screen.getByRole('button', { name: 'Back to the message' }));

    await fireEvent.click(within(await screen.findByRole('listitem', { name: /^Attached message/ })).getByRole('button', { name: 'Open message' }));
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('The attached message could not be opened. The server sent garbage.');
    await fireEvent.click(within(alert).getByRole('button', { name: 'Try again' }));
    expect((await screen.findByTitle('Attached message')).getAttribute('src')).toBe('data:text/html,inner');
  });

  it('goes back to the message when another message is selected', async () => {
    const { backend, row, result } = await openFake(withAttachments(0));
    await fireEvent.click(screen.getByRole('button', { name: 'Open message' }));
    await screen.findByTitle('Attached message');
    const rows = await inboxRows(backend, 50);
    const other = rows.find((r) => r.uid !== row.uid && !r.hasAttachment)!;
    await result.rerender({ backend, message: { ...other, seen: true } });
    await frame();
    expect(screen.queryByTitle('Attached message')).toBeNull();
  });
});

describe('reader marks messages read', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  async function withRule(markRead: Settings['markRead']) {
    const backend = createFakeBackend({ latencyMs: 0, fixture: 'demo' });
    await backend.setSettings({ ...DEFAULT_SETTINGS, markRead });
    const rows = (await inboxRows(backend, 100)).filter((r) => !r.seen);
    const marks = () => backend.calls.filter((c) => c.method === 'setFlags').map((c) => (c.args[2] as number[])[0]);
    return { backend, unread: rows, marks };
  }

  it('after the chosen delay, only if the message is still open', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { backend, unread, marks } = await withRule({ kind: 'afterSeconds', seconds: 5 });
    const [first, second] = unread;
    const view = render(Reader, { props: { backend, message: first! } });
    await frame();
    await vi.advanceTimersByTimeAsync(4_000);
    expect(marks()).toEqual([]);

    // Another message opens before the time is up: the first stays unread.
    await view.rerender({ backend, message: second! });
    await vi.advanceTimersByTimeAsync(2_000);
    expect(marks()).toEqual([]);
    await vi.advanceTimersByTimeAsync(3_000);
    expect(marks()).toEqual([second!.uid]);
  });

  it('keeps the clock running when remote content loads', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { backend, unread, marks } = await withRule({ kind: 'afterSeconds', seconds: 2 });
    const remote = unread.find((r) => r.uid % 4 === 0 && r.from[0])!;
    render(Reader, { props: { backend, message: remote } });
    await frame();
    await vi.advanceTimersByTimeAsync(1_500);
    await fireEvent.click(screen.getByRole('button', { name: 'Load remote content' }));
    await vi.advanceTimersByTimeAsync(600);
    expect(marks()).toEqual([remote.uid]);
  });

  it('not when the reader closes before the delay', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { backend, unread, marks } = await withRule({ kind: 'afterSeconds', seconds: 2 });
    const view = render(Reader, { props: { backend, message: unread[0]! } });
    await frame();
    await vi.advanceTimersByTimeAsync(1_000);
    await view.rerender({ backend, message: null });
    await vi.advanceTimersByTimeAsync(5_000);
    view.unmount();
    expect(marks()).toEqual([]);

    render(Reader, { props: { backend, message: unread[1]! } }).unmount();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(marks()).toEqual([]);
  });

  it('never, when the user marks messages read themselves', async () => {
    const { backend, unread, marks } = await withRule({ kind: 'never' });
    render(Reader, { props: { backend, message: unread[0]! } });
    await frame();
    await new Promise((r) => setTimeout(r, 20));
    expect(marks()).toEqual([]);
  });

  it('follows the shared preferences as they change', async () => {
    const { backend, unread, marks } = await withRule({ kind: 'never' });
    const preferences = new Preferences(backend);
    await preferences.load();
    const view = render(Reader, { props: { backend, preferences, message: unread[0]! } });
    await frame();
    await preferences.save({ ...preferences.current!, markRead: { kind: 'immediately' } });
    await view.rerender({ backend, preferences, message: unread[1]! });
    await waitFor(() => expect(marks()).toEqual([unread[1]!.uid]));
    expect(backend.calls.filter((c) => c.method === 'getSettings')).toHaveLength(1);
  });
});

describe('reader conversations', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  const BEN = { name: 'Ben Ross', email: 'ben@example.org' };
  const ADA = { name: 'Ada Lovelace', email: 'ada@example.org' };
  const T0 = 1_700_000_000;

  /** A message of the harbour-walk conversation (account `demo`). */
  const member = (uid: number, fields: Partial<MessageRow>): MessageRow => ({
    ...ROW,
    uid,
    subject: 'Re: Harbour walk',
    from: [BEN],
    to: [ADA],
    threadId: '7',
    threadCount: 3,
    seen: true,
    ...fields,
  });

  /** Ben asks, Ada answers (from Sent), Ben answers again (unread). */
  const THREAD: MessageRow[] = [
    member(10, { subject: 'Harbour walk', date: T0, snippet: 'Saturday at ten?' }),
    member(5, { path: 'Sent', from: [ADA], to: [BEN], date: T0 + 600, snippet: 'Sounds good, see you there' }),
    member(11, { date: T0 + 1_200, seen: false, snippet: 'Great, bring a coat' }),
  ];

  const viewOf = (uid: number): MessageView => ({ ...VIEW, url: `data:text/html;charset=utf-8,message%20${uid}` });

  /**
   * A backend whose `conversation` answers with `thread` (as it is when asked: tests change it),
   * whose `openMessage` gives each message its own document, and that records `setFlags`.
   */
  function conversationStub(thread: { rows: MessageRow[] }, settings: Partial<Settings> = {}) {
    const conversation = vi.fn(async (_a: string, _p: string, _u: number) => structuredClone(thread.rows));
    const openMessage = vi.fn(async (_a: string, _p: string, uid: number, _remote: boolean) => viewOf(uid));
    const setFlags = vi.fn(async () => {});
    const backend = {
      conversation,
      openMessage,
      setFlags,
      getSettings: vi.fn(async () => ({ ...structuredClone(DEFAULT_SETTINGS), ...settings })),
      onLinkActivated: vi.fn(async () => () => {}),
      listAccounts: vi.fn(async () => [{ id: 'demo', displayName: 'Ada Lovelace', email: ADA.email }]),
      cachedFolders: vi.fn(async () => [
        { path: 'INBOX', role: 'inbox' },
        { path: 'Sent', role: 'sent' },
      ]),
    } as unknown as Backend;
    return { backend, conversation, openMessage, setFlags };
  }

  /** The list's row of the conversation: its newest message in the folder, unread while any is. */
  const listRow = (rows: MessageRow[]): MessageRow => ({
    ...last(rows.filter((r) => r.path === 'INBOX'))!,
    seen: rows.every((r) => r.seen),
    threadCount: rows.length,
  });

  const articles = () => within(screen.getByRole('region', { name: 'Reader' })).getAllByRole('article');
  const header = (article: HTMLElement) => article.querySelector<HTMLButtonElement>('h3 > button')!;
  const flagged = (setFlags: ReturnType<typeof vi.fn>) => setFlags.mock.calls.map((c) => [c[1], (c[2] as number[])[0]]);

  async function showConversation(thread = { rows: THREAD }, settings: Partial<Settings> = {}) {
    const stubbed = conversationStub(thread, settings);
    const props = { backend: stubbed.backend, message: listRow(thread.rows), conversations: true };
    const result = render(Reader, { props });
    await waitFor(() => expect(articles()).toHaveLength(thread.rows.length));
    return { ...stubbed, result, thread };
  }

  it('shows the conversation as a stack, oldest first: the older read messages folded, the newest open', async () => {
    const { conversation, openMessage } = await showConversation();
    expect(conversation).toHaveBeenCalledWith('demo', 'INBOX', 11);
    expect(screen.getByRole('heading', { level: 2, name: 'Harbour walk' })).toBeInTheDocument();
    expect(screen.getByText('3 messages')).toBeInTheDocument();

    const date = (seconds: number) =>
      new Intl.DateTimeFormat(undefined, { dateStyle: 'full', timeStyle: 'short' }).format(new Date(seconds * 1000));
    await waitFor(() =>
      expect(articles().map((a) => a.getAttribute('aria-label'))).toEqual([
        `Ben Ross, ${date(T0)}`,
        `You, ${date(T0 + 600)}`,
        `Ben Ross, ${date(T0 + 1_200)}`,
      ]),
    );
    const [first, mine, newest] = articles() as [HTMLElement, HTMLElement, HTMLElement];

    // Folded: one line with the sender, the date and the first words; no document.
    expect(header(first)).toHaveAttribute('aria-expanded', 'false');
    expect(header(first)).toHaveTextContent('Ben Ross');
    expect(header(first)).toHaveTextContent('Saturday at ten?');
    expect(within(first).queryByTitle('Message')).toBeNull();
    // The user's reply, from Sent, is theirs.
    expect(header(mine)).toHaveAttribute('aria-expanded', 'false');
    expect(header(mine)).toHaveTextContent(/^You\s*to Ben Ross/);

    // Unfolded: its own header and its own sandboxed document.
    expect(header(newest)).toHaveAttribute('aria-expanded', 'true');
    expect(header(newest)).not.toHaveTextContent('Great, bring a coat');
    const body = (await within(newest).findByTitle('Message')) as HTMLIFrameElement;
    expect(body.getAttribute('sandbox')).toBe('');
    expect(body.getAttribute('referrerpolicy')).toBe('no-referrer');
    expect(body.getAttribute('src')).toBe(viewOf(11).url);
    expect([...newest.querySelectorAll('dt')].map((dt) => dt.textContent)).toEqual(['From', 'To', 'Date']);
    expect(within(newest).getByText('Ben Ross <ben@example.org>')).toBeInTheDocument();
    expect(within(newest).getByRole('button', { name: 'Show details' })).toBeInTheDocument();
    expect(openMessage.mock.calls.map((c) => c.slice(0, 3))).toEqual([['demo', 'INBOX', 11]]);
  });

  it('unfolds a message on a click and folds it again; its header is a button reachable with Tab', async () => {
    const { openMessage } = await showConversation();
    const first = articles()[0]!;
    const toggle = header(first);
    // A native button: Tab reaches it, Enter and Space press it.
    expect(toggle.tagName).toBe('BUTTON');
    expect(toggle.type).toBe('button');
    expect(toggle.tabIndex).toBe(0);
    toggle.focus();
    expect(toggle).toHaveFocus();

    await fireEvent.click(toggle);
    expect(toggle).toHaveAttribute('aria-expanded', 'true');
    expect((await within(first).findByTitle('Message')).getAttribute('src')).toBe(viewOf(10).url);
    expect(openMessage).toHaveBeenCalledWith('demo', 'INBOX', 10, false);
    expect(header(first)).not.toHaveTextContent('Saturday at ten?');

    // The reply from Sent opens from Sent.
    await fireEvent.click(header(articles()[1]!));
    await within(articles()[1]!).findByTitle('Message');
    expect(openMessage).toHaveBeenCalledWith('demo', 'Sent', 5, false);

    await fireEvent.click(toggle);
    expect(toggle).toHaveAttribute('aria-expanded', 'false');
    expect(within(first).queryByTitle('Message')).toBeNull();
    expect(toggle).toHaveTextContent('Saturday at ten?');
  });

  it('gives every unfolded message ids of its own', async () => {
    await showConversation();
    await fireEvent.click(screen.getByRole('button', { name: 'Expand all' }));
    await waitFor(() => expect(screen.getAllByTitle('Message')).toHaveLength(3));
    for (const toggle of screen.getAllByRole('button', { name: 'Show details' })) await fireEvent.click(toggle);
    const ids = [...document.querySelectorAll('[id]')].map((el) => el.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('expands and collapses every message at once', async () => {
    await showConversation();
    await fireEvent.click(screen.getByRole('button', { name: 'Expand all' }));
    expect(articles().map((a) => header(a).getAttribute('aria-expanded'))).toEqual(['true', 'true', 'true']);
    await waitFor(() => expect(screen.getAllByTitle('Message')).toHaveLength(3));
    await fireEvent.click(screen.getByRole('button', { name: 'Collapse all' }));
    expect(articles().map((a) => header(a).getAttribute('aria-expanded'))).toEqual(['false', 'false', 'false']);
    expect(screen.queryByTitle('Message')).toBeNull();
    expect(screen.getByRole('button', { name: 'Expand all' })).toBeInTheDocument();
  });

  it('marks every unfolded unread message read, and leaves folded and read ones alone', async () => {
    const rows = [
      member(10, { subject: 'Harbour walk', date: T0, seen: false }),
      member(5, { path: 'Sent', from: [ADA], date: T0 + 600 }),
      member(11, { date: T0 + 1_200, seen: false }),
    ];
    const { setFlags } = await showConversation({ rows });
    expect(articles().map((a) => header(a).getAttribute('aria-expanded'))).toEqual(['true', 'false', 'true']);
    await waitFor(() => expect(flagged(setFlags).sort()).toEqual([['INBOX', 10], ['INBOX', 11]]));
    expect(setFlags).toHaveBeenCalledWith('demo', 'INBOX', [10], { seen: true, flagged: null });

    // The read reply, unfolded, is not marked again.
    await fireEvent.click(header(articles()[1]!));
    await within(articles()[1]!).findByTitle('Message');
    await new Promise((r) => setTimeout(r, 10));
    expect(setFlags).toHaveBeenCalledTimes(2);
    // Marked: no longer shown as unread.
    expect(articles().filter((a) => a.classList.contains('unread'))).toHaveLength(0);
  });

  it('with a delay, marks only the unread messages that stay unfolded that long', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const rows = [
      member(10, { subject: 'Harbour walk', date: T0, seen: false }),
      member(5, { path: 'Sent', from: [ADA], date: T0 + 600 }),
      member(11, { date: T0 + 1_200, seen: false }),
    ];
    const { setFlags } = await showConversation({ rows }, { markRead: { kind: 'afterSeconds', seconds: 5 } });
    await waitFor(() => expect(screen.getAllByTitle('Message')).toHaveLength(2));
    await vi.advanceTimersByTimeAsync(3_000);
    // Folded before the time is up: it stays unread.
    await fireEvent.click(header(articles()[0]!));
    await vi.advanceTimersByTimeAsync(3_000);
    expect(flagged(setFlags)).toEqual([['INBOX', 11]]);
  });

  it('marks nothing when the user marks messages read themselves', async () => {
    const rows = THREAD.map((r) => ({ ...r, seen: false }));
    const { setFlags } = await showConversation({ rows }, { markRead: { kind: 'never' } });
    await waitFor(() => expect(screen.getAllByTitle('Message')).toHaveLength(3));
    await new Promise((r) => setTimeout(r, 20));
    expect(setFlags).not.toHaveBeenCalled();
  });

  it('reads the conversation again when a reply arrives, keeping what the user folded and unfolded', async () => {
    const thread = { rows: THREAD };
    const { result, backend, conversation, openMessage } = await showConversation(thread);
    // The user unfolds the first message and folds the newest.
    await fireEvent.click(header(articles()[0]!));
    await within(articles()[0]!).findByTitle('Message');
    await fireEvent.click(header(articles()[2]!));

    // Ben answers again: the list's row is now his new message, of four.
    thread.rows = [
      ...THREAD.map((r) => ({ ...r, threadCount: 4 })),
      member(12, { date: T0 + 1_800, seen: false, threadCount: 4 }),
    ];
    await result.rerender({ backend, message: listRow(thread.rows), conversations: true });
    await waitFor(() => expect(articles()).toHaveLength(4));
    expect(conversation).toHaveBeenLastCalledWith('demo', 'INBOX', 12);
    expect(screen.getByText('4 messages')).toBeInTheDocument();
    expect(articles().map((a) => header(a).getAttribute('aria-expanded'))).toEqual(['true', 'false', 'false', 'true']);
    expect((await within(articles()[3]!).findByTitle('Message')).getAttribute('src')).toBe(viewOf(12).url);
    // The first message stayed open: it was not opened again.
    expect(openMessage.mock.calls.filter((c) => c[2] === 10)).toHaveLength(1);
  });

  it('another conversation starts afresh', async () => {
    const { result, backend } = await showConversation();
    await fireEvent.click(screen.getByRole('button', { name: 'Expand all' }));
    const other = [
      member(20, { subject: 'Budget', threadId: '9', threadCount: 2, date: T0 }),
      member(21, { subject: 'Re: Budget', threadId: '9', threadCount: 2, date: T0 + 60 }),
    ];
    Object.assign(backend, { conversation: vi.fn(async () => other) });
    await result.rerender({ backend, message: other[1]!, conversations: true });
    await screen.findByRole('heading', { level: 2, name: 'Budget' });
    await waitFor(() => expect(articles()).toHaveLength(2));
    expect(articles().map((a) => header(a).getAttribute('aria-expanded'))).toEqual(['false', 'true']);
  });

  it('shows a single message when it has no replies, or when conversations are off', async () => {
    const { backend, conversation, openMessage } = conversationStub({ rows: THREAD });
    const alone = { ...THREAD[0]!, threadCount: 1 };
    const view = render(Reader, { props: { backend, message: alone, conversations: true } });
    expect(await frame()).toHaveAttribute('src', viewOf(10).url);
    expect(screen.getByRole('heading', { level: 2, name: 'Harbour walk' })).toBeInTheDocument();
    expect(articles()).toHaveLength(1);
    expect(screen.queryByRole('button', { name: 'Expand all' })).toBeNull();

    await view.rerender({ backend, message: listRow(THREAD), conversations: false });
    await waitFor(async () => expect(await frame()).toHaveAttribute('src', viewOf(11).url));
    expect(screen.getByRole('heading', { level: 2, name: 'Re: Harbour walk' })).toBeInTheDocument();
    expect(screen.getAllByTitle('Message')).toHaveLength(1);
    expect(conversation).not.toHaveBeenCalled();
    expect(openMessage).toHaveBeenCalledTimes(2);
  });

  it('shows the message on its own when its conversation turns out to be only that message', async () => {
    const { backend, conversation } = conversationStub({ rows: [THREAD[2]!] });
    render(Reader, { props: { backend, message: listRow(THREAD), conversations: true } });
    await waitFor(() => expect(conversation).toHaveBeenCalled());
    expect(await frame()).toHaveAttribute('src', viewOf(11).url);
    expect(screen.getByRole('heading', { level: 2, name: 'Re: Harbour walk' })).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Expand all' })).toBeNull();
  });

  it('shows the message itself when the conversation cannot be read, and tries again', async () => {
    const { backend, conversation } = conversationStub({ rows: THREAD });
    conversation.mockRejectedValueOnce(
      new BackendError({ kind: 'cache', message: 'the cache is damaged', fingerprint: null }),
    );
    render(Reader, { props: { backend, message: listRow(THREAD), conversations: true } });
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('The rest of the conversation could not be read. The cache is damaged.');
    expect(await frame()).toHaveAttribute('src', viewOf(11).url);
    await fireEvent.click(within(alert).getByRole('button', { name: 'Try again' }));
    await waitFor(() => expect(articles()).toHaveLength(3));
    expect(screen.queryByRole('alert')).toBeNull();
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
