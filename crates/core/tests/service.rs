//! The background service switch (`pressroom_core::service`) against this machine's
//! systemd: with a user manager it is really turned on and off again; without one (a
//! container, CI), turning it on says why and leaves no unit file behind.

use pressroom_core::service;

#[test]
fn the_switch_turns_the_service_on_and_off_or_says_why_it_cannot() {
    let config = tempfile::tempdir().unwrap();
    // The user's unit goes under XDG_CONFIG_HOME: a folder of the test's own (this
    // binary has no other test, so no other thread reads the variable).
    std::env::set_var("XDG_CONFIG_HOME", config.path());
    let unit = service::unit_path().unwrap();
    assert!(unit.starts_with(config.path()), "{}", unit.display());

    let bin = tempfile::tempdir().unwrap();
    let cli = bin.path().join("pressroom");
    std::fs::write(&cli, "#!/bin/sh\nexec sleep 600\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&cli, std::fs::Permissions::from_mode(0o755)).unwrap();
    let workspace = tempfile::tempdir().unwrap();

    let before = service::status(Some(&cli));
    match &before.unavailable {
        Some(why) => {
            let refused = service::enable(&cli, workspace.path()).unwrap_err();
            assert_eq!(refused.kind(), "service_unavailable");
            assert!(
                refused.to_string().contains("systemd user session"),
                "{refused}"
            );
            assert!(why.contains("systemd user session"), "{why}");
            assert!(!unit.exists(), "nothing is left behind");
            // Off is off, whatever systemd can do.
            let off = service::disable(Some(&cli)).unwrap();
            assert!(!off.enabled && !off.active);
        }
        None => {
            let on = service::enable(&cli, workspace.path()).unwrap();
            assert!(on.enabled, "{on:?}");
            let text = std::fs::read_to_string(&unit).unwrap();
            assert!(
                text.contains(&workspace.path().display().to_string()),
                "{text}"
            );
            let off = service::disable(Some(&cli)).unwrap();
            assert!(!off.enabled && !off.active, "{off:?}");
            assert!(!unit.exists());
        }
    }
    // Without the command beside the app, it cannot be turned on either.
    assert!(service::status(None).unavailable.is_some());
}
