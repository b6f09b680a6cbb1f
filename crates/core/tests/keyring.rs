//! Site secrets in the real OS keyring (Secret Service via gnome-keyring). Run outside
//! a D-Bus session, the test re-runs itself inside a private one with a fresh, unlocked
//! keyring, so it never touches a developer's own keyring.

use std::process::Command;

use pressroom_core::secrets::{SecretStore, SiteSecrets, KEYRING_SERVICE};
use pressroom_core::signing::Secret;

fn in_private_session(test: &str) -> bool {
    if std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some() {
        return false;
    }
    let home = tempfile::tempdir().unwrap();
    let status = Command::new("dbus-run-session")
        .args([
            "--",
            "sh",
            "-c",
            // A non-empty password: with an empty one the daemon waits for a prompt.
            "echo -n pressroom-test | gnome-keyring-daemon --unlock --components=secrets >/dev/null \
             && exec \"$0\" --exact \"$1\" --nocapture",
        ])
        .arg(std::env::current_exe().unwrap())
        .arg(test)
        .env("XDG_DATA_HOME", home.path())
        .status()
        .expect("dbus-run-session (run scripts/setup.sh)");
    assert!(
        status.success(),
        "the keyring test failed inside its D-Bus session"
    );
    true
}

fn secret_tool_lookup(reference: &str) -> Option<String> {
    let out = Command::new("secret-tool")
        .args(["lookup", "service", KEYRING_SERVICE, "username", reference])
        .output()
        .expect("secret-tool (run scripts/setup.sh)");
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn keyring_round_trip() {
    if in_private_session("keyring_round_trip") {
        return;
    }
    let store = SecretStore::Keyring;
    let reference = format!("site-test-{}", std::process::id());
    let first = SiteSecrets {
        current: Secret::generate().expose().to_owned(),
        previous: None,
    };
    store.set(&reference, &first).unwrap();
    assert_eq!(store.get(&reference).unwrap(), Some(first.clone()));

    // Independently: the secret is in the Secret Service under Pressroom's name.
    let stored = secret_tool_lookup(&reference).expect("secret-tool finds the entry");
    assert!(stored.contains(&first.current));

    let rotated = SiteSecrets {
        current: Secret::generate().expose().to_owned(),
        previous: Some(first.current.clone()),
    };
    store.set(&reference, &rotated).unwrap();
    let back = store.get(&reference).unwrap().unwrap();
    assert_eq!(back.signing_secrets().unwrap().len(), 2);

    store.delete(&reference).unwrap();
    assert_eq!(store.get(&reference).unwrap(), None);
    assert_eq!(secret_tool_lookup(&reference), None);
    store.delete(&reference).unwrap(); // deleting twice is fine
}

#[test]
fn the_file_store_is_an_explicit_0600_file() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("secrets.json");
    let store = SecretStore::File(path.clone());
    let s = SiteSecrets {
        current: "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD".into(),
        previous: None,
    };
    store.set("site-a", &s).unwrap();
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    assert_eq!(store.get("site-a").unwrap(), Some(s));
    assert_eq!(
        format!("{:?}", store.get("site-a").unwrap()),
        "Some(SiteSecrets(<redacted>))"
    );

    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let err = store.get("site-a").unwrap_err();
    assert!(err.to_string().contains("chmod 600"), "{err}");
}

#[test]
fn concurrent_writers_of_the_file_store_lose_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("secrets.json");
    let writers: Vec<_> = (0..12)
        .map(|i| {
            let store = SecretStore::File(path.clone());
            std::thread::spawn(move || {
                let s = SiteSecrets {
                    current: format!("whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7o{i:X}"),
                    previous: None,
                };
                store.set(&format!("site-{i}"), &s).unwrap();
            })
        })
        .collect();
    for w in writers {
        w.join().unwrap();
    }
    let store = SecretStore::File(path.clone());
    for i in 0..12 {
        assert!(
            store.get(&format!("site-{i}")).unwrap().is_some(),
            "site-{i}'s secret was lost"
        );
    }
    // No temporary file is left behind.
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn the_file_store_never_writes_through_a_planted_symlink() {
    let dir = tempfile::tempdir().unwrap();
    let victim = dir.path().join("victim.txt");
    std::fs::write(&victim, "precious").unwrap();
    let s = SiteSecrets {
        current: "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD".into(),
        previous: None,
    };
    // A link at the file's own name is replaced by the new file, never written through.
    let path = dir.path().join("secrets.json");
    std::os::unix::fs::symlink(&victim, &path).unwrap();
    std::fs::set_permissions(&victim, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    let store = SecretStore::File(path.clone());
    let _ = store.set("site-a", &s);
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
    // A link at the lock's name is refused with an error, not followed.
    let other = dir.path().join("other.json");
    std::os::unix::fs::symlink(&victim, dir.path().join("other.json.lock")).unwrap();
    let err = SecretStore::File(other).set("site-a", &s).unwrap_err();
    assert!(err.to_string().contains("other.json.lock"), "{err}");
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
}
