import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it, vi } from 'vitest';
import type { Backend, ErrorKind } from '../../ipc/backend';
import { BackendError } from '../../ipc/backend';
import { createFakeBackend, UNTRUSTED_FINGERPRINT } from '../../ipc/fake';
import AccountForm from './AccountForm.svelte';
import { explain } from './errors';

function setup(backend: Backend = createFakeBackend({ latencyMs: 5 })) {
  const onadded = vi.fn();
  render(AccountForm, { props: { backend, onadded } });
  return { onadded, backend };
}

async function fill(values: Partial<Record<string, string>>) {
  for (const [label, value] of Object.entries(values)) {
    const field = screen.getByLabelText(label) as HTMLInputElement | HTMLSelectElement;
    if (field instanceof HTMLSelectElement) await fireEvent.change(field, { target: { value } });
    else await fireEvent.input(field, { target: { value } });
  }
}

const valid = {
  'Your name': 'Grace Hopper',
  'Email address': 'grace@example.org',
  Password: 'cobol',
  'IMAP server': 'imap.example.org',
};

const submit = () => fireEvent.click(screen.getByRole('button', { name: 'Add account' }));

describe('add-account form', () => {
  it('has labelled fields with sensible defaults', () => {
    setup();
    expect(screen.getByRole('form', { name: 'Add account' })).toBeInTheDocument();
    expect(screen.getByLabelText('Port')).toHaveValue('993');
    expect(screen.getByLabelText('Security')).toHaveValue('tls');
    const options = Array.from((screen.getByLabelText('Security') as HTMLSelectElement).options).map((o) => [
      o.value,
      o.text,
    ]);
    expect(options).toEqual([
      ['tls', 'TLS (recommended)'],
      ['starttls', 'STARTTLS'],
      ['plain', 'None (local servers only)'],
    ]);
  });

  it('defaults the user name to the email address until it is edited', async () => {
    setup();
    await fill({ 'Email address': 'grace@example.org' });
    expect(screen.getByLabelText('User name')).toHaveValue('grace@example.org');
    await fill({ 'User name': 'grace' });
    await fill({ 'Email address': 'g.hopper@example.org' });
    expect(screen.getByLabelText('User name')).toHaveValue('grace');
  });

  it('switches the default port with the security, unless the port was edited', async () => {
    setup();
    await fill({ Security: 'starttls' });
    expect(screen.getByLabelText('Port')).toHaveValue('143');
    await fill({ Security: 'tls' });
    expect(screen.getByLabelText('Port')).toHaveValue('993');
    await fill({ Port: '1993' });
    await fill({ Security: 'starttls' });
    expect(screen.getByLabelText('Port')).toHaveValue('1993');
  });

  it('validates before connecting and focuses the first problem', async () => {
    const backend = createFakeBackend({ latencyMs: 0 });
    const spy = vi.spyOn(backend, 'addAccount');
    setup(backend);
    await fill({ 'Email address': 'not-an-address', Port: '70000' });
    await submit();
    expect(spy).not.toHaveBeenCalled();
    const email = screen.getByLabelText('Email address');
    expect(email).toHaveAttribute('aria-invalid', 'true');
    expect(email).toHaveAccessibleDescription('Enter an email address like name@example.com.');
    expect(screen.getByLabelText('Password')).toHaveAccessibleDescription('Enter your password.');
    expect(screen.getByLabelText('IMAP server')).toHaveAttribute('aria-invalid', 'true');
    expect(screen.getByLabelText('Port')).toHaveAccessibleDescription(/between 1 and 65535/);
    expect(document.activeElement).toBe(email);
  });

  it('shows “Connecting…” while pending, then reports the added account', async () => {
    const { onadded } = setup();
    await fill(valid);
    await submit();
    const button = screen.getByRole('button', { name: 'Connecting…' });
    expect(button).toBeDisabled();
    await waitFor(() => expect(onadded).toHaveBeenCalledTimes(1));
    expect(onadded.mock.calls[0]?.[0]).toMatchObject({
      displayName: 'Grace Hopper',
      email: 'grace@example.org',
      imap: { host: 'imap.example.org', port: 993, security: 'tls', username: 'grace@example.org' },
    });
  });

  it('explains a wrong password in an alert', async () => {
    const { onadded } = setup();
    await fill({ ...valid, Password: 'wrong' });
    await submit();
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('Wrong user name or password');
    expect(alert).toHaveTextContent('The server rejected the user name or password.');
    expect(alert).toHaveTextContent(/app password/);
    expect(onadded).not.toHaveBeenCalled();
    expect(screen.getByRole('button', { name: 'Add account' })).toBeEnabled();
  });

  it('refuses plain text to a remote server with advice', async () => {
    setup();
    await fill({ ...valid, Security: 'plain' });
    expect(screen.getByLabelText('Port')).toHaveValue('143');
    await submit();
    expect(await screen.findByRole('alert')).toHaveTextContent('Choose TLS or STARTTLS');
  });

  it('shows the fingerprint of an untrusted certificate and connects once trusted', async () => {
    const backend = createFakeBackend({ latencyMs: 5 });
    const spy = vi.spyOn(backend, 'addAccount');
    const { onadded } = setup(backend);
    await fill({ ...valid, 'IMAP server': 'untrusted.example' });
    await submit();
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('This server’s certificate isn’t trusted');
    expect(alert.querySelector('code')).toHaveTextContent(UNTRUSTED_FINGERPRINT);

    await fireEvent.click(screen.getByRole('button', { name: 'Trust this certificate and connect' }));
    await waitFor(() => expect(onadded).toHaveBeenCalledTimes(1));
    expect(spy).toHaveBeenCalledTimes(2);
    expect(spy.mock.calls[1]?.[0].imap.pinnedCertSha256).toBe(UNTRUSTED_FINGERPRINT);
    expect(onadded.mock.calls[0]?.[0].imap.pinnedCertSha256).toBe(UNTRUSTED_FINGERPRINT);
  });

  it('offers no trust button once the host is changed', async () => {
    setup();
    await fill({ ...valid, 'IMAP server': 'untrusted.example' });
    await submit();
    await screen.findByRole('alert');
    expect(screen.getByRole('button', { name: 'Trust this certificate and connect' })).toBeInTheDocument();
    await fill({ 'IMAP server': 'other.example' });
    expect(screen.queryByRole('button', { name: 'Trust this certificate and connect' })).toBeNull();
  });

  it.each<ErrorKind>(['unreachable', 'timeout', 'tls', 'keychain', 'internal'])(
    'explains %s in plain words',
    async (kind) => {
      const backend = createFakeBackend({ latencyMs: 0 });
      backend.addAccount = () => Promise.reject(new BackendError({ kind, message: 'detail from the engine', fingerprint: null }));
      setup(backend);
      await fill(valid);
      await submit();
      const alert = await screen.findByRole('alert');
      const { title, advice } = explain({ kind, message: '', fingerprint: null });
      expect(alert).toHaveTextContent(title);
      expect(alert).toHaveTextContent(advice);
      expect(alert).toHaveTextContent('Detail from the engine.');
    },
  );

  it('turns a raw rejection into an internal error', async () => {
    const backend = createFakeBackend({ latencyMs: 0 });
    backend.addAccount = () => Promise.reject(new Error('bridge closed'));
    setup(backend);
    await fill(valid);
    await submit();
    expect(await screen.findByRole('alert')).toHaveTextContent('Something went wrong inside Tern');
  });
});
