import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { tick } from 'svelte';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AccountStatus } from '../../ipc/backend';
import { createFakeBackend, DEMO_ACCOUNT, UNTRUSTED_FINGERPRINT, type FakeBackend } from '../../ipc/fake';
import { countdown, describeStatus } from '../sync/status';
import { SyncCenter } from '../sync/sync.svelte';
import Sidebar from './Sidebar.svelte';

async function setup(backend: FakeBackend = createFakeBackend({ latencyMs: 0, fixture: 'demo' })) {
  const sync = new SyncCenter(backend);
  await sync.listen();
  render(Sidebar, {
    props: { backend, sync, accounts: [DEMO_ACCOUNT], selection: null, onselect: vi.fn(), onaddaccount: vi.fn() },
  });
  const section = screen.getByRole('region', { name: 'Ada Lovelace' });
  return { backend, sync, section };
}

const NOW = Date.UTC(2025, 5, 1, 12, 0, 0);

afterEach(() => {
  vi.useRealTimers();
});

describe('connection status text', () => {
  it('describes every state', () => {
    const table: [AccountStatus, string][] = [
      [{ state: 'connecting' }, 'Connecting…'],
      [{ state: 'online', push: true }, 'Online'],
      [{ state: 'online', push: false }, 'Online (checking every few minutes)'],
      [{ state: 'offline', reason: 'x', retryAtMs: NOW + 12_000, attempts: 1 }, 'Offline — retrying in 12 s'],
      [{ state: 'offline', reason: 'x', retryAtMs: NOW + 11_200, attempts: 1 }, 'Offline — retrying in 12 s'],
      [{ state: 'offline', reason: 'x', retryAtMs: NOW + 150_000, attempts: 6 }, 'Offline — retrying in 3 min'],
      [{ state: 'offline', reason: 'x', retryAtMs: NOW - 1, attempts: 1 }, 'Offline — retrying now'],
      [{ state: 'authNeeded', reason: 'x' }, 'Password needed'],
      [{ state: 'certificateNeeded', reason: 'x', fingerprint: 'AB' }, 'Certificate needs attention'],
      [{ state: 'stopped' }, 'Not connected'],
    ];
    for (const [status, label] of table) expect(describeStatus(status, NOW).label, status.state).toBe(label);
    expect(countdown(NOW + 59_001, NOW)).toBe('1 min');
    expect(countdown(NOW + 59_000, NOW)).toBe('59 s');
  });
});

describe('connection status in the sidebar', () => {
  it('shows each account’s status next to its name', async () => {
    const { backend, section } = await setup();
    const heading = within(section).getByRole('heading', { level: 2 });
    expect(await within(heading).findByRole('img', { name: 'Online' })).toBeInTheDocument();
    backend.setStatus('demo', { state: 'online', push: false });
    expect(await within(heading).findByRole('img', { name: 'Online (checking every few minutes)' })).toBeInTheDocument();
    backend.setStatus('demo', { state: 'connecting' });
    expect(await within(heading).findByRole('img', { name: 'Connecting…' })).toBeInTheDocument();
    // The section keeps the account's name as its name.
    expect(screen.getByRole('region', { name: 'Ada Lovelace' })).toBe(section);
  });

  it('counts down to the next attempt while offline', async () => {
    vi.useFakeTimers({ toFake: ['Date', 'setInterval', 'clearInterval'] });
    vi.setSystemTime(NOW);
    const { backend, section } = await setup();
    backend.setStatus('demo', {
      state: 'offline',
      reason: 'could not reach imap.example.org:993: the network is down',
      retryAtMs: NOW + 12_000,
      attempts: 3,
    });
    await tick();
    expect(within(section).getByRole('img', { name: 'Offline — retrying in 12 s' })).toBeInTheDocument();
    const banner = within(section).getByText(/^Offline\./).closest('.banner') as HTMLElement;
    expect(banner).toHaveTextContent(
      'Offline. Could not reach imap.example.org:993: the network is down. Tern tries again in 12 s.',
    );

    await vi.advanceTimersByTimeAsync(1_000);
    await tick();
    expect(within(section).getByRole('img', { name: 'Offline — retrying in 11 s' })).toBeInTheDocument();
    expect(banner).toHaveTextContent('Tern tries again in 11 s.');

    await vi.advanceTimersByTimeAsync(11_000);
    await tick();
    expect(within(section).getByRole('img', { name: 'Offline — retrying now' })).toBeInTheDocument();
    expect(banner).toHaveTextContent('Tern is trying again now.');
  });

  it('reconnects from the offline banner with Retry now', async () => {
    const { backend, section } = await setup();
    const retry = vi.spyOn(backend, 'retryAccount');
    backend.setStatus('demo', { state: 'offline', reason: 'connection reset', retryAtMs: Date.now() + 60_000, attempts: 1 });
    await fireEvent.click(await within(section).findByRole('button', { name: 'Retry now' }));
    expect(retry).toHaveBeenCalledWith('demo');
    // The fake reconnects: connecting, then online, and the banner goes.
    expect(await within(section).findByRole('img', { name: 'Online' })).toBeInTheDocument();
    expect(within(section).queryByRole('button', { name: 'Retry now' })).toBeNull();
    expect(within(section).queryByText(/^Offline\./)).toBeNull();
  });

  it('says honestly what to do when the password is refused, and retries', async () => {
    const { backend, section } = await setup();
    const retry = vi.spyOn(backend, 'retryAccount').mockResolvedValue();
    backend.setStatus('demo', { state: 'authNeeded', reason: 'the server rejected the user name or password' });
    expect(await within(section).findByRole('img', { name: 'Password needed' })).toBeInTheDocument();
    const banner = within(section).getByText(/can’t sign in/).closest('.banner') as HTMLElement;
    expect(banner).toHaveAttribute('role', 'status');
    expect(banner).toHaveTextContent(
      'Tern can’t sign in to imap.example.org. The server rejected the user name or password. Update the password in your keychain or remove and re-add the account.',
    );
    await fireEvent.click(within(banner).getByRole('button', { name: 'Retry' }));
    expect(retry).toHaveBeenCalledWith('demo');
  });

  it('shows the fingerprint when the certificate needs attention, and retries', async () => {
    const { backend, section } = await setup();
    const retry = vi.spyOn(backend, 'retryAccount').mockResolvedValue();
    backend.setStatus('demo', {
      state: 'certificateNeeded',
      reason: 'the certificate of imap.example.org changed',
      fingerprint: UNTRUSTED_FINGERPRINT,
    });
    expect(await within(section).findByRole('img', { name: 'Certificate needs attention' })).toBeInTheDocument();
    const banner = within(section).getByText(/needs attention/).closest('.banner') as HTMLElement;
    expect(banner).toHaveTextContent('The certificate of imap.example.org needs attention. The certificate of imap.example.org changed.');
    expect(within(banner).getByText(UNTRUSTED_FINGERPRINT).tagName).toBe('CODE');
    await fireEvent.click(within(banner).getByRole('button', { name: 'Retry' }));
    expect(retry).toHaveBeenCalledWith('demo');
  });

  it('explains a failed sync now through the offline banner alone, and clears it once back online', async () => {
    const { backend, sync, section } = await setup();
    backend.setStatus('demo', { state: 'offline', reason: 'the network is down', retryAtMs: Date.now() + 60_000, attempts: 1 });
    await sync.syncFolder('demo', 'INBOX');
    expect(sync.failures.get('demo')?.error.kind).toBe('connectionLost');
    await within(section).findByRole('button', { name: 'Retry now' });
    expect(within(section).queryByText(/Couldn’t sync/)).toBeNull();

    backend.setStatus('demo', { state: 'online', push: true });
    await waitFor(() => expect(sync.failures.has('demo')).toBe(false));
    expect(within(section).queryByText(/Couldn’t sync/)).toBeNull();
  });
});
