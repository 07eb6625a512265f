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
});
