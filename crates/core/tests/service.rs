//! The background service switch (`pressroom_core::service`) against this machine's
//! systemd: without a user manager (a container, CI) turning it on says why and leaves no
//! unit file behind; with one (a desktop) a test does not start a real service.

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
            // A real user session (a developer's desktop): its manager reads the
            // user's own configuration, not this test's folder, so turning the service
            // on here would start a real one. Only what can be checked without that is.
            eprintln!("a systemd user session is running: not turning the service on from a test");
            assert!(!service::serves(workspace.path()));
        }
    }
    // Without the command beside the app, it cannot be turned on either.
    assert!(service::status(None).unavailable.is_some());
}
