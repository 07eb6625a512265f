import { getContext, setContext } from 'svelte';
import type { Account } from '../../ipc/backend';

/**
 * Signs an account in again with a new password (null: the saved one) and/or trusting a
 * certificate's fingerprint (null: no change); resolves to the updated account, rejects like
 * `Backend.updateAccountAccess`.
 */
export type UpdateAccess = (
  accountId: string,
  password: string | null,
  trustFingerprint: string | null,
) => Promise<Account>;

/** The context key (tests provide an `UpdateAccess` with it). */
export const ACCOUNT_ACCESS = Symbol('account-access');

/** Makes `update` what the connection banners below use (called by the app, which keeps the accounts). */
export function provideAccountAccess(update: UpdateAccess): UpdateAccess {
  return setContext(ACCOUNT_ACCESS, update);
}

/** The app's way to update an account's access, if a component above provided one. */
export function findAccountAccess(): UpdateAccess | undefined {
  return getContext<UpdateAccess | undefined>(ACCOUNT_ACCESS);
}
