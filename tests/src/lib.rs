//! Fixtures for Tern's tests, benchmarks and demo: real mail servers and realistic mail.
//!
//! # Layout
//!
//! - [`dovecot`]: [`Dovecot`], a real Dovecot on loopback with its own configuration, certificate,
//!   users and maildirs, one per test, stopped on drop (also on panic).
//! - [`proxy`]: [`Proxy`], a TCP forwarder that can turn into a silent blackhole or cut every
//!   connection, for tests of dead and dropped connections, and counts the bytes it carries.
//! - [`sample`]: a deterministic sample-mail generator that seeds maildirs directly, fast enough
//!   for 100,000 messages, and hand-made messages for reading tests (legacy charsets, encoded
//!   attachment names, inline images, a 20 MiB attachment).
//!
//! The integration tests live in `it/` (one binary, `cargo test -p tern-tests`), the demo server
//! for `make run` in `src/bin/tern-demo.rs`. Tests that use the OS keychain need a Secret Service:
//! run them through `tests/fixtures/with-keyring.sh`.

pub mod dovecot;
pub mod proxy;
pub mod sample;

pub use dovecot::{DEFAULT_PASSWORD, DEFAULT_USER, Dovecot, DovecotOptions, MailStorage};
pub use proxy::{Proxy, Traffic};
pub use sample::{Generator, Sample, SampleFile, SeedReport};
