/**
 * The fake backend's opened messages: a plain, escaped HTML document generated
 * from a message row, served as a `data:` URL so it loads in a plain browser
 * (and in an `<iframe sandbox="">`, like the app's `tern-part` documents).
 *
 * What a message holds depends on its UID, so every scenario can be found in
 * the sample mail: UID divisible by 4 → remote images (3, blocked until
 * allowed) and a tracking pixel; by 5 → a link whose text shows another
 * domain; by 7 → a part that could not be shown; `hasAttachment` → two
 * attachments (one without a name).
 */
import type { MessageAttachment, MessageLink, MessageRow, MessageView, Person } from './bindings';

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const person = (p: Person | undefined) => (p ? (p.name?.trim() ? p.name.trim() : p.email) : 'someone');

/** Remote images a message with remote content refers to. */
export const REMOTE_IMAGES = 3;

/** The view of `row` the engine would build (remote content loaded only when `allowRemote`). */
export function sampleView(row: MessageRow, allowRemote: boolean): MessageView {
  const remote = row.uid % 4 === 0;
  const links: MessageLink[] = [
    { href: 'https://tern.example/docs', text: 'the documentation', mismatchedDomain: false },
  ];
  if (row.uid % 5 === 0)
    links.push({
      href: 'https://login.bank-secure.example/verify',
      text: 'https://bank.example/account',
      mismatchedDomain: true,
    });
  const attachments: MessageAttachment[] = row.hasAttachment
    ? [
        { section: '2', filename: 'report.pdf', mime: 'application/pdf', size: 90_112 },
        { section: '3', filename: null, mime: 'image/png', size: 1_536 },
      ]
    : [];
  const problems = row.uid % 7 === 0 ? ['A part in the unknown charset “x-unknown” (text/plain, 2 KB)'] : [];

  const greeting = row.to[0] ? `Hi ${escapeHtml(person(row.to[0]))},` : 'Hi,';
  const images = remote
    ? allowRemote
      ? `<p>${Array.from({ length: REMOTE_IMAGES }, (_, i) => `<span class="remote">[remote image ${i + 1}]</span>`).join(' ')}</p>`
      : `<p class="blocked">[${REMOTE_IMAGES} remote images not loaded]</p>`
    : '';
  const linkHtml = links
    .map((l) => `<li><a href="${escapeHtml(l.href)}">${escapeHtml(l.text)}</a></li>`)
    .join('');
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(row.subject)}</title>
<style>body{font:15px/1.5 system-ui,sans-serif;margin:1rem 1.4rem;color:#222;background:#fff}h1{font-size:1.1rem}</style>
</head><body>
<h1>${escapeHtml(row.subject.trim() || '(no subject)')}</h1>
<p>${greeting}</p>
<p>This is message ${row.uid} of the sample mailbox. Tern shows it the way the engine does: sanitized, in a sandboxed frame, with remote content blocked until you allow it.</p>
${images}
<ul>${linkHtml}</ul>
<p>Best,<br>${escapeHtml(person(row.from[0]))}</p>
</body></html>`;
  return {
    url: `data:text/html;charset=utf-8,${encodeURIComponent(html)}`,
    blockedRemote: remote && !allowRemote ? REMOTE_IMAGES : 0,
    trackingPixels: remote ? 1 : 0,
    links,
    attachments,
    problems,
  };
}
