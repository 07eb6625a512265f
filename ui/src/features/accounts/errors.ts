import type { CommandError, ErrorKind } from '../../ipc/backend';

/** What to tell the user about a failed command: what happened, and what to do. */
export interface Explanation {
  title: string;
  /** The engine's own sentence, tidied up (it names the host, the port, the reason). */
  detail: string;
  advice: string;
}

const ADVICE: Record<ErrorKind, { title: string; advice: string }> = {
  authFailed: {
    title: 'Wrong user name or password',
    advice:
      'Check the password and the user name. Some providers (Gmail, iCloud, Outlook, Fastmail) need an app password for mail apps instead of your usual one.',
  },
  authPolicy: {
    title: 'Your provider refused the sign-in',
    advice:
      'Allow IMAP access or create an app password in your provider’s account settings, then try again.',
  },
  insecure: {
    title: 'Tern won’t send your password unencrypted',
    advice:
      'Choose TLS or STARTTLS under Security. Unencrypted connections are only allowed to servers on this computer.',
  },
  untrustedCertificate: {
    title: 'This server’s certificate isn’t trusted',
    advice:
      'The server may use a self-signed certificate, or someone may be intercepting the connection. Compare the fingerprint below with the one your server administrator gives you, and trust it only if they match.',
  },
  tls: {
    title: 'A secure connection couldn’t be set up',
    advice: 'Check the port and the security setting: port 993 uses TLS, port 143 uses STARTTLS.',
  },
  unreachable: {
    title: 'Tern couldn’t reach the server',
    advice: 'Check the server name and port, and that this computer is online.',
  },
  timeout: {
    title: 'The server didn’t answer in time',
    advice: 'Try again in a moment. If it keeps happening, check the server name and port.',
  },
  protocol: {
    title: 'The server answered in an unexpected way',
    advice: 'Make sure the server name and port belong to an IMAP server (not SMTP or a web address).',
  },
  connectionLost: {
    title: 'The connection to the server was lost',
    advice: 'Nothing was lost: Tern keeps what it already downloaded. Try again when the connection is back.',
  },
  invalidSettings: {
    title: 'Some settings need attention',
    advice: 'Correct the highlighted setting and try again.',
  },
  keychain: {
    title: 'Tern couldn’t use the system keychain',
    advice:
      'Tern keeps passwords only in the system keychain. Make sure it is running and unlocked, then try again.',
  },
  missingSecret: {
    title: 'The password for this account is missing',
    advice: 'Remove the account and add it again to enter the password.',
  },
  notFound: {
    title: 'That account or folder no longer exists',
    advice: 'It may have been removed or renamed. Refresh the folder list.',
  },
  storage: {
    title: 'Tern couldn’t save its settings',
    advice: 'Check that the disk has free space and that Tern’s data folder is writable.',
  },
  cache: {
    title: 'The local mail cache had a problem',
    advice: 'Try again. Your mail on the server is not affected.',
  },
  unsafe: {
    title: 'Tern didn’t open that, to keep your computer safe',
    advice: 'Save it instead if you trust where it comes from.',
  },
  internal: {
    title: 'Something went wrong inside Tern',
    advice: 'Try again. If it keeps happening, please report it with the message above.',
  },
};

/** Capitalises the first letter and ends the sentence with a full stop. */
export function sentence(text: string): string {
  const trimmed = text.trim();
  if (!trimmed) return '';
  const first = trimmed.charAt(0).toUpperCase() + trimmed.slice(1);
  return /[.!?…]$/.test(first) ? first : `${first}.`;
}

/** Ends the text with a full stop, leaving its first letter alone (it may be a file name). */
export function ended(text: string): string {
  const trimmed = text.trim();
  if (!trimmed) return '';
  return /[.!?…]$/.test(trimmed) ? trimmed : `${trimmed}.`;
}

export function explain(error: CommandError): Explanation {
  const { title, advice } = ADVICE[error.kind] ?? ADVICE.internal;
  return { title, detail: sentence(error.message), advice };
}
