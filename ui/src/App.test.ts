import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import App from './App.svelte';
import { createFakeBackend } from './ipc/fake';

describe('app', () => {
  it('welcomes a first start, and shows the shell once an account is added', async () => {
    const backend = createFakeBackend({ latencyMs: 0, live: true });
    render(App, { props: { backend } });
    expect(await screen.findByRole('heading', { name: 'Welcome to Tern' })).toBeInTheDocument();

    await fireEvent.input(screen.getByLabelText('Your name'), { target: { value: 'Grace Hopper' } });
    await fireEvent.input(screen.getByLabelText('Email address'), { target: { value: 'grace@example.org' } });
    await fireEvent.input(screen.getByLabelText('Password'), { target: { value: 'cobol' } });
    await fireEvent.input(screen.getByLabelText('IMAP server'), { target: { value: 'imap.example.org' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Add account' }));

    const nav = await screen.findByRole('navigation', { name: 'Folders' });
    const inbox = await within(nav).findByRole('treeitem', { name: 'Inbox', selected: true });
    expect(inbox).toBeInTheDocument();
    const messages = screen.getByRole('region', { name: 'Messages' });
    expect(within(messages).getByRole('heading', { name: 'Inbox' })).toBeInTheDocument();
    // The engine's first sync of the new account runs by itself and fills the list.
    const list = await within(messages).findByRole('listbox', { name: 'Messages' });
    await waitFor(() => expect(list.querySelectorAll('[role="option"]').length).toBeGreaterThan(0));
    await within(messages).findByText(/^2,400 messages, \d+ unread$/);
    expect(within(screen.getByRole('region', { name: 'Reader' })).getByText('Select a message to read it')).toBeInTheDocument();
    await within(nav).findByRole('img', { name: 'Online' });
    expect(backend.calls.map((c) => c.method)).not.toContain('syncAccount');
  });

  it('opens straight on the shell when an account exists, without syncing it itself', async () => {
    const backend = createFakeBackend({ latencyMs: 0, fixture: 'demo', live: true });
    render(App, { props: { backend } });
    await screen.findByRole('treeitem', { name: 'Inbox', selected: true });
    expect(screen.queryByRole('heading', { name: 'Welcome to Tern' })).toBeNull();
    // The engine catches up with the three new Inbox messages on its own.
    await screen.findByText(/^2,400 messages, \d+ unread$/);
    const methods = backend.calls.map((c) => c.method);
    expect(methods).toContain('accountStatuses');
    expect(methods).not.toContain('syncAccount');
    expect(methods).not.toContain('syncFolder');
  });

  it('shares the preferences: a sender allowed in the reader shows in Settings, and the settings steer the reader', async () => {
    const backend = createFakeBackend({ latencyMs: 0, fixture: 'demo' });
    render(App, { props: { backend } });
    const list = await screen.findByRole('listbox', { name: 'Messages' });
    const rows = (await backend.listMessages('demo', 'INBOX', 0, 50)).rows;
    const index = rows.findIndex((r) => r.uid % 4 === 0);
    const sender = rows[index]!.from[0]!.email;
    await waitFor(() => expect(list.querySelector(`[aria-posinset="${index + 1}"] .row:not(.placeholder)`)).not.toBeNull());
    await fireEvent.click(list.querySelector(`[aria-posinset="${index + 1}"]`)!);

    const reader = screen.getByRole('region', { name: 'Reader' });
    await fireEvent.click(await within(reader).findByRole('button', { name: `Always load from ${sender}` }));
    await within(reader).findByText(`Remote content is loaded for messages from ${sender}`);

    await fireEvent.click(screen.getByRole('button', { name: 'Settings' }));
    const dialog = screen.getByRole('dialog', { name: 'Settings' });
    const senders = await within(dialog).findByRole('list', { name: 'Remote content allowed for' });
    expect(senders).toHaveTextContent(sender.toLowerCase());

    // Never marking read: the next unread message opened stays unread.
    await fireEvent.change(within(dialog).getByRole('combobox', { name: 'Mark messages read' }), { target: { value: 'never' } });
    await waitFor(() => expect(backend.calls.some((c) => c.method === 'setSettings')).toBe(true));
    backend.calls.length = 0;
    const unread = rows.findIndex((r, i) => !r.seen && i !== index);
    await fireEvent.click(list.querySelector(`[aria-posinset="${unread + 1}"]`)!);
    await within(reader).findByRole('heading', { name: rows[unread]!.subject });
    await within(reader).findByTitle('Message');
    await new Promise((r) => setTimeout(r, 20));
    expect(backend.calls.map((c) => c.method)).not.toContain('setFlags');
    expect(backend.calls.map((c) => c.method)).not.toContain('getSettings');
  });
});
