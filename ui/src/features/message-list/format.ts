import type { MessageRow, Person } from '../../ipc/backend';

/** Formatter options, per locale and time zone (creating `Intl` formatters is slow). */
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(kind: 'time' | 'dayMonth' | 'full' | 'long', locale?: string, timeZone?: string) {
  const key = `${kind}|${locale ?? ''}|${timeZone ?? ''}`;
  let f = formatters.get(key);
  if (!f) {
    const options: Intl.DateTimeFormatOptions =
      kind === 'time'
        ? { timeStyle: 'short' }
        : kind === 'dayMonth'
          ? { day: 'numeric', month: 'short' }
          : kind === 'full'
            ? { day: 'numeric', month: 'short', year: 'numeric' }
            : { dateStyle: 'full', timeStyle: 'short' };
    f = new Intl.DateTimeFormat(locale, { ...options, timeZone });
    formatters.set(key, f);
  }
  return f;
}

/** Numeric year, month and day formatters, per time zone (the list asks for every row it draws). */
const dayFormatters = new Map<string, Intl.DateTimeFormat>();

/** Year, month and day of `date` in the time zone (the user's when undefined). */
function calendarDay(date: Date, timeZone?: string): [number, number, number] {
  // The user's time zone is the one `Date` reads in: no parts to build for every row drawn.
  if (timeZone === undefined) return [date.getFullYear(), date.getMonth() + 1, date.getDate()];
  let f = dayFormatters.get(timeZone ?? '');
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { year: 'numeric', month: 'numeric', day: 'numeric', timeZone });
    dayFormatters.set(timeZone ?? '', f);
  }
  const day: [number, number, number] = [0, 0, 0];
  for (const part of f.formatToParts(date)) {
    if (part.type === 'year') day[0] = Number(part.value);
    else if (part.type === 'month') day[1] = Number(part.value);
    else if (part.type === 'day') day[2] = Number(part.value);
  }
  return day;
}

export interface DateOptions {
  now?: Date;
  /** BCP 47 locale; the user's when undefined. */
  locale?: string;
  /** IANA time zone; the user's when undefined. */
  timeZone?: string;
}

/** The list's date column: the time for today, day and month for this year, else the full date. */
export function listDate(unixSeconds: number | bigint, options: DateOptions = {}): string {
  const date = new Date(Number(unixSeconds) * 1000);
  const now = options.now ?? new Date();
  const [y, m, d] = calendarDay(date, options.timeZone);
  const [ny, nm, nd] = calendarDay(now, options.timeZone);
  const kind = y === ny && m === nm && d === nd ? 'time' : y === ny ? 'dayMonth' : 'full';
  return formatter(kind, options.locale, options.timeZone).format(date);
}

/** A full date and time, for tooltips and the reader. */
export function longDate(unixSeconds: number | bigint, options: DateOptions = {}): string {
  return formatter('long', options.locale, options.timeZone).format(new Date(Number(unixSeconds) * 1000));
}

/** A person as the list shows them: the name, else the address. */
export function personName(person: Person | undefined): string {
  return person?.name?.trim() || person?.email || '';
}

/** The sender column (recipients in sent mail and drafts). */
export function correspondent(row: MessageRow, showRecipients = false): string {
  if (showRecipients) {
    const to = row.to.map(personName).filter(Boolean);
    return to.length ? `To: ${to.join(', ')}` : 'No recipients';
  }
  return row.from.map(personName).filter(Boolean).join(', ') || 'Unknown sender';
}

/** A count in the user's locale ("100,000"). */
export function count(n: number): string {
  return n.toLocaleString();
}

/** The list header's summary: "2,400 conversations, 12 unread" or "1 message, 0 unread". */
export function listSummary(total: number, unread: number, conversations: boolean): string {
  const noun = conversations ? (total === 1 ? 'conversation' : 'conversations') : total === 1 ? 'message' : 'messages';
  return `${count(total)} ${noun}, ${count(unread)} unread`;
}

/** An account as the unified inbox names it on each row: its name, else its address. */
export function accountLabel(account: { displayName: string; email: string } | undefined): string {
  return account?.displayName.trim() || account?.email || '';
}
