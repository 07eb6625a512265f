import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, it, vi } from 'vitest';
import { BackendError, type AccountStatus } from '../../ipc/backend';
import { createFakeBackend, UNTRUSTED_FINGERPRINT } from '../../ipc/fake';
import { ACCOUNT_ACCESS, type UpdateAccess } from '../accounts/access';
import ConnectionBanner from './ConnectionBanner.svelte';

const AUTH: AccountStatus = { state: 'authNeeded', reason: 'the server rejected the user name or password' };
const CERTIFICATE: AccountStatus = {
  state: 'certificateNeeded',
  reason: 'the certificate of imap.example.org changed',
  fingerprint: UNTRUSTED_FINGERPRINT,
};

async function setup(status: AccountStatus, options: { withAccess?: boolean; viaContext?: boolean } = {}) {
  const { withAccess = true, viaContext = false } = options;
  const backend = createFakeBackend({ latencyMs: 0, fixture: 'demo' });
  const account = (await backend.listAccounts())[0]!;
  const update = vi.fn<UpdateAccess>((id, password, fingerprint) => backend.updateAccountAccess(id, password, fingerprint));
  const onretry = vi.fn(() => Promise.resolve());
  render(ConnectionBanner, {
    props: { account, status, onretry, onupdateaccess: withAccess && !viaContext ? update : null },
    context: viaContext ? new Map([[ACCOUNT_ACCESS, update]]) : undefined,
  });
  const banner = screen.getByRole('status');
  return { backend, account, update, onretry, banner };
}

describe('connection banner', () => {
  it('offline: says when Tern tries again, and retries now', async () => {
    const { banner, onretry } = await setup({
      state: 'offline',
      reason: 'connection reset',
      retryAtMs: Date.now() + 30_000,
      attempts: 2,
    });
    expect(banner).toHaveTextContent(/^Offline\. Connection reset\. Tern tries again in \d+ s\./);
    expect(within(banner).getAllByRole('button').map((b) => b.textContent?.trim())).toEqual(['Retry now']);
    await fireEvent.click(within(banner).getByRole('button', { name: 'Retry now' }));
    expect(onretry).toHaveBeenCalledOnce();
  });

  it('password refused: re-enter it; a wrong one is explained, the right one signs in', async () => {
    const { banner, update, account } = await setup(AUTH);
    expect(banner).toHaveTextContent(
      'Tern can’t sign in to imap.example.org. The server rejected the user name or password. ' +
        'Enter the password again (Tern keeps it in your keychain), or remove and re-add the account.',
    );
    const reenter = within(banner).getByRole('button', { name: 'Re-enter password' });
    reenter.focus();
    await fireEvent.click(reenter);

    const dialog = screen.getByRole('dialog', { name: 'Re-enter password' });
    expect(dialog).toHaveAccessibleDescription(/Tern couldn’t sign in to imap\.example\.org as /);
    const field = within(dialog).getByLabelText('Password');
    expect(field).toHaveFocus();
    expect(field).toHaveAttribute('type', 'password');

    // Nothing typed: nothing sent.
    await fireEvent.click(within(dialog).getByRole('button', { name: 'Sign in' }));
    expect(update).not.toHaveBeenCalled();

    await fireEvent.input(field, { target: { value: 'wrong' } });
    await fireEvent.click(within(dialog).getByRole('button', { name: 'Sign in' }));
    const alert = await within(dialog).findByRole('alert');
    expect(alert).toHaveTextContent('Wrong user name or password');
    expect(alert).toHaveTextContent('Check the password and the user name.');
    expect(field).toHaveAttribute('aria-invalid', 'true');
    expect(update).toHaveBeenLastCalledWith(account.id, 'wrong', null);
    expect(screen.getByRole('dialog', { name: 'Re-enter password' })).toBeInTheDocument();

    await fireEvent.input(field, { target: { value: 'difference engine' } });
    await fireEvent.submit(field.closest('form')!);
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(update).toHaveBeenLastCalledWith(account.id, 'difference engine', null);
    expect(reenter).toHaveFocus();
  });

  it('password dialog: an untrusted certificate on the way can be trusted there', async () => {
    const { banner, update, account } = await setup(AUTH);
    update.mockRejectedValueOnce(
      new BackendError({
        kind: 'untrustedCertificate',
        message: 'the certificate of imap.example.org is not trusted',
        fingerprint: UNTRUSTED_FINGERPRINT,
      }),
    );
    await fireEvent.click(within(banner).getByRole('button', { name: 'Re-enter password' }));
    const dialog = screen.getByRole('dialog', { name: 'Re-enter password' });
    await fireEvent.input(within(dialog).getByLabelText('Password'), { target: { value: 'secret' } });
    await fireEvent.click(within(dialog).getByRole('button', { name: 'Sign in' }));
    const alert = await within(dialog).findByRole('alert');
    expect(alert).toHaveTextContent('This server’s certificate isn’t trusted');
    expect(within(alert).getByText(UNTRUSTED_FINGERPRINT).tagName).toBe('CODE');
    await fireEvent.click(within(alert).getByRole('button', { name: 'Trust this certificate and sign in' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(update).toHaveBeenLastCalledWith(account.id, 'secret', UNTRUSTED_FINGERPRINT);
  });

  it('password dialog: Cancel and Esc close it without signing in', async () => {
    const { banner, update } = await setup(AUTH);
    const reenter = within(banner).getByRole('button', { name: 'Re-enter password' });
    await fireEvent.click(reenter);
    await fireEvent.click(within(screen.getByRole('dialog')).getByRole('button', { name: 'Cancel' }));
    expect(screen.queryByRole('dialog')).toBeNull();
    await fireEvent.click(reenter);
    await fireEvent.keyDown(within(screen.getByRole('dialog')).getByLabelText('Password'), { key: 'Escape' });
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(update).not.toHaveBeenCalled();
  });

  it('certificate: shows the fingerprint, and trusts it after the user confirms', async () => {
    const { banner, update, account } = await setup(CERTIFICATE);
    expect(banner).toHaveTextContent('The certificate of imap.example.org needs attention.');
    expect(within(banner).getByText(UNTRUSTED_FINGERPRINT).tagName).toBe('CODE');
    const trust = within(banner).getByRole('button', { name: 'Trust this certificate' });

    // The confirmation starts on Cancel: trusting is a decision.
    await fireEvent.click(trust);
    let dialog = screen.getByRole('alertdialog', { name: 'Trust this certificate?' });
    expect(within(dialog).getByText(UNTRUSTED_FINGERPRINT)).toBeInTheDocument();
    expect(dialog).toHaveAccessibleDescription(/Compare the fingerprint/);
    expect(within(dialog).getByRole('button', { name: 'Cancel' })).toHaveFocus();
    await fireEvent.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    expect(screen.queryByRole('alertdialog')).toBeNull();
    expect(update).not.toHaveBeenCalled();

    await fireEvent.click(trust);
    dialog = screen.getByRole('alertdialog', { name: 'Trust this certificate?' });
    await fireEvent.click(within(dialog).getByRole('button', { name: 'Trust and connect' }));
    await waitFor(() => expect(screen.queryByRole('alertdialog')).toBeNull());
    expect(update).toHaveBeenCalledWith(account.id, null, UNTRUSTED_FINGERPRINT);
    expect(await update.mock.results[0]!.value).toMatchObject({ imap: { pinnedCertSha256: UNTRUSTED_FINGERPRINT } });
  });

  it('certificate: a failure is explained and the confirmation stays', async () => {
    const { banner, update } = await setup(CERTIFICATE);
    update.mockRejectedValueOnce(
      new BackendError({ kind: 'unreachable', message: 'could not reach imap.example.org:993', fingerprint: null }),
    );
    await fireEvent.click(within(banner).getByRole('button', { name: 'Trust this certificate' }));
    const dialog = screen.getByRole('alertdialog', { name: 'Trust this certificate?' });
    await fireEvent.click(within(dialog).getByRole('button', { name: 'Trust and connect' }));
    const alert = await within(dialog).findByRole('alert');
    expect(alert).toHaveTextContent('Tern couldn’t reach the server');
    expect(alert).toHaveTextContent('Could not reach imap.example.org:993.');
    expect(within(dialog).getByRole('button', { name: 'Trust and connect' })).toBeEnabled();
  });

  it.each([
    ['password', AUTH],
    ['certificate', CERTIFICATE],
  ])('%s: retries too', async (_, status) => {
    const { banner, onretry } = await setup(status);
    await fireEvent.click(within(banner).getByRole('button', { name: 'Retry' }));
    expect(onretry).toHaveBeenCalledOnce();
  });

  it('uses the app’s account access when none is passed', async () => {
    const { banner, update } = await setup(AUTH, { viaContext: true });
    await fireEvent.click(within(banner).getByRole('button', { name: 'Re-enter password' }));
    const dialog = screen.getByRole('dialog', { name: 'Re-enter password' });
    await fireEvent.input(within(dialog).getByLabelText('Password'), { target: { value: 'secret' } });
    await fireEvent.click(within(dialog).getByRole('button', { name: 'Sign in' }));
    await waitFor(() => expect(update).toHaveBeenCalledOnce());
  });

  it.each([AUTH, CERTIFICATE])('offers Retry alone without a way to update the account ($state)', async (status) => {
    const { banner } = await setup(status, { withAccess: false });
    expect(within(banner).getAllByRole('button').map((b) => b.textContent?.trim())).toEqual(['Retry']);
  });
});
