/**
 * The fake backend's opened messages: a plain, escaped HTML document generated
 * from a message row, served as a `data:` URL so it loads in a plain browser
 * (and in an `<iframe sandbox="">`, like the app's `tern-part` documents), and
 * the message's header fields and raw source for "show details".
 *
 * What a message holds depends on its UID, so every scenario can be found in
 * the sample mail: UID divisible by 4 → remote images (3, blocked until
 * allowed) and a tracking pixel; by 5 → a link whose text shows another
 * domain; by 7 → a part that could not be shown; odd → plain text (shown in a
 * fixed-width font when the user prefers). `hasAttachment` → two attachments
 * (one without a name), plus, when the UID divided by 3 leaves 0, a forwarded
 * message (`message/rfc822`, which opens with {@link attachedView}) and, when
 * it leaves 1, a program (`.exe`, which Tern refuses to open).
 *
 * Links in the documents point nowhere (`#link-…`): in the app they point at the
 * app, which reports the click as a `link-activated` event; the fake's
 * `clickLink` does the same for tests.
 */
import type {
  HeaderField,
  MessageAttachment,
  MessageLink,
  MessageRow,
  MessageSource,
  MessageView,
  Person,
} from './bindings';

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const person = (p: Person | undefined) => (p ? (p.name?.trim() ? p.name.trim() : p.email) : 'someone');

/** Remote images a message with remote content refers to. */
export const REMOTE_IMAGES = 3;
/** The most raw source `messageSource` returns (the engine's limit: 1 MiB). */
export const SOURCE_LIMIT = 1024 * 1024;

/** How the engine builds a view, beyond the message itself. */
export interface ViewOptions {
  /** Load remote content (the user asked for it, or allows it for the sender). */
  allowRemote: boolean;
  /** Remote content loads because the user always allows it for this sender. */
  forSender?: boolean;
  /** Plain-text parts in a fixed-width font. */
  monospace?: boolean;
}

/** The attachments of a sample message (sections as IMAP numbers them). */
export function sampleAttachments(row: MessageRow): MessageAttachment[] {
  if (!row.hasAttachment) return [];
  const attachments: MessageAttachment[] = [
    { section: '2', filename: 'report.pdf', mime: 'application/pdf', size: 90_112 },
    { section: '3', filename: null, mime: 'image/png', size: 1_536 },
  ];
  if (row.uid % 3 === 0)
    attachments.push({ section: '4', filename: 'Travel plans.eml', mime: 'message/rfc822', size: 14_848 });
  else if (row.uid % 3 === 1)
    attachments.push({ section: '4', filename: 'installer.exe', mime: 'application/x-msdownload', size: 2_621_440 });
  return attachments;
}

/** The first paragraph of a sample message's text. */
function sampleText(row: MessageRow): string {
  return `This is message ${row.uid} of the sample mailbox. Tern shows it the way the engine does: sanitized, in a sandboxed frame, with remote content blocked until you allow it.`;
}

const greetingOf = (row: MessageRow) => (row.to[0] ? `Hi ${person(row.to[0])},` : 'Hi,');

/** The first words of a sample message's text, as the engine keeps them for the list. */
export function sampleSnippet(row: MessageRow): string {
  const text = `${greetingOf(row)} ${sampleText(row)}`;
  return text.length > 140 ? `${text.slice(0, 139).trimEnd()}…` : text;
}

interface Document {
  subject: string;
  greeting: string;
  paragraphs: string[];
  signature: string;
  remote: boolean;
  links: MessageLink[];
  plain: boolean;
}

function render(doc: Document, options: ViewOptions): string {
  const { allowRemote, monospace = false } = options;
  const images = doc.remote
    ? allowRemote
      ? `<p>${Array.from({ length: REMOTE_IMAGES }, (_, i) => `<span class="remote">[remote image ${i + 1}]</span>`).join(' ')}</p>`
      : `<p class="blocked">[${REMOTE_IMAGES} remote images not loaded]</p>`
    : '';
  const linkHtml = doc.links
    .map((l) => `<li><a href="#link-${escapeHtml(l.id.replace(/\W/g, '-'))}">${escapeHtml(l.text)}</a></li>`)
    .join('');
  const font = doc.plain && monospace ? 'ui-monospace,monospace' : 'system-ui,sans-serif';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(doc.subject)}</title>
<style>body{font:15px/1.5 ${font};margin:1rem 1.4rem;color:#222;background:#fff}h1{font-size:1.1rem;font-family:system-ui,sans-serif}</style>
</head><body>
<h1>${escapeHtml(doc.subject.trim() || '(no subject)')}</h1>
<p>${escapeHtml(doc.greeting)}</p>
${doc.paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`).join('\n')}
${images}
<ul>${linkHtml}</ul>
<p>Best,<br>${escapeHtml(doc.signature)}</p>
</body></html>`;
}

const dataUrl = (html: string) => `data:text/html;charset=utf-8,${encodeURIComponent(html)}`;

/** The view of `row` the engine would build. */
export function sampleView(row: MessageRow, options: ViewOptions): MessageView {
  const remote = row.uid % 4 === 0;
  const links: MessageLink[] = [
    { href: 'https://tern.example/docs', text: 'the documentation', mismatchedDomain: false, id: '1/0' },
  ];
  if (row.uid % 5 === 0)
    links.push({
      href: 'https://login.bank-secure.example/verify',
      text: 'https://bank.example/account',
      mismatchedDomain: true,
      id: '1/1',
    });
  const problems = row.uid % 7 === 0 ? ['A part in the unknown charset “x-unknown” (text/plain, 2 KB)'] : [];
  const html = render(
    {
      subject: row.subject,
      greeting: greetingOf(row),
      paragraphs: [sampleText(row)],
      signature: person(row.from[0]),
      remote,
      links,
      plain: row.uid % 2 === 1,
    },
    options,
  );
  return {
    url: dataUrl(html),
    blockedRemote: remote && !options.allowRemote ? REMOTE_IMAGES : 0,
    trackingPixels: remote ? 1 : 0,
    links,
    attachments: sampleAttachments(row),
    problems,
    remoteAllowedForSender: options.forSender ?? false,
    monospace: options.monospace ?? false,
  };
}

/** Who wrote the forwarded message attached to sample messages. */
export const FORWARDED_FROM: Person = { name: 'Hedy Lamarr', email: 'hedy@frequency.example' };

/**
 * The view of the message attached to `row` at `section` (see {@link sampleAttachments}), or null
 * when there is no message there. It has remote images, a disguised link and an attachment of
 * its own (numbered inside the outer message, as IMAP does).
 */
export function attachedView(row: MessageRow, section: string, options: ViewOptions): MessageView | null {
  const attachment = sampleAttachments(row).find((a) => a.section === section);
  if (attachment?.mime !== 'message/rfc822') return null;
  const links: MessageLink[] = [
    { href: 'https://tickets.example/booking/7F3K', text: 'your booking', mismatchedDomain: false, id: `${section}.1/0` },
    {
      href: 'https://checkin.airline-deals.example/start',
      text: 'https://airline.example/check-in',
      mismatchedDomain: true,
      id: `${section}.1/1`,
    },
  ];
  const html = render(
    {
      subject: 'Travel plans',
      greeting: `Hi ${person(row.from[0])},`,
      paragraphs: [
        'Here are the travel plans for the conference: the flight leaves on Tuesday morning and the hotel is booked for three nights.',
        'This message was forwarded as an attachment. Tern opens it in its own sandboxed frame.',
      ],
      signature: person(FORWARDED_FROM),
      remote: true,
      links,
      plain: false,
    },
    options,
  );
  return {
    url: dataUrl(html),
    blockedRemote: options.allowRemote ? 0 : REMOTE_IMAGES,
    trackingPixels: 0,
    links,
    attachments: [{ section: `${section}.2`, filename: 'itinerary.pdf', mime: 'application/pdf', size: 48_128 }],
    problems: [],
    remoteAllowedForSender: false,
    monospace: options.monospace ?? false,
  };
}

/** An address as a header field writes it. */
function address(p: Person): string {
  const name = p.name?.trim();
  return name ? `"${name.replace(/(["\\])/g, '\\$1')}" <${p.email}>` : p.email;
}

const domainOf = (email: string) => email.split('@')[1] ?? 'example.org';

/** A date as the `Date:` header writes it (RFC 5322, in UTC). */
function rfcDate(unixSeconds: number): string {
  return new Date(unixSeconds * 1000).toUTCString().replace('GMT', '+0000');
}

/** The header fields of a sample message, in the order a server stores them. */
export function sampleHeaders(row: MessageRow): HeaderField[] {
  const from = row.from[0] ?? { name: null, email: 'unknown@example.org' };
  const to = row.to[0] ?? { name: null, email: 'undisclosed-recipients@example.org' };
  const sending = domainOf(from.email);
  const receiving = domainOf(to.email);
  const id = `${row.threadId.slice(0, 8)}.${row.uid}@${sending}`;
  const fields: HeaderField[] = [
    { name: 'Return-Path', value: `<${from.email}>` },
    {
      name: 'Received',
      value: `from mail.${sending} (mail.${sending} [192.0.2.${(row.uid % 250) + 1}]) by imap.${receiving} with ESMTPS; ${rfcDate(row.received)}`,
    },
    { name: 'Authentication-Results', value: `imap.${receiving}; dkim=pass header.d=${sending}; spf=pass smtp.mailfrom=${sending}` },
    { name: 'Message-ID', value: `<${id}>` },
    { name: 'Date', value: rfcDate(row.date) },
    { name: 'From', value: row.from.map(address).join(', ') || address(from) },
    { name: 'To', value: row.to.map(address).join(', ') || address(to) },
  ];
  if (row.cc.length > 0) fields.push({ name: 'Cc', value: row.cc.map(address).join(', ') });
  fields.push({ name: 'Subject', value: row.subject });
  if (row.subject.startsWith('Re: ')) {
    const parent = `<${row.threadId.slice(0, 8)}.${row.uid + 1}@${sending}>`;
    fields.push({ name: 'In-Reply-To', value: parent }, { name: 'References', value: parent });
  }
  fields.push({ name: 'MIME-Version', value: '1.0' });
  fields.push({
    name: 'Content-Type',
    value: row.hasAttachment
      ? `multipart/mixed; boundary="tern-${row.uid}"`
      : row.uid % 2 === 1
        ? 'text/plain; charset=utf-8; format=flowed'
        : 'text/html; charset=utf-8',
  });
  return fields;
}

/** Header fields as they are written in a message (long values folded). */
function writeHeader({ name, value }: HeaderField): string {
  const line = `${name}: ${value}`;
  if (line.length <= 78) return line;
  const words = line.split(' ');
  const lines: string[] = [];
  let current = '';
  for (const word of words) {
    if (current && current.length + word.length + 1 > 78) {
      lines.push(current);
      current = ` ${word}`;
    } else {
      current = current ? `${current} ${word}` : word;
    }
  }
  lines.push(current);
  return lines.join('\r\n');
}

/** A base64 body of about `bytes` bytes, in 76-character lines. */
function base64Lines(seed: number, bytes: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  const length = Math.ceil(bytes / 3) * 4;
  const line = Array.from({ length: 76 }, (_, i) => alphabet[(seed * 31 + i * 7) % 64]).join('');
  const lines = Math.max(1, Math.ceil(length / 76));
  return Array.from({ length: lines }, () => line).join('\r\n');
}

/** The raw message: its header fields, then its body, as a server stores it. */
export function sampleSource(row: MessageRow): MessageSource {
  const headers = sampleHeaders(row);
  const text = `${greetingOf(row)}\r\n\r\n${sampleText(row)}\r\n\r\nBest,\r\n${person(row.from[0])}\r\n`;
  let body: string;
  if (!row.hasAttachment) {
    body = text;
  } else {
    const boundary = `tern-${row.uid}`;
    const parts = [`Content-Type: text/plain; charset=utf-8\r\n\r\n${text}`];
    for (const a of sampleAttachments(row)) {
      const name = a.filename ? `; name="${a.filename}"` : '';
      const disposition = a.filename ? `attachment; filename="${a.filename}"` : 'attachment';
      parts.push(
        a.mime === 'message/rfc822'
          ? `Content-Type: message/rfc822${name}\r\nContent-Disposition: ${disposition}\r\n\r\nFrom: ${address(FORWARDED_FROM)}\r\nSubject: Travel plans\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHere are the travel plans for the conference.\r\n`
          : `Content-Type: ${a.mime}${name}\r\nContent-Disposition: ${disposition}\r\nContent-Transfer-Encoding: base64\r\n\r\n${base64Lines(row.uid + Number(a.section), Math.min(a.size, SOURCE_LIMIT))}\r\n`,
      );
    }
    body = `This is a multi-part message in MIME format.\r\n\r\n${parts.map((p) => `--${boundary}\r\n${p}`).join('\r\n')}\r\n--${boundary}--\r\n`;
  }
  const raw = `${headers.map(writeHeader).join('\r\n')}\r\n\r\n${body}`;
  const size = Math.max(row.size, raw.length);
  const truncated = size > SOURCE_LIMIT;
  return { headers, raw: truncated ? raw.slice(0, SOURCE_LIMIT) : raw, size, truncated };
}
