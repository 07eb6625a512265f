import type { Security } from '../../ipc/backend';

export const DEFAULT_PORTS: Record<Security, number> = { tls: 993, starttls: 143, plain: 143 };

export const SECURITY_OPTIONS: readonly { value: Security; label: string }[] = [
  { value: 'tls', label: 'TLS (recommended)' },
  { value: 'starttls', label: 'STARTTLS' },
  { value: 'plain', label: 'None (local servers only)' },
];

export interface FormValues {
  displayName: string;
  email: string;
  password: string;
  host: string;
  port: string;
  security: Security;
  username: string;
}

/** Field name → what to fix. Keys are in form order, so the first one gets the focus. */
export type FieldErrors = Partial<Record<'email' | 'password' | 'host' | 'port' | 'username', string>>;

const EMAIL = /^[^\s@]+@[^\s@]+$/;
const HOST = /^[^\s/:@]+$|^\[[0-9a-fA-F:.]+\]$/;

/** Checks what can be checked before connecting. */
export function validateForm(v: FormValues): FieldErrors {
  const errors: FieldErrors = {};
  const email = v.email.trim();
  if (!email) errors.email = 'Enter your email address.';
  else if (!EMAIL.test(email)) errors.email = 'Enter an email address like name@example.com.';
  if (!v.password) errors.password = 'Enter your password.';
  const host = v.host.trim();
  if (!host) errors.host = 'Enter the IMAP server, for example imap.example.com.';
  else if (!HOST.test(host)) errors.host = 'Enter only the server name, without “imap://” or a port.';
  const port = v.port.trim();
  if (!/^\d+$/.test(port) || Number(port) < 1 || Number(port) > 65535)
    errors.port = 'Enter a port between 1 and 65535 (usually 993).';
  if (!v.username.trim()) errors.username = 'Enter the user name, usually your email address.';
  return errors;
}
