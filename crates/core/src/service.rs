//! The publishing service in the background (issue #16): `pressroom daemon` as a
//! systemd user service, so that retries, confirmations and scheduled publishes go on
//! while the app is closed. Off by default. Turning it on writes the user unit
//! `~/.config/systemd/user/pressroom-daemon.service` — naming the command and the
//! workspace the app uses — and enables it with `systemctl --user`; turning it off
//! disables it and removes that file. (The package also installs a unit of the same
//! name for the default workspace, which the user's file overrides.)

use std::path::{Path, PathBuf};
use std::process::Command;

use serde::Serialize;

use crate::error::{Error, Result};

/// The unit's name, in the package and in the user's configuration alike.
pub const UNIT: &str = "pressroom-daemon.service";

/// Where the service stands, for Settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct ServiceStatus {
    /// Enabled: it starts with the user's session.
    pub enabled: bool,
    /// Running now.
    pub active: bool,
    /// Why it cannot be turned on here (no systemd user manager, no `pressroom`
    /// command), when it cannot.
    pub unavailable: Option<String>,
}

/// The user unit that runs `cli daemon` on the workspace in `data_dir`.
pub fn unit_text(cli: &Path, data_dir: &Path) -> String {
    format!(
        "# Written by Pressroom (Settings ▸ Background); removed when turned off there.\n\
         [Unit]\n\
         Description=Pressroom publishing service\n\
         ConditionPathExists={}\n\
         StartLimitIntervalSec=600\n\
         StartLimitBurst=5\n\
         \n\
         [Service]\n\
         Type=simple\n\
         ExecStart={} --data-dir {} daemon\n\
         Restart=on-failure\n\
         RestartSec=10\n\
         \n\
         [Install]\n\
         WantedBy=default.target\n",
        cli.to_string_lossy().replace('%', "%%"),
        quote(cli),
        quote(data_dir)
    )
}

/// The user's unit runs the service on the workspace in `data_dir` and it is running:
/// the work of that workspace goes on with the app closed.
pub fn serves(data_dir: &Path) -> bool {
    let names_it = unit_path()
        .and_then(|p| std::fs::read_to_string(p).ok())
        .is_some_and(|text| text.contains(&format!("--data-dir {} daemon", quote(data_dir))));
    names_it && active()
}

/// A path as one word of a systemd command line: quoted, with `\` and `"` escaped
/// and the specifiers (`%`) and variables (`$`) systemd would expand doubled.
fn quote(path: &Path) -> String {
    let mut out = String::from("\"");
    for c in path.to_string_lossy().chars() {
        match c {
            '\\' | '"' => {
                out.push('\\');
                out.push(c)
            }
            '%' => out.push_str("%%"),
            '$' => out.push_str("$$"),
            _ => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The user's unit file (`$XDG_CONFIG_HOME/systemd/user/…`).
pub fn unit_path() -> Option<PathBuf> {
    dirs::config_dir().map(|d| d.join("systemd/user").join(UNIT))
}

/// The `pressroom` command beside `exe` (a build or an installed app: both put it
/// there), else on `PATH`.
pub fn find_cli(exe: &Path) -> Option<PathBuf> {
    let beside = exe.parent().map(|d| d.join("pressroom"));
    let on_path = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|d| d.join("pressroom"));
    beside.into_iter().chain(on_path).find(|p| p.is_file())
}

/// `systemctl --user ARGS`: its output, or what it said when it failed.
fn systemctl(args: &[&str]) -> std::result::Result<String, String> {
    let out = Command::new("systemctl")
        .arg("--user")
        .args(args)
        .output()
        .map_err(|e| format!("systemctl could not be run: {e}"))?;
    let said = |b: &[u8]| String::from_utf8_lossy(b).trim().to_owned();
    if out.status.success() {
        Ok(said(&out.stdout))
    } else {
        let mut why = said(&out.stderr);
        if why.is_empty() {
            why = said(&out.stdout);
        }
        Err(why)
    }
}

/// Running now (for this user).
pub fn active() -> bool {
    systemctl(&["is-active", UNIT]).is_ok_and(|s| s == "active")
}

/// Where the service stands. `unavailable` says why it cannot be turned on here.
pub fn status(cli: Option<&Path>) -> ServiceStatus {
    let enabled = systemctl(&["is-enabled", UNIT]).is_ok_and(|s| s == "enabled");
    let active = active();
    let unavailable = if cli.is_none() {
        Some("the pressroom command is not installed beside the app".to_owned())
    } else {
        systemctl(&["show-environment"])
            .err()
            .map(|why| format!("there is no systemd user session to run it in ({why})"))
    };
    ServiceStatus {
        enabled,
        active,
        unavailable,
    }
}

fn unavailable(message: String) -> Error {
    Error::ServiceUnavailable { message }
}

/// Turns the service on for the workspace in `data_dir`, run by `cli`: writes the
/// user unit and enables and starts it. On failure nothing is left behind.
pub fn enable(cli: &Path, data_dir: &Path) -> Result<ServiceStatus> {
    systemctl(&["show-environment"]).map_err(|why| {
        unavailable(format!(
            "there is no systemd user session to run it in ({why})"
        ))
    })?;
    let path = unit_path().ok_or_else(|| unavailable("no configuration folder".into()))?;
    let dir = path.parent().expect("a unit path has a folder");
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    crate::replace_file(&path, unit_text(cli, data_dir).as_bytes(), 0o644)
        .map_err(|e| Error::io(&path, e))?;
    let started = systemctl(&["daemon-reload"]).and_then(|_| systemctl(&["enable", "--now", UNIT]));
    if let Err(why) = started {
        let _ = std::fs::remove_file(&path);
        let _ = systemctl(&["daemon-reload"]);
        return Err(unavailable(format!("systemctl could not start it: {why}")));
    }
    Ok(status(Some(cli)))
}

/// Turns the service off: stops and disables it and removes the user's unit.
pub fn disable(cli: Option<&Path>) -> Result<ServiceStatus> {
    let stopped = systemctl(&["disable", "--now", UNIT]);
    if let Some(path) = unit_path() {
        match std::fs::remove_file(&path) {
            Ok(()) => {
                let _ = systemctl(&["daemon-reload"]);
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(Error::io(&path, e)),
        }
    }
    if let Err(why) = stopped {
        // Not there to stop is what was asked for.
        if systemctl(&["is-enabled", UNIT]).is_ok_and(|s| s == "enabled") {
            return Err(unavailable(format!("systemctl could not stop it: {why}")));
        }
    }
    Ok(status(cli))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_unit_names_the_command_and_the_workspace_as_one_word_each() {
        let text = unit_text(
            Path::new("/opt/my apps/pressroom"),
            Path::new("/home/a/100% \"real\" $HOME\\x"),
        );
        assert!(
            text.contains(
                "ExecStart=\"/opt/my apps/pressroom\" --data-dir \
                 \"/home/a/100%% \\\"real\\\" $$HOME\\\\x\" daemon\n"
            ),
            "{text}"
        );
        assert!(text.contains("WantedBy=default.target"));
    }

    /// systemd itself reads the unit (`systemd-analyze verify`, which also checks the
    /// command is there to run; scripts/setup.sh installs systemd).
    #[test]
    fn systemd_accepts_the_unit() {
        let dir = tempfile::tempdir().unwrap();
        let cli = dir.path().join("bin dir/pressroom");
        std::fs::create_dir_all(cli.parent().unwrap()).unwrap();
        std::fs::write(&cli, "#!/bin/sh\n").unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&cli, std::fs::Permissions::from_mode(0o755)).unwrap();
        let unit = dir.path().join(UNIT);
        std::fs::write(&unit, unit_text(&cli, &dir.path().join("work 100%"))).unwrap();
        let verify = |unit: &Path| {
            Command::new("systemd-analyze")
                .arg("verify")
                .arg(unit)
                .output()
                .unwrap()
        };
        let out = verify(&unit);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        // A command that is not there is caught by the same check.
        std::fs::remove_file(&cli).unwrap();
        assert!(!verify(&unit).status.success());
    }
}
