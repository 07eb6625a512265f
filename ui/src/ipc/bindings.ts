// This file is generated from Rust by `cargo test -p tern bindings` (ts-rs). Do not edit.

export type Account = { id: string, displayName: string, email: string, imap: ImapSettings, };

export type AppInfo = { version: string, dataDir: string, };

export type CommandError = { kind: ErrorKind, message: string, fingerprint: string | null, };

export type ErrorKind = "authFailed" | "authPolicy" | "insecure" | "untrustedCertificate" | "tls" | "unreachable" | "timeout" | "protocol" | "invalidSettings" | "keychain" | "missingSecret" | "notFound" | "storage" | "cache" | "internal";

export type Folder = { path: string, name: string, parent: string | null, depth: number, role: FolderRole | null, selectable: boolean, subscribed: boolean, };

export type FolderRole = "inbox" | "drafts" | "sent" | "archive" | "junk" | "trash" | "all" | "flagged";

export type ImapSettings = { host: string, port: number, security: Security, username: string, pinnedCertSha256: string | null, };

export type NewAccountRequest = { displayName: string, email: string, imap: ImapSettings, password: string, };

export type Security = "tls" | "starttls" | "plain";
