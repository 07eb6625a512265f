// This file is generated from Rust by `cargo test -p tern bindings` (ts-rs). Do not edit.

export type Account = { 
/**
 * Stable id.
 */
id: string, 
/**
 * Name in the sidebar.
 */
displayName: string, 
/**
 * Address.
 */
email: string, 
/**
 * Incoming server.
 */
imap: ImapSettings, };

export type AccountStatus = { "state": "connecting" } | { "state": "online", 
/**
 * IDLE is running.
 */
push: boolean, } | { "state": "offline", 
/**
 * What went wrong.
 */
reason: string, 
/**
 * Next attempt, Unix milliseconds.
 */
retryAtMs: number, 
/**
 * Failed attempts in a row.
 */
attempts: number, } | { "state": "authNeeded", 
/**
 * What the server said.
 */
reason: string, } | { "state": "certificateNeeded", 
/**
 * What is wrong with it.
 */
reason: string, 
/**
 * SHA-256 fingerprint.
 */
fingerprint: string, } | { "state": "stopped" };

export type AccountStatusEntry = { 
/**
 * Account.
 */
accountId: string, 
/**
 * Status.
 */
status: AccountStatus, };

export type AppInfo = { 
/**
 * Tern's version.
 */
version: string, 
/**
 * Where Tern keeps settings and cache.
 */
dataDir: string, };

export type CommandError = { 
/**
 * Category.
 */
kind: ErrorKind, 
/**
 * A sentence for the user.
 */
message: string, 
/**
 * The refused certificate's fingerprint, for `untrustedCertificate`.
 */
fingerprint: string | null, };

export type Density = "comfortable" | "compact";

export type ErrorKind = "authFailed" | "authPolicy" | "insecure" | "untrustedCertificate" | "tls" | "unreachable" | "timeout" | "protocol" | "connectionLost" | "invalidSettings" | "keychain" | "missingSecret" | "notFound" | "storage" | "cache" | "unsafe" | "internal";

export type Folder = { 
/**
 * Wire name, used to address the folder in later commands.
 */
path: string, 
/**
 * Decoded display name.
 */
name: string, 
/**
 * Parent's `path`.
 */
parent: string | null, 
/**
 * Tree depth.
 */
depth: number, 
/**
 * Special-use role.
 */
role: FolderRole | null, 
/**
 * Whether it can be opened.
 */
selectable: boolean, 
/**
 * Whether the user subscribed.
 */
subscribed: boolean, 
/**
 * The user's own folder, another user's, or a shared one.
 */
namespace: FolderNamespace, };

export type FolderCounts = { 
/**
 * Folder path.
 */
path: string, 
/**
 * Messages cached.
 */
total: number, 
/**
 * Unread messages cached.
 */
unread: number, };

export type FolderNamespace = "personal" | "otherUsers" | "shared";

export type FolderRole = "inbox" | "drafts" | "sent" | "archive" | "junk" | "trash" | "all" | "flagged";

export type HeaderField = { 
/**
 * Field name as written.
 */
name: string, 
/**
 * Value, unfolded, encoded words decoded.
 */
value: string, };

export type ImapSettings = { 
/**
 * Host name.
 */
host: string, 
/**
 * Port.
 */
port: number, 
/**
 * Transport security.
 */
security: Security, 
/**
 * Login name.
 */
username: string, 
/**
 * A certificate fingerprint the user chose to trust.
 */
pinnedCertSha256: string | null, };

export type LinkActivated = { 
/**
 * The message document (its `MessageView::url`) the link is in.
 */
viewUrl: string, 
/**
 * Where it goes.
 */
href: string, 
/**
 * What it says.
 */
text: string, 
/**
 * Its text shows another domain than the one it goes to.
 */
mismatchedDomain: boolean, };

export type ListQuery = { 
/**
 * Where the rows come from.
 */
source: ListSource, 
/**
 * The order.
 */
sort: SortKey, 
/**
 * Newest, largest or last in the alphabet first (ties: newest first).
 */
descending: boolean, 
/**
 * Words that must each appear in the sender or subject (ignoring case); empty: every row.
 */
filter: string, 
/**
 * One row per conversation instead of per message.
 */
conversations: boolean, };

export type ListSource = { "kind": "folder", 
/**
 * The account.
 */
accountId: string, 
/**
 * The folder's IMAP path.
 */
path: string, } | { "kind": "allInboxes" };

export type MailEvent = { "kind": "mailboxChanged", 
/**
 * Account.
 */
accountId: string, 
/**
 * Folder path.
 */
path: string, 
/**
 * New UIDs.
 */
added: Array<number>, 
/**
 * Re-flagged UIDs.
 */
changed: Array<number>, 
/**
 * Removed UIDs.
 */
removed: Array<number>, 
/**
 * Not every change is listed: reload the folder.
 */
more: boolean, } | { "kind": "countsChanged", 
/**
 * Account.
 */
accountId: string, 
/**
 * Folder path.
 */
path: string, 
/**
 * Messages.
 */
total: number, 
/**
 * Unread.
 */
unread: number, } | { "kind": "foldersChanged", 
/**
 * Account.
 */
accountId: string, } | { "kind": "accountStatus", 
/**
 * Account.
 */
accountId: string, 
/**
 * Status.
 */
status: AccountStatus, } | { "kind": "newMail", 
/**
 * Account.
 */
accountId: string, 
/**
 * Folder path.
 */
path: string, 
/**
 * How many.
 */
count: number, };

export type MarkRead = { "kind": "immediately" } | { "kind": "afterSeconds", 
/**
 * Seconds the message must stay open.
 */
seconds: number, } | { "kind": "never" };

export type MessageAttachment = { 
/**
 * IMAP section, to download it.
 */
section: string, 
/**
 * File name, when it has one.
 */
filename: string | null, 
/**
 * Media type.
 */
mime: string, 
/**
 * About how many bytes it takes once saved (decoded).
 */
size: number, };

export type MessageLink = { 
/**
 * Where it goes.
 */
href: string, 
/**
 * What it says.
 */
text: string, 
/**
 * Its text shows another domain than the one it goes to.
 */
mismatchedDomain: boolean, 
/**
 * Which link of the message it is (`part/index`).
 */
id: string, };

export type MessagePage = { 
/**
 * Rows in the whole list: messages, or conversations in a conversation list, after the filter.
 */
total: number, 
/**
 * Unread messages in the folders shown.
 */
unread: number, 
/**
 * Index of the first row.
 */
offset: number, 
/**
 * The rows.
 */
rows: Array<MessageRow>, };

export type MessageRow = { 
/**
 * The account holding the message.
 */
accountId: string, 
/**
 * The folder holding the message (its IMAP path).
 */
path: string, 
/**
 * UID in the folder.
 */
uid: number, 
/**
 * Decoded subject.
 */
subject: string, 
/**
 * Senders.
 */
from: Array<Person>, 
/**
 * Recipients.
 */
to: Array<Person>, 
/**
 * Copied recipients.
 */
cc: Array<Person>, 
/**
 * The first words of the text, once it has been downloaded.
 */
snippet: string | null, 
/**
 * Arrival time, Unix seconds (what the list sorts by). Well within a JavaScript number.
 */
received: number, 
/**
 * `Date:` header, Unix seconds.
 */
date: number, 
/**
 * Size in bytes.
 */
size: number, 
/**
 * Read.
 */
seen: boolean, 
/**
 * Starred / flagged.
 */
flagged: boolean, 
/**
 * Replied to.
 */
answered: boolean, 
/**
 * A draft.
 */
draft: boolean, 
/**
 * Has attachments.
 */
hasAttachment: boolean, 
/**
 * Keywords / labels.
 */
keywords: Array<string>, 
/**
 * Conversation key (decimal string: it does not fit a JavaScript number).
 */
threadId: string, 
/**
 * Messages in the row's conversation, the user's replies in Sent included (1 for a single
 * message, and in the single-message list). In a conversation row, `seen` is false while
 * any of them is unread, and `flagged` and `hasAttachment` are true when any of them is.
 */
threadCount: number, };

export type MessageSource = { 
/**
 * Every header field, in order, decoded where it is encoded (name, value).
 */
headers: Array<HeaderField>, 
/**
 * The raw message as text (invalid UTF-8 replaced); the first megabyte when it is larger.
 */
raw: string, 
/**
 * The message's size in bytes.
 */
size: number, 
/**
 * The raw text stops short of the whole message.
 */
truncated: boolean, };

export type MessageView = { 
/**
 * The sanitized document, for an `<iframe sandbox>`'s `src` (served by the `tern-part`
 * scheme with its own Content-Security-Policy).
 */
url: string, 
/**
 * Remote images, styles and fonts left out (until the user loads remote content).
 */
blockedRemote: number, 
/**
 * Tracking pixels removed (always).
 */
trackingPixels: number, 
/**
 * The links in the message, for showing real targets and warning about disguised ones.
 */
links: Array<MessageLink>, 
/**
 * Attachments (not downloaded yet).
 */
attachments: Array<MessageAttachment>, 
/**
 * Parts that could not be shown, described.
 */
problems: Array<string>, 
/**
 * Remote content was loaded because the user always allows it for this sender.
 */
remoteAllowedForSender: boolean, 
/**
 * Plain-text parts are shown in a fixed-width font.
 */
monospace: boolean, };

export type NewAccountRequest = { 
/**
 * Name in the sidebar.
 */
displayName: string, 
/**
 * Address.
 */
email: string, 
/**
 * Incoming server.
 */
imap: ImapSettings, 
/**
 * The password; goes to the keychain and nowhere else.
 */
password: string, };

export type Person = { 
/**
 * Display name, if any.
 */
name: string | null, 
/**
 * Address.
 */
email: string, };

export type SavedAttachment = { 
/**
 * The file.
 */
path: string, 
/**
 * Its size in bytes (decoded).
 */
bytes: number, };

export type Security = "tls" | "starttls" | "plain";

export type Settings = { 
/**
 * Desktop notifications for new inbox mail.
 */
notifications: boolean, 
/**
 * When opening a message marks it read.
 */
markRead: MarkRead, 
/**
 * Senders whose messages load remote content without asking (lower-case addresses).
 */
remoteContentSenders: Array<string>, 
/**
 * Budget for downloaded message contents, in MiB (at least 64).
 */
cacheMb: number, 
/**
 * Plain-text mail in a fixed-width font.
 */
plainMonospace: boolean, 
/**
 * Download the newest inbox messages' text in the background.
 */
prefetch: boolean, 
/**
 * Group the list into conversations (false: one row per message).
 */
conversations: boolean, 
/**
 * Light, dark, or as the system is set.
 */
theme: Theme, 
/**
 * Row height of the message list.
 */
density: Density, 
/**
 * Width of the folder sidebar, in CSS pixels.
 */
sidebarWidth: number, 
/**
 * Width of the message list, in CSS pixels.
 */
listWidth: number, };

export type SortKey = "date" | "sender" | "subject" | "size";

export type StorageQuota = { 
/**
 * KiB in use.
 */
usedKib: number, 
/**
 * KiB allowed.
 */
limitKib: number, };

export type SyncMode = "initial" | "uidValidityReset" | "unchanged" | "qresync" | "condstore" | "fullScan";

export type SyncProgressEvent = { 
/**
 * Account.
 */
accountId: string, 
/**
 * Folder path.
 */
path: string, 
/**
 * Messages fetched so far.
 */
done: number, 
/**
 * Messages to fetch.
 */
total: number, };

export type SyncSummary = { 
/**
 * Account.
 */
accountId: string, 
/**
 * Folder path.
 */
path: string, 
/**
 * How.
 */
mode: SyncMode, 
/**
 * Messages fetched.
 */
added: number, 
/**
 * Flag changes.
 */
changed: number, 
/**
 * Messages removed.
 */
removed: number, 
/**
 * Messages in the folder now.
 */
total: number, 
/**
 * Unread messages now.
 */
unread: number, };

export type Theme = "system" | "light" | "dark";
