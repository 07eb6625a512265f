/**
 * The one interface the UI uses to talk to the mail engine.
 *
 * Two implementations exist: `tauri.ts` (the real app, over Tauri IPC) and
 * `fake.ts` (in memory, for the browser, unit tests and end-to-end tests).
 * Nothing outside `src/ipc/` knows which one is in use.
 */
import type { Account, AppInfo, CommandError, ErrorKind, Folder, NewAccountRequest } from './bindings';

export type {
  Account,
  AppInfo,
  CommandError,
  ErrorKind,
  Folder,
  FolderRole,
  ImapSettings,
  NewAccountRequest,
  Security,
} from './bindings';

export interface Backend {
  /** Version and data directory of the running app. */
  appInfo(): Promise<AppInfo>;
  /** Every configured account, in the order they were added. */
  listAccounts(): Promise<Account[]>;
  /** Connects and logs in once to verify the settings, stores the password in the keychain, saves the account. */
  addAccount(request: NewAccountRequest): Promise<Account>;
  /** Forgets the account, its password and its cache. */
  removeAccount(accountId: string): Promise<void>;
  /** The folder list from the local cache: instant, possibly stale or empty. */
  cachedFolders(accountId: string): Promise<Folder[]>;
  /** The folder list fetched from the server (and written to the cache). */
  refreshFolders(accountId: string): Promise<Folder[]>;
}

const ERROR_KINDS: readonly ErrorKind[] = [
  'authFailed',
  'authPolicy',
  'insecure',
  'untrustedCertificate',
  'tls',
  'unreachable',
  'timeout',
  'protocol',
  'invalidSettings',
  'keychain',
  'missingSecret',
  'notFound',
  'storage',
  'cache',
  'internal',
];

/** A failed backend command, carrying the engine's typed `CommandError`. */
export class BackendError extends Error {
  readonly kind: ErrorKind;
  readonly fingerprint: string | null;

  constructor(error: CommandError) {
    super(error.message);
    this.name = 'BackendError';
    this.kind = error.kind;
    this.fingerprint = error.fingerprint;
  }

  /** The plain `CommandError` value (as the engine serialized it). */
  toCommandError(): CommandError {
    return { kind: this.kind, message: this.message, fingerprint: this.fingerprint };
  }

  /** Turns whatever a command rejected with into a `BackendError`. */
  static from(reason: unknown): BackendError {
    if (reason instanceof BackendError) return reason;
    if (isCommandError(reason)) return new BackendError(reason);
    const message =
      reason instanceof Error ? reason.message : typeof reason === 'string' ? reason : 'Unexpected error';
    return new BackendError({ kind: 'internal', message, fingerprint: null });
  }
}

export function isCommandError(value: unknown): value is CommandError {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.kind === 'string' &&
    (ERROR_KINDS as readonly string[]).includes(v.kind) &&
    typeof v.message === 'string' &&
    (v.fingerprint === null || v.fingerprint === undefined || typeof v.fingerprint === 'string')
  );
}
