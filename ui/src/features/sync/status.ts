import type { AccountStatus } from '../../ipc/backend';

/** How an account's connection looks: the colour of its dot. */
export type StatusTone = 'online' | 'busy' | 'offline' | 'attention' | 'stopped';

export interface StatusView {
  /** The indicator's text (its accessible name and tooltip). */
  label: string;
  tone: StatusTone;
}

/** "12 s", "3 min" until `atMs`; "now" once it has passed. */
export function countdown(atMs: number, nowMs: number): string {
  const seconds = Math.ceil((atMs - nowMs) / 1000);
  if (seconds <= 0) return 'now';
  if (seconds < 60) return `${seconds} s`;
  return `${Math.ceil(seconds / 60)} min`;
}

/** "Retrying in 12 s" / "Retrying now". */
export function retrying(atMs: number, nowMs: number): string {
  const left = countdown(atMs, nowMs);
  return left === 'now' ? 'retrying now' : `retrying in ${left}`;
}

/** The indicator next to an account's name. */
export function describeStatus(status: AccountStatus, nowMs: number): StatusView {
  switch (status.state) {
    case 'connecting':
      return { label: 'Connecting…', tone: 'busy' };
    case 'online':
      return status.push
        ? { label: 'Online', tone: 'online' }
        : { label: 'Online (checking every few minutes)', tone: 'online' };
    case 'offline':
      return { label: `Offline — ${retrying(status.retryAtMs, nowMs)}`, tone: 'offline' };
    case 'authNeeded':
      return { label: 'Password needed', tone: 'attention' };
    case 'certificateNeeded':
      return { label: 'Certificate needs attention', tone: 'attention' };
    case 'stopped':
      return { label: 'Not connected', tone: 'stopped' };
  }
}

/** Whether the status calls for the banner under the account's name. */
export function needsBanner(status: AccountStatus | undefined): boolean {
  return status?.state === 'offline' || status?.state === 'authNeeded' || status?.state === 'certificateNeeded';
}
