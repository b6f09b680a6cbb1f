//! Processes the end-to-end tests start for themselves — a virtual X display and
//! tauri-driver — each stopped (by its PID) when its guard drops, pass or fail.

#![allow(dead_code)] // each test binary uses its own subset

use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A child process, and everything it started, killed and reaped on drop.
pub struct Guard {
    name: &'static str,
    child: Child,
}

impl Guard {
    /// Starts `cmd` as the leader of a new process group, so that dropping the guard
    /// also ends what it started (tauri-driver → WebKitWebDriver → the app), which
    /// would otherwise outlive it.
    pub fn spawn(name: &'static str, cmd: &mut Command) -> Guard {
        let child = cmd
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("could not start {name}: {e} (run scripts/setup.sh)"));
        Guard { name, child }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The child's stdout (spawned with `Stdio::piped()`).
    pub fn take_stdout(&mut self) -> std::process::ChildStdout {
        self.child.stdout.take().expect("stdout was piped")
    }

    pub fn assert_running(&mut self) {
        if let Some(status) = self.child.try_wait().unwrap() {
            panic!("{} exited early with {status}", self.name);
        }
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        // The group id is the leader's pid; `kill -- -PGID` signals the whole group.
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.child.id())])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A loopback port that was free a moment ago (for programs that only take a port number).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub fn wait_until(what: &str, timeout: Duration, mut ready: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ready() {
        assert!(start.elapsed() < timeout, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A private Xvfb display. Xvfb picks a free display number itself (`-displayfd`) and
/// reports it on its stdout, so parallel tests never race for one.
pub struct Display {
    number: u32,
    pub name: String,
    _server: Guard,
    _report: std::io::PipeReader,
}

impl Display {
    pub fn start() -> Display {
        use std::io::BufRead;
        let (reader, writer) = std::io::pipe().unwrap();
        let mut server = Guard::spawn(
            "Xvfb",
            Command::new("Xvfb")
                .args([
                    "-displayfd",
                    "1",
                    "-screen",
                    "0",
                    "1280x800x24",
                    "-nolisten",
                    "tcp",
                ])
                .stdout(writer)
                .stderr(Stdio::null()),
        );
        let mut report = std::io::BufReader::new(reader);
        let mut line = String::new();
        report.read_line(&mut line).unwrap();
        server.assert_running();
        let number: u32 = line
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("Xvfb reported {line:?} as its display"));
        Display {
            number,
            name: format!(":{number}"),
            _server: server,
            _report: report.into_inner(),
        }
    }

    /// The whole virtual screen as a PNG (imagemagick's `import`), as a person would see it.
    pub fn screenshot(&self, path: &Path) {
        let status = Command::new("import")
            .args(["-display", &self.name, "-window", "root"])
            .arg(path)
            .status()
            .expect("imagemagick's import (run scripts/setup.sh)");
        assert!(
            status.success(),
            "screenshot of display {} failed",
            self.number
        );
    }
}

fn find_tool(name: &str) -> PathBuf {
    let home_bin = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .map(|c| c.join("bin").join(name));
    std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|dir| dir.join(name))
        .chain(home_bin)
        .find(|p| p.is_file())
        .unwrap_or_else(|| panic!("{name} not found; run scripts/setup.sh"))
}

/// tauri-driver (with WebKitWebDriver behind it) on free loopback ports, launching
/// apps on `display` with `env` added to their environment.
pub struct Driver {
    pub url: String,
    _process: Guard,
}

impl Driver {
    pub fn start(display: &Display, env: &[(&str, &Path)]) -> Driver {
        let env: Vec<(&str, &std::ffi::OsStr)> =
            env.iter().map(|(k, v)| (*k, v.as_os_str())).collect();
        Driver::start_with(display, &env, &[])
    }

    /// `start`, with `more` plain variables (a GTK theme, say) for the app too.
    pub fn start_with(
        display: &Display,
        env: &[(&str, &std::ffi::OsStr)],
        more: &[(&str, &str)],
    ) -> Driver {
        let port = free_port();
        let native_port = free_port();
        // Without a session bus GTK auto-launches one (plus portals and a keyring) that
        // detaches and outlives the test; give the app a private bus that dies with
        // this process group instead. Under scripts/test.sh the suite's bus is used.
        let mut cmd = if std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some() {
            Command::new(find_tool("tauri-driver"))
        } else {
            let mut c = Command::new("dbus-run-session");
            c.arg("--").arg(find_tool("tauri-driver"));
            c
        };
        cmd.args(["--port", &port.to_string()])
            .args(["--native-port", &native_port.to_string()])
            .env("DISPLAY", &display.name)
            // WebKitGTK paints a blank page under Xvfb without these two.
            .env("WEBKIT_DISABLE_DMABUF_RENDERER", "1")
            .env("WEBKIT_DISABLE_COMPOSITING_MODE", "1")
            // No accessibility bus: it is one more daemon that would outlive the test.
            .env("NO_AT_BRIDGE", "1")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
        for (k, v) in env {
            cmd.env(k, v);
        }
        for (k, v) in more {
            cmd.env(k, v);
        }
        let mut process = Guard::spawn("tauri-driver", &mut cmd);
        wait_until("tauri-driver to listen", Duration::from_secs(20), || {
            process.assert_running();
            std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
        });
        Driver {
            url: format!("http://127.0.0.1:{port}"),
            _process: process,
        }
    }
}

/// Where tests leave screenshots for a person to look at.
pub fn artifacts_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/artifacts");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The processes (of this user) whose environment has `key=value`: how a test finds
/// the app it started through tauri-driver, to wait until it has really exited.
pub fn processes_with_env(key: &str, value: &Path) -> Vec<u32> {
    let wanted = format!("{key}={}", value.display()).into_bytes();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/environ"))
                .is_ok_and(|env| env.split(|b| *b == 0).any(|var| var == wanted.as_slice()))
        })
        .collect()
}
