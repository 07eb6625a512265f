import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import App from './App.svelte';
import { createFakeBackend } from './ipc/fake';

describe('app', () => {
  it('welcomes a first start, and shows the shell once an account is added', async () => {
    render(App, { props: { backend: createFakeBackend({ latencyMs: 0 }) } });
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
    // The new account's first sync runs in the background and fills the list.
    const list = await within(messages).findByRole('listbox', { name: 'Messages' });
    await waitFor(() => expect(list.querySelectorAll('[role="option"]').length).toBeGreaterThan(0));
    await within(messages).findByText(/^2,400 messages, \d+ unread$/);
    expect(within(screen.getByRole('region', { name: 'Reader' })).getByText('Select a message to read it')).toBeInTheDocument();
  });

  it('opens straight on the shell when an account exists', async () => {
    render(App, { props: { backend: createFakeBackend({ latencyMs: 0, fixture: 'demo' }) } });
    await screen.findByRole('treeitem', { name: 'Inbox', selected: true });
    expect(screen.queryByRole('heading', { name: 'Welcome to Tern' })).toBeNull();
  });
});
