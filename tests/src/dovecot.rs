//! A real Dovecot on loopback, owned by one test (or benchmark, or the demo).
//!
//! [`Dovecot::start`] writes a complete configuration into its own directory (a temporary one by
//! default), generates a self-signed certificate, picks free ports, starts `dovecot -c CONF -F` as
//! a child in its own process group and waits until both listeners accept connections. Dropping
//! the [`Dovecot`] stops it (SIGTERM to the master, then a kill of the whole process group), also
//! when the test panics, so parallel tests each get their own server and leave no process behind.
//!
//! # What the server looks like
//!
//! - Implicit TLS on `127.0.0.1:`[`Dovecot::tls_port`]; plain + STARTTLS on
//!   [`Dovecot::starttls_host`]`:`[`Dovecot::starttls_port`].
//! - `ssl = required`: LOGIN without TLS is refused (`LOGINDISABLED`, `NO [PRIVACYREQUIRED]`).
//!   Dovecot treats a connection whose remote address equals its local address as "secured" and
//!   allows plaintext there (hard-coded, no setting turns it off), so on Linux the plain listener
//!   binds `127.0.0.2`: clients connect from `127.0.0.1` and are treated as untrusted.
//! - Users from a passwd-file with `{PLAIN}` passwords ([`Dovecot::add_user`] and
//!   [`Dovecot::set_password`] take effect at once), Maildir++ under [`Dovecot::maildir`] with `/`
//!   as the hierarchy separator (`Work/Projects` is `.Work.Projects` on disk).
//!   [`DovecotOptions::sdbox`] keeps the mail in Dovecot's own single-file format instead, as
//!   large Dovecot installations do (the benchmark's 100,000-message inbox): see [`MailStorage`].
//! - Special-use Drafts, Sent, Trash, Junk and Archive, auto-created and subscribed.
//! - CONDSTORE, QRESYNC, IDLE, MOVE, UIDPLUS, QUOTA, COMPRESS; [`DovecotOptions::without_qresync`]
//!   hides CONDSTORE and QRESYNC, [`DovecotOptions::condstore_only`] hides QRESYNC alone,
//!   [`DovecotOptions::without_idle`] hides IDLE, to exercise fallbacks.
//! - [`DovecotOptions::rawlog`] keeps what each session says to the server (after TLS and
//!   login), read back with [`Dovecot::commands`].
//! - During IDLE, Dovecot sends `* OK Still here` every 2 minutes;
//!   [`DovecotOptions::idle_notify`] shortens that.
//! - [`DovecotOptions::without_starttls`] turns TLS off on the plain listener: it then offers
//!   neither STARTTLS nor LOGIN (`LOGINDISABLED`), like a misconfigured or downgraded server.
//! - Test-friendly limits: no auth-failure penalty, `vsz_limit = 2G`, no fsync, dirty maildir
//!   syncs, 1,000 connections per user and IP.
//!
//! # Connection faults
//!
//! [`Dovecot::pause`] stops the server (every open connection is closed) and
//! [`Dovecot::resume`] starts it again on the same ports with the same certificate, users and
//! mail; [`Dovecot::kick`] ends every session of one user while the server keeps running. A
//! silently dead network path is [`crate::Proxy`]'s job.
//!
//! As root, the server's processes run as `nobody` and the maildirs are owned by
//! `nobody:nogroup`; as another user everything runs as that user (with `chroot` disabled).

use std::collections::BTreeMap;
use std::fmt;
use std::fs;
use std::io::{self, Write};
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4, TcpListener, TcpStream};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tern_core::account::{ImapServer, Security};

use crate::sample::{self, SeedReport};

/// The user every fixture has unless told otherwise.
pub const DEFAULT_USER: &str = "ann@tern.test";
/// [`DEFAULT_USER`]'s password.
pub const DEFAULT_PASSWORD: &str = "correct horse battery staple";

/// Capabilities Dovecot 2.3 offers after login, minus IDLE, CONDSTORE and QRESYNC (and minus
/// COMPRESS/QUOTA, which their plugins add on their own). `capability_setting` adds back what the
/// options ask for.
const BASE_CAPABILITIES: &str = "IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE SORT \
     SORT=DISPLAY THREAD=REFERENCES THREAD=REFS THREAD=ORDEREDSUBJECT MULTIAPPEND URL-PARTIAL \
     CATENATE UNSELECT CHILDREN NAMESPACE UIDPLUS LIST-EXTENDED I18NLEVEL=1 ESEARCH ESORT SEARCHRES \
     WITHIN CONTEXT=SEARCH LIST-STATUS BINARY MOVE SNIPPET=FUZZY PREVIEW=FUZZY PREVIEW STATUS=SIZE \
     SAVEDATE LITERAL+ SPECIAL-USE";

/// How long Dovecot may take to open its listeners.
const START_TIMEOUT: Duration = Duration::from_secs(20);

/// Ports handed out by this process, so parallel fixtures never pick the same one.
static HANDED_OUT: Mutex<Vec<u16>> = Mutex::new(Vec::new());

/// How the server stores mail.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum MailStorage {
    /// Maildir++, one file per message under [`Dovecot::maildir`]: seeding writes the files
    /// directly (fast), and tests can reach into them. Each session keeps its own view of the
    /// folder's `dovecot-uidlist`, one line per message, and reads it again whole when another
    /// session adds a message: at 100,000 messages that is tens of milliseconds of the server's
    /// time per session and arrival, which makes every session's news late by a different amount.
    #[default]
    Maildir,
    /// Dovecot's single-dbox (`sdbox`): one file per message, everything else in Dovecot's
    /// indexes, no per-message list to read again. What Dovecot recommends for large folders.
    /// Seeding writes a maildir aside and imports it (`doveadm import`): about 25 s for 100,000
    /// messages.
    Sdbox,
}

impl MailStorage {
    /// The name the benchmark records (`maildir`, `sdbox`).
    pub fn name(self) -> &'static str {
        match self {
            MailStorage::Maildir => "maildir",
            MailStorage::Sdbox => "sdbox",
        }
    }
}

/// How to start a [`Dovecot`]. `DovecotOptions::default()` is a throw-away server in a temporary
/// directory with [`DEFAULT_USER`], free ports and every extension on.
#[derive(Debug, Clone)]
pub struct DovecotOptions {
    /// Directory for the configuration, certificate, maildirs and logs. `None`: a temporary
    /// directory removed on drop. An existing directory is reused (certificate and mail kept).
    pub dir: Option<PathBuf>,
    /// Implicit-TLS port; `None` picks a free one.
    pub tls_port: Option<u16>,
    /// Plain/STARTTLS port; `None` picks a free one.
    pub starttls_port: Option<u16>,
    /// Advertise CONDSTORE and QRESYNC (the default). `false` overrides `imap_capability`.
    pub condstore_qresync: bool,
    /// Advertise CONDSTORE but not QRESYNC (ignored when `condstore_qresync` is false).
    pub condstore_only: bool,
    /// Offer STARTTLS on the plain listener (the default).
    pub starttls: bool,
    /// Let Dovecot daemonize and keep running after this process exits (the demo server).
    /// Dropping the handle then does not stop it; use [`Dovecot::stop_dir`].
    pub daemon: bool,
    /// Users and their passwords.
    pub users: Vec<(String, String)>,
    /// Courier-style personal namespace: every folder under `INBOX.` with `.` as separator.
    pub inbox_prefix: bool,
    /// A public namespace `Shared/` (folders in `dir/public`, readable by every user).
    pub shared_namespace: bool,
    /// Advertise IDLE (the default). `false` overrides `imap_capability`.
    pub idle: bool,
    /// Advertise NOTIFY (the default). `false` overrides `imap_capability`.
    pub notify: bool,
    /// `imap_idle_notify_interval` in seconds: how often Dovecot sends `* OK Still here` during
    /// IDLE. `None`: Dovecot's default (2 minutes).
    pub idle_notify_secs: Option<u32>,
    /// Keep every session's commands ([`Dovecot::commands`]): Dovecot's `rawlog_dir`.
    pub rawlog: bool,
    /// How the personal mail is stored (the shared namespace is always a maildir).
    pub storage: MailStorage,
}

impl Default for DovecotOptions {
    fn default() -> Self {
        Self {
            dir: None,
            tls_port: None,
            starttls_port: None,
            condstore_qresync: true,
            condstore_only: false,
            starttls: true,
            daemon: false,
            users: vec![(DEFAULT_USER.to_string(), DEFAULT_PASSWORD.to_string())],
            inbox_prefix: false,
            shared_namespace: false,
            idle: true,
            notify: true,
            idle_notify_secs: None,
            rawlog: false,
            storage: MailStorage::Maildir,
        }
    }
}

impl DovecotOptions {
    /// Keeps everything under `dir` (reused across runs).
    pub fn in_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.dir = Some(dir.into());
        self
    }

    /// Fixed ports instead of free ones.
    pub fn ports(mut self, tls: u16, starttls: u16) -> Self {
        self.tls_port = Some(tls);
        self.starttls_port = Some(starttls);
        self
    }

    /// Hides CONDSTORE and QRESYNC from CAPABILITY, to test the fallbacks.
    pub fn without_qresync(mut self) -> Self {
        self.condstore_qresync = false;
        self
    }

    /// Advertises CONDSTORE but hides QRESYNC, to test the CONDSTORE-only resync.
    pub fn condstore_only(mut self) -> Self {
        self.condstore_only = true;
        self
    }

    /// Hides IDLE from CAPABILITY (the command itself still works), to test polling fallbacks.
    pub fn without_idle(mut self) -> Self {
        self.idle = false;
        self
    }

    /// Hides NOTIFY (RFC 5465) from CAPABILITY, so clients fall back to polling other folders.
    pub fn without_notify(mut self) -> Self {
        self.notify = false;
        self
    }

    /// Sends `* OK Still here` every `secs` seconds during IDLE (Dovecot's default: 2 minutes).
    pub fn idle_notify(mut self, secs: u32) -> Self {
        self.idle_notify_secs = Some(secs);
        self
    }

    /// Keeps what every session says to the server, for [`Dovecot::commands`].
    pub fn rawlog(mut self) -> Self {
        self.rawlog = true;
        self
    }

    /// No TLS at all on the plain listener: its greeting offers no STARTTLS (and, TLS being
    /// required for logins, `LOGINDISABLED`), and a `STARTTLS` command is refused.
    pub fn without_starttls(mut self) -> Self {
        self.starttls = false;
        self
    }

    /// Adds (or replaces) a user.
    pub fn user(mut self, name: &str, password: &str) -> Self {
        self.users.retain(|(u, _)| u != name);
        self.users.push((name.to_string(), password.to_string()));
        self
    }

    /// Only these users (drops [`DEFAULT_USER`]).
    pub fn only_user(mut self, name: &str, password: &str) -> Self {
        self.users = vec![(name.to_string(), password.to_string())];
        self
    }

    /// Courier-style layout: the personal namespace has the prefix `INBOX.` and `.` as
    /// separator, so folders are `INBOX.Sent`, `INBOX.Work.Projects`...
    pub fn inbox_prefix(mut self) -> Self {
        self.inbox_prefix = true;
        self
    }

    /// Adds a public namespace `Shared/` whose folders every user sees (see
    /// [`Dovecot::shared_dir`]).
    pub fn shared_namespace(mut self) -> Self {
        self.shared_namespace = true;
        self
    }

    /// Daemonized server that outlives this process.
    pub fn daemon(mut self) -> Self {
        self.daemon = true;
        self
    }

    /// Stores the personal mail as single-dbox ([`MailStorage::Sdbox`]) instead of Maildir++.
    pub fn sdbox(mut self) -> Self {
        self.storage = MailStorage::Sdbox;
        self
    }
}

/// A running Dovecot. See the module documentation.
pub struct Dovecot {
    /// Root of everything this server uses.
    dir: PathBuf,
    /// Keeps a temporary `dir` alive; removed after the server stopped.
    temp: Option<tempfile::TempDir>,
    /// `dir/dovecot.conf`.
    conf: PathBuf,
    /// The `dovecot -F` child (none for a daemon).
    child: Option<Child>,
    /// Implicit-TLS listener.
    tls_addr: SocketAddr,
    /// Plain/STARTTLS listener.
    starttls_addr: SocketAddr,
    /// The server certificate (DER).
    cert_der: Vec<u8>,
    /// Its SHA-256 fingerprint as Tern formats it.
    fingerprint: String,
    /// Owner (uid, gid) of the mail files.
    mail_owner: (u32, u32),
    /// Users and passwords, mirrored into `dir/users`.
    users: Mutex<BTreeMap<String, String>>,
    /// Started as a daemon ([`DovecotOptions::daemon`]).
    daemon: bool,
    /// Stopped by [`Dovecot::pause`], not yet resumed.
    paused: bool,
    /// How the personal mail is stored.
    storage: MailStorage,
}

impl fmt::Debug for Dovecot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Dovecot")
            .field("dir", &self.dir)
            .field("tls_addr", &self.tls_addr)
            .field("starttls_addr", &self.starttls_addr)
            .field("fingerprint", &self.fingerprint)
            .finish_non_exhaustive()
    }
}

fn err(msg: impl Into<String>) -> io::Error {
    io::Error::other(msg.into())
}

fn with_path(e: io::Error, what: &str, path: &Path) -> io::Error {
    io::Error::new(e.kind(), format!("{what} {}: {e}", path.display()))
}

/// Who runs the server processes and owns the mail.
#[derive(Debug, Clone)]
struct Identity {
    /// Running as root.
    root: bool,
    /// Value for `default_internal_user` / `default_login_user`.
    login_user: String,
    /// (uid, gid) of mail files.
    mail_owner: (u32, u32),
}

fn identity(dir: &Path) -> io::Result<Identity> {
    // Our effective uid/gid, without unsafe code: the owner of a file we just created.
    let probe = dir.join(".tern-owner-probe");
    fs::write(&probe, b"")?;
    let meta = fs::metadata(&probe)?;
    fs::remove_file(&probe)?;
    if meta.uid() == 0 {
        let uid = lookup_id("/etc/passwd", "nobody").unwrap_or(65534);
        let gid =
            lookup_id("/etc/group", "nogroup").or_else(|| lookup_id("/etc/group", "nobody")).unwrap_or(65534);
        Ok(Identity { root: true, login_user: "nobody".into(), mail_owner: (uid, gid) })
    } else {
        let name = Command::new("id")
            .arg("-un")
            .output()
            .ok()
            .and_then(|o| String::from_utf8(o.stdout).ok())
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .or_else(|| std::env::var("USER").ok())
            .ok_or_else(|| err("cannot tell which user this is (id -un failed and USER is unset)"))?;
        Ok(Identity { root: false, login_user: name, mail_owner: (meta.uid(), meta.gid()) })
    }
}

/// The numeric id of `name` in a passwd/group style file.
fn lookup_id(file: &str, name: &str) -> Option<u32> {
    let text = fs::read_to_string(file).ok()?;
    text.lines().find_map(|line| {
        let mut fields = line.split(':');
        (fields.next()? == name).then_some(())?;
        fields.nth(1)?.parse().ok()
    })
}

/// A port nobody listens on right now at `ip`, not handed out before by this process.
fn free_port(ip: Ipv4Addr) -> io::Result<u16> {
    for _ in 0..50 {
        let port = TcpListener::bind(SocketAddrV4::new(ip, 0))?.local_addr()?.port();
        let mut seen = HANDED_OUT.lock().unwrap_or_else(|p| p.into_inner());
        if !seen.contains(&port) {
            seen.push(port);
            return Ok(port);
        }
    }
    Err(err("no free port found"))
}

/// The address of the plain/STARTTLS listener: different from the client's source address (see
/// the module documentation) where the OS routes all of 127/8 to loopback.
fn starttls_ip() -> Ipv4Addr {
    if cfg!(target_os = "linux") { Ipv4Addr::new(127, 0, 0, 2) } else { Ipv4Addr::LOCALHOST }
}

impl Dovecot {
    /// Starts a server as described by `options` and waits until it accepts connections.
    pub fn start(options: DovecotOptions) -> io::Result<Self> {
        let (dir, temp) = match &options.dir {
            Some(dir) => {
                fs::create_dir_all(dir).map_err(|e| with_path(e, "creating", dir))?;
                (dir.canonicalize()?, None)
            }
            None => {
                let temp = tempfile::Builder::new().prefix("tern-dovecot-").tempdir()?;
                (temp.path().to_path_buf(), Some(temp))
            }
        };
        // Server processes running as `nobody` must reach the maildirs and the users file.
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o755))?;
        let who = identity(&dir)?;
        for sub in ["run", "state", "mail", "public/cur", "public/new", "public/tmp"] {
            fs::create_dir_all(dir.join(sub))?;
        }
        for owned in ["mail", "public", "public/cur", "public/new", "public/tmp"] {
            chown(&dir.join(owned), who.mail_owner)?;
        }
        if options.rawlog {
            fs::create_dir_all(dir.join("rawlog"))?;
            chown(&dir.join("rawlog"), who.mail_owner)?;
        }
        let (cert_der, _) = certificate(&dir)?;
        let fingerprint = tern_core::imap::tls::fingerprint(&cert_der);

        let mut users = read_users(&dir.join("users"));
        for (user, password) in &options.users {
            users.insert(user.clone(), password.clone());
        }

        let mut server = Self {
            conf: dir.join("dovecot.conf"),
            dir,
            temp,
            child: None,
            tls_addr: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            starttls_addr: SocketAddr::from((starttls_ip(), 0)),
            cert_der,
            fingerprint,
            mail_owner: who.mail_owner,
            users: Mutex::new(users),
            daemon: options.daemon,
            paused: false,
            storage: options.storage,
        };
        server.write_users()?;
        for user in server.user_names() {
            server.create_maildir(&user)?;
        }

        let fixed = options.tls_port.is_some() && options.starttls_port.is_some();
        let mut attempt = 0;
        loop {
            attempt += 1;
            let tls_port = match options.tls_port {
                Some(p) => p,
                None => free_port(Ipv4Addr::LOCALHOST)?,
            };
            let starttls_port = match options.starttls_port {
                Some(p) => p,
                None => free_port(starttls_ip())?,
            };
            server.tls_addr = SocketAddr::from((Ipv4Addr::LOCALHOST, tls_port));
            server.starttls_addr = SocketAddr::from((starttls_ip(), starttls_port));
            fs::write(&server.conf, server.config(&who, &options))?;
            match server.launch() {
                Ok(()) => return Ok(server),
                // Another process may have taken a port between our probe and Dovecot's bind.
                Err(e) if !fixed && attempt < 4 && server.log().contains("Address already in use") => {
                    tracing_note(&format!("retrying Dovecot start: {e}"));
                    let _ = fs::write(server.log_path(), b"");
                }
                Err(e) => return Err(e),
            }
        }
    }

    fn launch(&mut self) -> io::Result<()> {
        let daemon = self.daemon;
        let out = fs::File::create(self.dir.join("dovecot.out"))?;
        let mut cmd = Command::new("dovecot");
        cmd.arg("-c").arg(&self.conf);
        if !daemon {
            cmd.arg("-F");
        }
        cmd.stdin(Stdio::null()).stdout(out.try_clone()?).stderr(out).process_group(0);
        let mut child = cmd.spawn().map_err(|e| {
            err(format!("could not run `dovecot` ({e}); install it with `apt-get install dovecot-imapd`"))
        })?;
        if daemon {
            let status = child.wait()?;
            if !status.success() {
                return Err(err(format!("dovecot exited with {status}: {}", self.diagnostics())));
            }
        } else {
            self.child = Some(child);
        }
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Some(child) = self.child.as_mut()
                && let Some(status) = child.try_wait()?
            {
                self.child = None;
                return Err(err(format!("dovecot exited with {status}: {}", self.diagnostics())));
            }
            if accepts(self.tls_addr) && accepts(self.starttls_addr) {
                return Ok(());
            }
            if Instant::now() > deadline {
                self.shutdown();
                return Err(err(format!("dovecot did not open its ports in time: {}", self.diagnostics())));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn diagnostics(&self) -> String {
        let out = fs::read_to_string(self.dir.join("dovecot.out")).unwrap_or_default();
        format!("{}{}(config {})", out, self.log(), self.conf.display())
    }

    /// Process id of the `dovecot -F` master (also its process group); `None` for a daemon.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// The host of the implicit-TLS listener (`127.0.0.1`).
    pub fn host(&self) -> String {
        self.tls_addr.ip().to_string()
    }

    /// The implicit-TLS port.
    pub fn tls_port(&self) -> u16 {
        self.tls_addr.port()
    }

    /// The host of the plain/STARTTLS listener (`127.0.0.2` on Linux, see the module docs).
    pub fn starttls_host(&self) -> String {
        self.starttls_addr.ip().to_string()
    }

    /// The plain/STARTTLS port.
    pub fn starttls_port(&self) -> u16 {
        self.starttls_addr.port()
    }

    /// The implicit-TLS listener address.
    pub fn tls_addr(&self) -> SocketAddr {
        self.tls_addr
    }

    /// The plain/STARTTLS listener address.
    pub fn starttls_addr(&self) -> SocketAddr {
        self.starttls_addr
    }

    /// The server certificate, DER.
    pub fn cert_der(&self) -> &[u8] {
        &self.cert_der
    }

    /// The certificate's SHA-256 fingerprint, formatted by `tern_core::imap::tls::fingerprint`.
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// The certificate as PEM (for tools that want a CA file).
    pub fn cert_pem_path(&self) -> PathBuf {
        self.dir.join("cert.pem")
    }

    /// The directory holding configuration, certificate, mail and logs.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The Dovecot configuration file.
    pub fn config_path(&self) -> &Path {
        &self.conf
    }

    /// What each session said to the server so far, one list of lines per session, in the
    /// order the sessions started (needs [`DovecotOptions::rawlog`]; empty without it).
    pub fn commands(&self) -> Vec<Vec<String>> {
        let Ok(entries) = fs::read_dir(self.dir.join("rawlog")) else { return vec![] };
        let mut files: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "in"))
            .collect();
        files.sort();
        files
            .iter()
            .map(|f| fs::read_to_string(f).unwrap_or_default().lines().map(str::to_string).collect())
            .collect()
    }

    /// Dovecot's log file.
    pub fn log_path(&self) -> PathBuf {
        self.dir.join("dovecot.log")
    }

    /// Dovecot's log so far (empty if unreadable).
    pub fn log(&self) -> String {
        fs::read_to_string(self.log_path()).unwrap_or_default()
    }

    /// The configured user names.
    pub fn user_names(&self) -> Vec<String> {
        self.users.lock().unwrap_or_else(|p| p.into_inner()).keys().cloned().collect()
    }

    /// The password of `user`, if it exists.
    pub fn password(&self, user: &str) -> Option<String> {
        self.users.lock().unwrap_or_else(|p| p.into_inner()).get(user).cloned()
    }

    /// Adds a user (or changes its password); effective for the next login (this waits up to
    /// a second, see `reload_auth`).
    pub fn add_user(&self, user: &str, password: &str) -> io::Result<()> {
        if user.contains([':', '\n', '/']) || password.contains(['\n', ':']) || user.is_empty() {
            return Err(err(format!("unusable user name or password for {user:?}")));
        }
        self.users.lock().unwrap_or_else(|p| p.into_inner()).insert(user.to_string(), password.to_string());
        self.write_users()?;
        self.create_maildir(user)?;
        self.reload_auth()
    }

    /// Changes the password of an existing user; effective for the next login.
    pub fn set_password(&self, user: &str, password: &str) -> io::Result<()> {
        if self.password(user).is_none() {
            return Err(err(format!("no user {user}")));
        }
        self.add_user(user, password)
    }

    /// Removes a user's login (its mail stays on disk).
    pub fn remove_user(&self, user: &str) -> io::Result<()> {
        self.users.lock().unwrap_or_else(|p| p.into_inner()).remove(user);
        self.write_users()?;
        self.reload_auth()
    }

    /// Makes a running server see the new users file: Dovecot checks a passwd-file for changes
    /// at most once per second (of its clock), so wait for the next second to begin.
    fn reload_auth(&self) -> io::Result<()> {
        if self.child.is_some() || Self::is_running(&self.dir) {
            let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
            let to_next_second = Duration::from_nanos(1_000_000_000 - u64::from(now.subsec_nanos()));
            std::thread::sleep(to_next_second + Duration::from_millis(20));
        }
        Ok(())
    }

    fn write_users(&self) -> io::Result<()> {
        let users = self.users.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let mut text = String::new();
        for (user, password) in users {
            text.push_str(&format!("{user}:{{PLAIN}}{password}::::::\n"));
        }
        // Replace atomically: Dovecot re-reads the file when it changes.
        let path = self.dir.join("users");
        let tmp = self.dir.join("users.tmp");
        let mut file = fs::File::create(&tmp)?;
        file.write_all(text.as_bytes())?;
        drop(file);
        fs::set_permissions(&tmp, fs::Permissions::from_mode(0o644))?;
        fs::rename(&tmp, &path)
    }

    fn create_maildir(&self, user: &str) -> io::Result<()> {
        let root = self.maildir(user);
        // Dovecot lays out an sdbox root itself; it only needs to be able to write there.
        let subs: &[&str] = match self.storage {
            MailStorage::Maildir => &["", "cur", "new", "tmp"],
            MailStorage::Sdbox => &[""],
        };
        for sub in subs {
            let path = root.join(sub);
            if !path.exists() {
                fs::create_dir_all(&path)?;
                chown(&path, self.mail_owner)?;
            }
        }
        Ok(())
    }

    /// How the personal mail is stored.
    pub fn storage(&self) -> MailStorage {
        self.storage
    }

    /// The Maildir++ root (INBOX) of `user` (with [`MailStorage::Sdbox`], the sdbox root).
    pub fn maildir(&self, user: &str) -> PathBuf {
        self.dir.join("mail").join(user)
    }

    /// The maildir directory of `folder` (`"INBOX"`, `"Sent"`, `"Work/Projects"`...) of `user`
    /// ([`MailStorage::Maildir`] only).
    pub fn folder_dir(&self, user: &str, folder: &str) -> PathBuf {
        sample::folder_dir(&self.maildir(user), folder)
    }

    /// The Maildir++ root of the `Shared/` namespace ([`DovecotOptions::shared_namespace`]).
    pub fn shared_dir(&self) -> PathBuf {
        self.dir.join("public")
    }

    /// Writes `count` generated messages into `folder` of the shared namespace (`"News"` is
    /// `Shared/News` on the wire).
    pub fn seed_shared(&self, folder: &str, count: usize, seed: u64) -> io::Result<SeedReport> {
        sample::seed(&self.shared_dir(), folder, count, seed)
    }

    /// Writes `count` generated messages into `folder` of `user` (see [`sample::seed`]). Safe
    /// while the server runs; log in (or SELECT) afterwards to see them. With
    /// [`MailStorage::Sdbox`] the server must be running: the messages are written to a maildir
    /// aside and imported through Dovecot.
    pub fn seed(&self, user: &str, folder: &str, count: usize, seed: u64) -> io::Result<SeedReport> {
        self.seed_generated(user, folder, count, &mut sample::Generator::new(seed))
    }

    /// Writes `count` messages from `generator` into `folder` of `user`, as [`Dovecot::seed`]
    /// does (see [`sample::seed_with`]).
    pub fn seed_generated(
        &self,
        user: &str,
        folder: &str,
        count: usize,
        generator: &mut sample::Generator,
    ) -> io::Result<SeedReport> {
        self.create_maildir(user)?;
        match self.storage {
            MailStorage::Maildir => sample::seed_with(&self.maildir(user), folder, count, generator),
            MailStorage::Sdbox => {
                self.import(user, folder, |staging| sample::seed_with(staging, folder, count, generator))
            }
        }
    }

    /// Imports what `write` puts into a maildir aside into `folder` of `user`
    /// (`doveadm import`), then removes that maildir.
    fn import(
        &self,
        user: &str,
        folder: &str,
        write: impl FnOnce(&Path) -> io::Result<SeedReport>,
    ) -> io::Result<SeedReport> {
        let staging = self.dir.join("staging").join(user);
        if staging.exists() {
            fs::remove_dir_all(&staging)?;
        }
        for sub in ["cur", "new", "tmp"] {
            fs::create_dir_all(staging.join(sub))?;
        }
        let report = write(&staging)?;
        // doveadm reads the source as the mail's owner and keeps its uid list there.
        chown_tree(&staging, self.mail_owner)?;
        // The source's folders are named as Maildir++ names them: `Work.Projects`.
        let source =
            if folder.eq_ignore_ascii_case("INBOX") { "INBOX".to_string() } else { folder.replace('/', ".") };
        let location = format!("maildir:{}:INDEX=MEMORY", staging.display());
        let imported = self.doveadm(&["import", "-u", user, &location, "", "mailbox", &source]);
        let _ = fs::remove_dir_all(self.dir.join("staging"));
        imported?;
        Ok(report)
    }

    /// Like [`Dovecot::seed`] with only `distinct` generated messages, the rest hard links to
    /// them (see [`sample::seed_linked`]): tens of thousands of messages in well under a second.
    pub fn seed_linked(
        &self,
        user: &str,
        folder: &str,
        count: usize,
        distinct: usize,
        seed: u64,
    ) -> io::Result<SeedReport> {
        self.create_maildir(user)?;
        match self.storage {
            MailStorage::Maildir => sample::seed_linked(&self.maildir(user), folder, count, distinct, seed),
            MailStorage::Sdbox => self
                .import(user, folder, |staging| sample::seed_linked(staging, folder, count, distinct, seed)),
        }
    }

    /// Tern's settings for logging in as `user` with `security`, the certificate pinned.
    /// `Tls` uses the implicit-TLS port; `StartTls` and `Plain` the other one.
    pub fn server_settings(&self, user: &str, security: Security) -> ImapServer {
        let (host, port) = match security {
            Security::Tls => (self.host(), self.tls_port()),
            Security::StartTls | Security::Plain => (self.starttls_host(), self.starttls_port()),
        };
        ImapServer {
            host,
            port,
            security,
            username: user.to_string(),
            pinned_cert_sha256: Some(self.fingerprint.clone()),
            disable_condstore: false,
        }
    }

    /// Runs `doveadm -c CONF ARGS...` and returns its standard output.
    pub fn doveadm(&self, args: &[&str]) -> io::Result<String> {
        let out =
            Command::new("doveadm").arg("-c").arg(&self.conf).args(args).stdin(Stdio::null()).output()?;
        if !out.status.success() {
            return Err(err(format!(
                "doveadm {} failed: {}{}",
                args.join(" "),
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            )));
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// Saves one RFC 5322 message into `folder` of `user` through Dovecot (`doveadm save`):
    /// slow (tens of ms), but goes through the server like a delivery would.
    pub fn append(&self, user: &str, folder: &str, message: &[u8]) -> io::Result<()> {
        let mut child = Command::new("doveadm")
            .arg("-c")
            .arg(&self.conf)
            .args(["save", "-u", user, "-m", folder])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()?;
        if let Some(mut stdin) = child.stdin.take() {
            stdin.write_all(message)?;
        }
        let out = child.wait_with_output()?;
        if !out.status.success() {
            return Err(err(format!("doveadm save failed: {}", String::from_utf8_lossy(&out.stderr))));
        }
        Ok(())
    }

    /// Stops the server and waits for it (dropping does the same).
    pub fn stop(mut self) -> io::Result<()> {
        self.shutdown();
        Ok(())
    }

    /// Stops the server mid-test, to be started again by [`Dovecot::resume`] on the same ports
    /// with the same directory, certificate, users and mail. Every Dovecot process ends, so
    /// connected clients see their connections closed (after a `* BYE` if the process got to
    /// say it); returns once neither port accepts connections (they are refused, not silently
    /// dropped). Does nothing when already paused. Dropping a paused server still cleans up.
    pub fn pause(&mut self) -> io::Result<()> {
        if self.paused {
            return Ok(());
        }
        if self.daemon {
            Self::stop_dir(&self.dir)?;
        } else {
            self.shutdown();
        }
        self.paused = true;
        let deadline = Instant::now() + START_TIMEOUT;
        while accepts(self.tls_addr) || accepts(self.starttls_addr) {
            if Instant::now() > deadline {
                return Err(err(format!(
                    "dovecot's ports still accept connections after it stopped: {}",
                    self.diagnostics()
                )));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(())
    }

    /// Starts a [paused](Dovecot::pause) server again with the same configuration and waits
    /// until it accepts connections. Does nothing when the server runs.
    pub fn resume(&mut self) -> io::Result<()> {
        if !self.paused {
            return Ok(());
        }
        // The listeners Dovecot opens set SO_REUSEADDR: connections of the previous run left in
        // TIME_WAIT do not keep it from binding the same ports.
        self.launch()?;
        self.paused = false;
        Ok(())
    }

    /// True between [`Dovecot::pause`] and [`Dovecot::resume`].
    pub fn is_paused(&self) -> bool {
        self.paused
    }

    /// Disconnects every IMAP session of `user` (`doveadm kick`) while the server keeps
    /// running: each of their connections gets `* BYE` and is closed. Returns once the processes
    /// of those sessions ended (a command sent before that may still be answered). Fine when
    /// the user has no session.
    pub fn kick(&self, user: &str) -> io::Result<()> {
        let pids = self.session_pids(user)?;
        if pids.is_empty() {
            return Ok(());
        }
        match self.doveadm(&["kick", user]) {
            Ok(_) => {}
            // doveadm fails (exit code 67) when it found nobody to kick: they left meanwhile.
            Err(e) if e.to_string().contains("no users kicked") => {}
            Err(e) => return Err(e),
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        while let Some(pid) = pids.iter().copied().find(|&pid| pid_alive(pid)) {
            if Instant::now() > deadline {
                return Err(err(format!("session process {pid} of {user} still runs after doveadm kick")));
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        Ok(())
    }

    /// Process ids of the IMAP sessions of `user` (one process per session), from
    /// `doveadm who -1`, which asks the anvil process that every session registers with.
    pub fn session_pids(&self, user: &str) -> io::Result<Vec<u32>> {
        let who = self.doveadm(&["who", "-1", user])?;
        // "username proto pid ip" under a header line.
        Ok(who
            .lines()
            .filter_map(|line| {
                let fields: Vec<&str> = line.split_whitespace().collect();
                (fields.first() == Some(&user)).then(|| fields.get(2)?.parse().ok()).flatten()
            })
            .collect())
    }

    /// True when a server started (as a daemon) in `dir` is running.
    pub fn is_running(dir: &Path) -> bool {
        master_pid(dir).is_some_and(pid_alive)
    }

    /// Stops the server started in `dir` (a daemon from an earlier run). `Ok(false)` if none ran.
    pub fn stop_dir(dir: &Path) -> io::Result<bool> {
        let Some(pid) = master_pid(dir).filter(|&pid| pid_alive(pid)) else {
            return Ok(false);
        };
        let _ = Command::new("doveadm")
            .arg("-c")
            .arg(dir.join("dovecot.conf"))
            .arg("stop")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while pid_alive(pid) {
            if Instant::now() > deadline {
                let _ = Command::new("kill").args(["-KILL", &pid.to_string()]).status();
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(true)
    }

    /// Stops a `-F` child: politely, then the whole process group. Idempotent.
    fn shutdown(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        // What `doveadm stop` does, minus its wait: doveadm polls the master's pid, which as our
        // unreaped child stays a zombie until `try_wait` below, so it would always wait for its
        // full timeout. The sessions say BYE and end within milliseconds; the master itself
        // takes about a second, and one stopped right after it started sometimes never exits
        // (further SIGTERMs do not help): the kill below ends what is left.
        let _ = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let deadline = Instant::now() + Duration::from_millis(1500);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        // The child leads its own process group: whatever is left of it goes too.
        let group = format!("-{}", child.id());
        let _ = Command::new("kill")
            .args(["-KILL", "--", &group])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = child.kill();
        let _ = child.wait();
    }

    fn config(&self, who: &Identity, options: &DovecotOptions) -> String {
        let dir = self.dir.display();
        let (uid, gid) = who.mail_owner;
        let login_user = &who.login_user;
        let capability = capability_setting(options);
        let idle_notify = match options.idle_notify_secs {
            Some(secs) => format!("  imap_idle_notify_interval = {secs} secs\n"),
            None => String::new(),
        };
        let rawlog = if options.rawlog { format!("  rawlog_dir = {dir}/rawlog\n") } else { String::new() };
        // Settings per local address: the plain listener alone loses TLS.
        let plain_without_tls = if options.starttls {
            String::new()
        } else {
            format!("local {} {{\n  ssl = no\n}}\n", self.starttls_addr.ip())
        };
        let no_chroot = if who.root {
            String::new()
        } else {
            "service anvil {\n  chroot =\n}\nservice imap-login {\n  chroot =\n}\n".to_string()
        };
        let mut mailboxes = String::new();
        for (name, role) in [
            ("Drafts", "Drafts"),
            ("Sent", "Sent"),
            ("Trash", "Trash"),
            ("Junk", "Junk"),
            ("Archive", "Archive"),
        ] {
            mailboxes.push_str(&format!(
                "  mailbox {name} {{\n    special_use = \\{role}\n    auto = subscribe\n  }}\n"
            ));
        }
        let (prefix, separator) = if options.inbox_prefix { ("INBOX.", ".") } else { ("", "/") };
        let (storage, quota) = match self.storage {
            MailStorage::Maildir => (
                format!("mail_location = maildir:{dir}/mail/%u\nmaildir_very_dirty_syncs = yes\n"),
                "  quota = maildir:User quota\n",
            ),
            // Maildir++ quota is for maildirs; Dovecot counts a dbox's usage from its indexes.
            MailStorage::Sdbox => (
                format!("mail_location = sdbox:{dir}/mail/%u\n"),
                "  quota = count:User quota\n  quota_vsizes = yes\n",
            ),
        };
        let shared = if options.shared_namespace {
            format!(
                "namespace shared {{\n  type = public\n  separator = /\n  prefix = Shared/\n  \
                 location = maildir:{dir}/public:INDEX={dir}/mail/%u/public\n  subscriptions = no\n  \
                 list = children\n}}\n"
            )
        } else {
            String::new()
        };
        format!(
            r#"# Written by tern-tests (tests/src/dovecot.rs). Not a production configuration.
protocols = imap
listen = 127.0.0.1
base_dir = {dir}/run
state_dir = {dir}/state
log_path = {dir}/dovecot.log
default_internal_user = {login_user}
default_login_user = {login_user}
default_vsz_limit = 2G

ssl = required
disable_plaintext_auth = yes
ssl_cert = <{dir}/cert.pem
ssl_key = <{dir}/key.pem
auth_mechanisms = plain login
auth_failure_delay = 0

passdb {{
  driver = passwd-file
  args = scheme=PLAIN {dir}/users
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={dir}/mail/%u
}}

{storage}mail_fsync = never
mail_plugins = $mail_plugins quota

# A 2 GiB storage quota per user, so clients can show usage.
plugin {{
{quota}  quota_rule = *:storage=2G
}}

namespace inbox {{
  inbox = yes
  prefix = {prefix}
  separator = {separator}
{mailboxes}}}
{shared}
protocol imap {{
  mail_max_userip_connections = 1000
  mail_plugins = $mail_plugins imap_quota imap_zlib
{capability}{idle_notify}{rawlog}}}

service imap-login {{
  inet_listener imap {{
    address = {starttls_ip}
    port = {starttls_port}
  }}
  inet_listener imaps {{
    port = {tls_port}
    ssl = yes
  }}
}}
service imap {{
  vsz_limit = 2G
}}
service anvil {{
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
{no_chroot}{plain_without_tls}"#,
            tls_port = self.tls_addr.port(),
            starttls_ip = self.starttls_addr.ip(),
            starttls_port = self.starttls_addr.port(),
        )
    }
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        self.shutdown();
        // Dovecot's processes ran as `nobody`: make sure the temporary directory can go.
        if let Some(temp) = self.temp.take() {
            let _ = temp.close();
        }
    }
}

/// The `imap_capability` line for `options`, empty when Dovecot's own list is wanted (every
/// extension on).
fn capability_setting(options: &DovecotOptions) -> String {
    if options.idle && options.notify && options.condstore_qresync && !options.condstore_only {
        return String::new();
    }
    let mut caps = BASE_CAPABILITIES.to_string();
    if options.idle {
        caps.push_str(" IDLE");
    }
    if options.notify {
        caps.push_str(" NOTIFY");
    }
    if options.condstore_qresync {
        caps.push_str(if options.condstore_only { " CONDSTORE" } else { " CONDSTORE QRESYNC" });
    }
    format!("  imap_capability = {caps}\n")
}

/// Loads or creates the certificate in `dir` (`cert.pem`, `key.pem`, `cert.der`).
fn certificate(dir: &Path) -> io::Result<(Vec<u8>, String)> {
    let (der_path, pem_path, key_path) = (dir.join("cert.der"), dir.join("cert.pem"), dir.join("key.pem"));
    if let (Ok(der), Ok(pem), true) = (fs::read(&der_path), fs::read_to_string(&pem_path), key_path.exists())
    {
        return Ok((der, pem));
    }
    let names = vec!["localhost".to_string(), "127.0.0.1".to_string(), "127.0.0.2".to_string()];
    let certified =
        rcgen::generate_simple_self_signed(names).map_err(|e| err(format!("certificate: {e}")))?;
    let der = certified.cert.der().to_vec();
    let pem = certified.cert.pem();
    fs::write(&key_path, certified.signing_key.serialize_pem())?;
    fs::set_permissions(&key_path, fs::Permissions::from_mode(0o600))?;
    fs::write(&pem_path, &pem)?;
    fs::write(&der_path, &der)?;
    Ok((der, pem))
}

fn read_users(path: &Path) -> BTreeMap<String, String> {
    let text = fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .filter_map(|line| {
            let (user, rest) = line.split_once(':')?;
            let password = rest.strip_prefix("{PLAIN}")?.split(':').next()?;
            Some((user.to_string(), password.to_string()))
        })
        .collect()
}

/// `chown` that is a no-op when the owner is already right (and when not permitted to change).
pub(crate) fn chown(path: &Path, (uid, gid): (u32, u32)) -> io::Result<()> {
    let meta = fs::metadata(path)?;
    if meta.uid() == uid && meta.gid() == gid {
        return Ok(());
    }
    std::os::unix::fs::chown(path, Some(uid), Some(gid)).map_err(|e| with_path(e, "chown", path))
}

/// [`chown`] of `root` and every directory under it (the files in them only need to be readable).
fn chown_tree(root: &Path, owner: (u32, u32)) -> io::Result<()> {
    chown(root, owner)?;
    for entry in fs::read_dir(root)? {
        let entry = entry?;
        if entry.file_type()?.is_dir() {
            chown_tree(&entry.path(), owner)?;
        }
    }
    Ok(())
}

fn accepts(addr: SocketAddr) -> bool {
    TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok()
}

fn master_pid(dir: &Path) -> Option<u32> {
    fs::read_to_string(dir.join("run").join("master.pid")).ok()?.trim().parse().ok()
}

fn pid_alive(pid: u32) -> bool {
    Command::new("kill")
        .args(["-0", &pid.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn tracing_note(msg: &str) {
    eprintln!("tern-tests: {msg}");
}
