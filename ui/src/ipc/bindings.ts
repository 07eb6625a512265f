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

export type ErrorKind = "authFailed" | "authPolicy" | "insecure" | "untrustedCertificate" | "tls" | "unreachable" | "timeout" | "protocol" | "invalidSettings" | "keychain" | "missingSecret" | "notFound" | "storage" | "cache" | "internal";

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
subscribed: boolean, };

export type FolderRole = "inbox" | "drafts" | "sent" | "archive" | "junk" | "trash" | "all" | "flagged";

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

export type Security = "tls" | "starttls" | "plain";
