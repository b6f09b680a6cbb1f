//! Shared by the CLI's end-to-end tests: the `pressroom` binary and a `pressroom serve`
//! process on a free loopback port, killed when dropped.

#![allow(dead_code)] // each test binary uses its own subset

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

pub const TOKEN_VAR: &str = "PRESSROOM_TEST_API_TOKEN";
pub const TOKEN: &str = "e2e-token-0123456789";

pub fn pressroom(data_dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_pressroom"));
    cmd.arg("--data-dir")
        .arg(data_dir)
        .env_remove("PRESSROOM_DATA_DIR")
        .env(TOKEN_VAR, TOKEN)
        .stdin(Stdio::null());
    cmd
}

/// `pressroom ARGS` in workspace `ws`, its secrets in a file there (no keyring needed),
/// with `env` added.
pub fn run_with_file_secrets(ws: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = pressroom(ws);
    cmd.args(args)
        .env("PRESSROOM_SECRETS_FILE", ws.join("secrets.json"));
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

pub fn run(data_dir: &Path, args: &[&str]) -> Output {
    pressroom(data_dir).args(args).output().unwrap()
}

pub fn ok(data_dir: &Path, args: &[&str]) -> String {
    let out = run(data_dir, args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Starts `cmd` (stdout piped, stderr dropped) and waits for the first line it prints,
/// which is where the long-running commands say where they listen.
pub fn spawn_first_line(cmd: &mut Command) -> (Child, String) {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    (child, line)
}

/// `pressroom serve` on 127.0.0.1:0; SIGKILLed on drop unless stopped before.
pub struct ApiProcess {
    pub url: String,
    pub data_dir: PathBuf,
    child: Child,
}

impl ApiProcess {
    pub fn start(data_dir: &Path) -> ApiProcess {
        let (child, line) = spawn_first_line(pressroom(data_dir).args([
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--token-env",
            TOKEN_VAR,
        ]));
        let url = line
            .trim()
            .strip_prefix("Content API listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_owned();
        ApiProcess {
            url,
            data_dir: data_dir.to_path_buf(),
            child,
        }
    }

    /// SIGKILL: no graceful shutdown, no chance to flush anything.
    pub fn kill_hard(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// SIGTERM, and the exit status of the graceful shutdown.
    pub fn stop(&mut self) -> std::process::ExitStatus {
        Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        self.child.wait().unwrap()
    }
}

impl Drop for ApiProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
