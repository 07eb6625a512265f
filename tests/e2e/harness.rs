//! Drives the real Tern binary through WebDriver: `tauri-driver` in front of WebKitWebDriver,
//! one driver and one app per test, each with its own data directory.
//!
//! Pitfalls handled here: tauri-driver is stopped with SIGTERM (SIGKILL would leave
//! WebKitWebDriver holding its port), and the scenario runs in its own task so the session is
//! always closed before a failure is re-raised (otherwise a failing test hangs).

use std::future::Future;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use thirtyfour::Capabilities;
use thirtyfour::prelude::*;

/// The app binary cargo built for this test run.
pub fn app_binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_tern"))
}

/// A variable of a launch's environment ([`with_app`]) naming another build of the app to start
/// instead of this test run's: with `TERN_BENCH_ALTERNATIVE="TERN_APP_BINARY=/path/to/tern"`
/// the benchmark compares two builds start for start.
pub const APP_BINARY_VAR: &str = "TERN_APP_BINARY";

/// The binary a launch with `env` starts.
fn launched_binary(env: &[(&str, &Path)]) -> PathBuf {
    env.iter()
        .find(|(name, _)| *name == APP_BINARY_VAR)
        .map(|(_, path)| path.to_path_buf())
        .unwrap_or_else(app_binary)
}

/// True when process `pid` is the app (Linux: read from `/proc`): this test run's build, or the
/// build its launch named in [`APP_BINARY_VAR`]. The WebView's processes, which inherit the
/// app's environment, are not.
pub fn is_app(pid: u32) -> bool {
    let Ok(exe) = std::fs::read_link(format!("/proc/{pid}/exe")) else { return false };
    let named = std::fs::read(format!("/proc/{pid}/environ")).ok().and_then(|env| {
        let prefix = format!("{APP_BINARY_VAR}=");
        env.split(|b| *b == 0).find_map(|var| {
            var.strip_prefix(prefix.as_bytes())
                .map(|v| PathBuf::from(String::from_utf8_lossy(v).into_owned()))
        })
    });
    [Some(app_binary()), named]
        .into_iter()
        .flatten()
        .any(|binary| std::fs::canonicalize(binary).is_ok_and(|b| b == exe))
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("free port")
}

fn tauri_driver() -> PathBuf {
    let local = Path::new(env!("CARGO_MANIFEST_DIR")).join("../.tools/bin/tauri-driver");
    if local.exists() { local } else { PathBuf::from("tauri-driver") }
}

/// A running tauri-driver; stopped on drop.
struct Driver {
    child: Child,
}

impl Driver {
    fn start(port: u16, env: &[(&str, &Path)]) -> Self {
        let mut cmd = Command::new(tauri_driver());
        cmd.args(["--port", &port.to_string(), "--native-port", &free_port().to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = cmd
            .spawn()
            .expect("tauri-driver not found: run `make tauri-driver` (installs it into .tools/bin)");
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(SocketAddr::from(([127, 0, 0, 1], port))).is_err() {
            assert!(Instant::now() < deadline, "tauri-driver did not start listening on {port}");
            std::thread::sleep(Duration::from_millis(50));
        }
        Self { child }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // SIGTERM through kill(1): std only offers SIGKILL, and the crate forbids unsafe code.
        let _ = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// Serialises app launches: two WebKit apps at once on a 2-core machine only slow each other.
static ONE_APP_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Launches Tern with `TERN_DATA_DIR = data_dir` (plus `extra_env`), runs `scenario` against it,
/// and always closes the session and the driver.
pub async fn with_app<F, Fut>(data_dir: &Path, extra_env: &[(&str, &Path)], scenario: F)
where
    F: FnOnce(WebDriver) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    if cfg!(target_os = "linux")
        && std::env::var_os("DISPLAY").is_none()
        && std::env::var_os("WAYLAND_DISPLAY").is_none()
    {
        panic!("the end-to-end tests need a display: run them under `xvfb-run -a` (make test does)");
    }
    let _turn = ONE_APP_AT_A_TIME.lock().await;
    let mut env: Vec<(&str, &Path)> = vec![("TERN_DATA_DIR", data_dir)];
    env.extend_from_slice(extra_env);

    let mut caps = Capabilities::new();
    caps.set("browserName", "wry").expect("caps");
    caps.set("tauri:options", serde_json::json!({ "application": launched_binary(&env) })).expect("caps");
    // On a busy 2-core machine (other tests starting their servers) WebKitWebDriver sometimes
    // drops the very first session request: start over with a fresh driver, a few times.
    let mut attempt = 0;
    let (process, driver) = loop {
        let port = free_port();
        let process = Driver::start(port, &env);
        match WebDriver::new(format!("http://127.0.0.1:{port}"), caps.clone()).await {
            Ok(driver) => break (process, driver),
            Err(e) if attempt < 2 => {
                eprintln!("WebDriver session not started ({e}); trying again");
                attempt += 1;
                drop(process);
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            Err(e) => panic!("could not start a WebDriver session with the Tern binary: {e}"),
        }
    };

    let handle = driver.clone();
    let outcome = tokio::spawn(scenario(handle)).await;
    let _ = driver.quit().await;
    drop(process);
    // The next launch on this data directory must not find the cache still locked.
    stop_leftover_app(data_dir).await;
    if let Err(e) = outcome {
        if e.is_panic() {
            std::panic::resume_unwind(e.into_panic());
        }
        panic!("scenario task failed: {e}");
    }
}

/// Processes of the app still running on `data_dir` (Linux: read from `/proc`).
fn apps_on(data_dir: &Path) -> Vec<u32> {
    let wanted = format!("TERN_DATA_DIR={}", data_dir.display()).into_bytes();
    let Ok(entries) = std::fs::read_dir("/proc") else { return Vec::new() };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/environ"))
                .is_ok_and(|env| env.split(|b| *b == 0).any(|var| var == wanted.as_slice()))
        })
        .filter(|pid| is_app(*pid))
        .collect()
}

/// The environment of each running WebKit web process of the app on `data_dir` (Linux: read
/// from `/proc`): the processes whose parent is the app.
pub fn web_process_environments(data_dir: &Path) -> Vec<Vec<String>> {
    let apps = apps_on(data_dir);
    let Ok(entries) = std::fs::read_dir("/proc") else { return Vec::new() };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            // `pid (comm) state ppid ...`: the comm may hold spaces, so read after its `)`.
            let after = stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or_default();
            let parent = after.split_whitespace().nth(1).and_then(|p| p.parse::<u32>().ok());
            stat.contains("(WebKitWebProces") && parent.is_some_and(|p| apps.contains(&p))
        })
        .filter_map(|pid| std::fs::read(format!("/proc/{pid}/environ")).ok())
        .map(|env| env.split(|b| *b == 0).map(|var| String::from_utf8_lossy(var).into_owned()).collect())
        .collect()
}

/// Waits for the app on `data_dir` to exit after its session closed (it stops its account
/// tasks and flushes its cache first); one still running after 20 s is stopped, and said so.
async fn stop_leftover_app(data_dir: &Path) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !apps_on(data_dir).is_empty() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for pid in apps_on(data_dir) {
        eprintln!("the app (pid {pid}) was still running 20 s after its window closed; stopping it");
        let _ = Command::new("kill").args(["-TERM", &pid.to_string()]).status();
        tokio::time::sleep(Duration::from_secs(5)).await;
        let _ = Command::new("kill").args(["-KILL", &pid.to_string()]).status();
    }
}

/// Waits for an element with this XPath and returns it.
pub async fn wait_for(driver: &WebDriver, xpath: &str) -> WebElement {
    driver
        .query(By::XPath(xpath))
        .wait(Duration::from_secs(30), Duration::from_millis(100))
        .first()
        .await
        .unwrap_or_else(|e| panic!("{xpath} did not appear: {e}"))
}

/// The visible text of the whole window.
pub async fn page_text(driver: &WebDriver) -> String {
    driver.find(By::Tag("body")).await.expect("body").text().await.expect("text")
}

/// Opens Tern's data directory as the app does, waiting (up to 20 s) while the app of a previous
/// step still holds the cache's lock on its way out.
pub fn open_engine(data_dir: &Path) -> tern_core::Engine {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        match tern_core::Engine::open(data_dir, std::sync::Arc::new(tern_core::secrets::Keychain)) {
            Ok(engine) => return engine,
            Err(e) if Instant::now() < deadline && e.to_string().contains("lock") => {
                std::thread::sleep(Duration::from_millis(200));
            }
            Err(e) => panic!("opening {}: {e}", data_dir.display()),
        }
    }
}

/// Sets the list to one row per message before the app starts, as a user does in Settings, for
/// the scenarios that count messages rather than conversations.
pub fn prefer_single_messages(data_dir: &Path) {
    let engine = open_engine(data_dir);
    let mut settings = engine.settings();
    settings.conversations = false;
    engine.set_settings(settings).expect("save the settings");
    engine.shutdown().expect("close the data directory");
}
