//! Real servers for the end-to-end tests, each started privately (its own config and
//! files in a temp dir, a free loopback port) and stopped — process group and all — when
//! dropped: nginx from Debian as a round-robin balancer or a caching proxy, and the
//! Next.js example (`examples/nextjs-site`) built once and started as one or several
//! instances that share nothing; PostgreSQL from Debian as a private cluster. And
//! workspaces of many documents, for the benchmarks.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A port nothing listens on right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn wait_for_port(port: u16, what: &str, within: Duration) {
    let deadline = Instant::now() + within;
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "{what} did not start listening");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Sends `signal` to the process group `child` leads, then waits up to 5 s before
/// killing the group outright.
fn stop_group(child: &mut Child, signal: &str) {
    let group = format!("-{}", child.id());
    let _ = Command::new("kill")
        .args([signal, "--", &group])
        .stderr(Stdio::null())
        .status();
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = Command::new("kill")
        .args(["-KILL", "--", &group])
        .stderr(Stdio::null())
        .status();
    let _ = child.wait();
}

/// nginx from Debian in the foreground, everything it writes inside its own directory.
pub struct Nginx {
    child: Child,
    /// `http://127.0.0.1:PORT`
    pub origin: String,
}

impl Nginx {
    /// A round-robin balancer over `upstreams` (origins), or, with `cache`, a caching
    /// proxy that keeps pages for an hour whatever they say (a CDN stand-in) and names
    /// its verdict in `X-Cache-Status`.
    pub fn start(dir: &Path, upstreams: &[String], cache: bool) -> Nginx {
        let port = free_port();
        let servers: String = upstreams
            .iter()
            .map(|u| format!("server {};\n", u.trim_start_matches("http://")))
            .collect();
        let caching = if cache {
            "proxy_cache pages; proxy_cache_valid 200 1h; proxy_ignore_headers Cache-Control Set-Cookie Expires;\n\
             add_header X-Cache-Status $upstream_cache_status;"
        } else {
            ""
        };
        let http = format!(
            "client_max_body_size 32m;\n\
             proxy_cache_path {d}/cache keys_zone=pages:1m;\n\
             upstream site {{\n{servers}}}\n\
             server {{\n listen 127.0.0.1:{port};\n location / {{\n proxy_pass http://site;\n\
             proxy_http_version 1.1;\n proxy_set_header Connection \"\";\n {caching}\n }}\n }}\n",
            d = dir.display()
        );
        Nginx::start_with(dir, port, &http)
    }

    /// nginx with `http` as the inside of its `http { }` block (upstreams, servers),
    /// listening where that says: `port`, which it waits for.
    pub fn start_with(dir: &Path, port: u16, http: &str) -> Nginx {
        use std::os::unix::process::CommandExt;
        let nginx = ["/usr/sbin/nginx", "/usr/bin/nginx"]
            .into_iter()
            .find(|p| Path::new(p).exists())
            .expect("nginx is installed (scripts/setup.sh installs nginx-light)");
        std::fs::create_dir_all(dir).unwrap();
        let d = dir.display();
        let conf = format!(
            "daemon off;\nworker_processes 1;\npid {d}/nginx.pid;\nerror_log {d}/error.log;\n\
             events {{ worker_connections 256; }}\n\
             http {{\n access_log off;\n client_body_temp_path {d}/body;\n proxy_temp_path {d}/proxy;\n\
             fastcgi_temp_path {d}/fastcgi;\n uwsgi_temp_path {d}/uwsgi;\n scgi_temp_path {d}/scgi;\n\
             {http}\n}}\n"
        );
        let path = dir.join("nginx.conf");
        std::fs::write(&path, conf).unwrap();
        let child = Command::new(nginx)
            .args(["-c", path.to_str().unwrap(), "-p", dir.to_str().unwrap()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .unwrap();
        wait_for_port(port, "nginx", Duration::from_secs(20));
        Nginx {
            child,
            origin: format!("http://127.0.0.1:{port}"),
        }
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        // SIGQUIT: a graceful stop; the master ends its worker.
        stop_group(&mut self.child, "-QUIT");
    }
}

/// The Next.js example in this repository.
pub fn nextjs_example() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/nextjs-site");
    assert!(
        dir.join("node_modules/next").exists(),
        "run scripts/setup.sh first (it installs the example's npm packages)"
    );
    dir
}

/// `next ARGS` run in `dir` (the example or a copy of it), offline.
pub fn next(dir: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new("node");
    cmd.arg(dir.join("node_modules/next/dist/bin/next"))
        .args(args)
        .current_dir(dir)
        .env("NEXT_TELEMETRY_DISABLED", "1")
        .stdin(Stdio::null());
    cmd
}

/// `next build` of the example from scratch against the content API at `api` (it
/// prerenders the documents published there); panics with the build's output if it fails.
pub fn build_nextjs_example(api: &str) -> PathBuf {
    build_nextjs_example_with(&[("PRESSROOM_API_URL", api)])
}

/// `next build` of the example from scratch with `env` (e.g. reading from WordPress:
/// `PRESSROOM_SOURCE=wordpress`, `WORDPRESS_API_URL`).
pub fn build_nextjs_example_with(env: &[(&str, &str)]) -> PathBuf {
    let dir = nextjs_example();
    let _ = std::fs::remove_dir_all(dir.join(".next"));
    let build = next(&dir, &["build"])
        .envs(env.iter().copied())
        .output()
        .unwrap();
    assert!(
        build.status.success(),
        "next build failed:\n{}\n{}",
        String::from_utf8_lossy(&build.stdout),
        String::from_utf8_lossy(&build.stderr)
    );
    dir
}

/// A copy of the built example in `dest` with a build (`.next`, its caches included) of
/// its own and the example's `node_modules` linked: an instance that shares no cache
/// with any other.
pub fn copy_of_build(built: &Path, dest: &Path) -> PathBuf {
    std::fs::create_dir_all(dest).unwrap();
    let copy = Command::new("cp")
        .arg("-a")
        .args(
            std::fs::read_dir(built)
                .unwrap()
                .map(|e| e.unwrap().path())
                .filter(|p| p.file_name().is_some_and(|n| n != "node_modules")),
        )
        .arg(dest)
        .status()
        .unwrap();
    assert!(copy.success(), "copying {} failed", built.display());
    std::os::unix::fs::symlink(built.join("node_modules"), dest.join("node_modules")).unwrap();
    dest.to_path_buf()
}

/// `next start` in a process group of its own, ended (group and all) on drop.
pub struct NextServer {
    child: Child,
    /// `http://127.0.0.1:PORT`
    pub origin: String,
}

impl NextServer {
    /// Starts the site in `dir` on `port` with `env`, its output in `log`, and waits
    /// until it listens.
    pub fn start(dir: &Path, port: u16, env: &[(&str, &str)], log: &Path) -> NextServer {
        use std::os::unix::process::CommandExt;
        let log = std::fs::File::create(log).unwrap();
        let child = next(dir, &["start", "-p", &port.to_string(), "-H", "127.0.0.1"])
            .envs(env.iter().copied())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .process_group(0)
            .spawn()
            .unwrap();
        wait_for_port(port, "next start", Duration::from_secs(60));
        NextServer {
            child,
            origin: format!("http://127.0.0.1:{port}"),
        }
    }
}

impl Drop for NextServer {
    fn drop(&mut self) {
        stop_group(&mut self.child, "-TERM");
    }
}

/// The body of `url` once it answers 200, within 60 s.
pub fn wait_for_page(url: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let out = Command::new("curl")
            .args(["-sf", "--max-time", "5", url])
            .output()
            .unwrap();
        if out.status.success() {
            return String::from_utf8_lossy(&out.stdout).into_owned();
        }
        assert!(Instant::now() < deadline, "{url} did not come up");
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// A workspace (in a temp dir) of `n` article-length documents, about 4 KB each:
/// `article-0` … `article-{n-1}`, all drafts.
pub fn workspace_of_articles(n: usize) -> tempfile::TempDir {
    use pressroom_core::{workspace, Store};
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(workspace::database_path(dir.path())).unwrap();
    let paragraph = "A paragraph about publishing, long enough to read for a while.\n\n";
    for i in 0..n {
        let source = format!(
            "---\ntitle: Article number {i}\ntags: [bench]\n---\n{}",
            paragraph.repeat(60)
        );
        store.create(&format!("article-{i}"), &source).unwrap();
    }
    dir
}

/// A private WordPress (Debian's 6.1 package) on its own MariaDB, both on free loopback
/// ports with everything in a temp dir: the database is made with
/// `mariadb-install-db`, WordPress is a copy of `/usr/share/wordpress` with its own
/// `wp-config.php` (Debian's reads `/etc/wordpress`), installed from PHP, and served by
/// `php -S`. Plain permalinks, so the REST root is `/?rest_route=/`. An Application
/// Password for `admin` is made at install. Both servers stop (process groups) on drop.
/// A process group stopped (SIGTERM, then SIGKILL) when dropped.
struct Group(Child);

impl Drop for Group {
    fn drop(&mut self) {
        stop_group(&mut self.0, "-TERM");
    }
}

pub struct WordPress {
    // Field order is drop order: the web server, then the database, then the files.
    web: Option<Group>,
    _db: Group,
    dir: tempfile::TempDir,
    web_port: u16,
    /// `http://127.0.0.1:PORT`
    pub url: String,
    /// The REST root as WordPress announces it without pretty permalinks.
    pub rest_root: String,
    pub user: String,
    pub app_password: String,
}

impl WordPress {
    pub fn start() -> WordPress {
        use std::os::unix::process::CommandExt;
        assert!(
            Path::new("/usr/share/wordpress/wp-settings.php").exists(),
            "WordPress is not installed (scripts/setup.sh installs it)"
        );
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        // Test-only speed: a small redo log, no flush per commit, no doublewrite.
        let fast = [
            "--innodb-log-file-size=8M",
            "--innodb-flush-log-at-trx-commit=0",
            "--skip-innodb-doublewrite",
        ];
        let datadir = format!("--datadir={}", d.join("db").display());
        // Its own temp dir: two servers bootstrapping at once in /tmp can collide on
        // their temporary tables' names.
        std::fs::create_dir_all(d.join("tmp")).unwrap();
        let tmpdir = format!("--tmpdir={}", d.join("tmp").display());
        let out = Command::new("mariadb-install-db")
            .args(["--no-defaults", "--user=root", &datadir, &tmpdir])
            .args(["--auth-root-authentication-method=normal", "--skip-test-db"])
            .arg("--skip-name-resolve")
            .args(fast)
            .output()
            .expect("mariadb-install-db (scripts/setup.sh installs mariadb-server)");
        assert!(out.status.success(), "mariadb-install-db: {out:?}");
        let db_port = free_port();
        let socket = d.join("mysqld.sock");
        // Stopped on drop from here on, also when a later step of the start panics.
        let db = Group(
            Command::new("mariadbd")
                .args(["--no-defaults", "--user=root", &datadir, &tmpdir])
                .args(["--bind-address=127.0.0.1", &format!("--port={db_port}")])
                .arg(format!("--socket={}", socket.display()))
                .arg(format!("--pid-file={}", d.join("mysqld.pid").display()))
                .arg(format!("--log-error={}", d.join("mysqld.err").display()))
                .args(["--skip-name-resolve", "--skip-log-bin"])
                .args(fast)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .process_group(0)
                .spawn()
                .expect("mariadbd"),
        );
        wait_for_port(db_port, "MariaDB", Duration::from_secs(30));
        let sql = "CREATE DATABASE wp CHARACTER SET utf8mb4; \
                   CREATE USER 'wp'@'127.0.0.1' IDENTIFIED BY 'wp'; \
                   GRANT ALL ON wp.* TO 'wp'@'127.0.0.1';";
        let out = Command::new("mariadb")
            .args(["--no-defaults", "-uroot"])
            .arg(format!("--socket={}", socket.display()))
            .args(["-e", sql])
            .output()
            .unwrap();
        assert!(out.status.success(), "creating the database: {out:?}");

        // A real copy: PHP resolves symlinks, and a tree of links would run Debian's.
        let wp = d.join("wp");
        let out = Command::new("cp")
            .args(["-a", "/usr/share/wordpress"])
            .arg(&wp)
            .output()
            .unwrap();
        assert!(out.status.success(), "copying WordPress: {out:?}");
        let _ = std::fs::remove_file(wp.join("wp-config.php"));
        let _ = std::fs::remove_file(wp.join(".htaccess"));
        let web_port = free_port();
        let url = format!("http://127.0.0.1:{web_port}");
        let keys: String = [
            "AUTH_KEY",
            "SECURE_AUTH_KEY",
            "LOGGED_IN_KEY",
            "NONCE_KEY",
            "AUTH_SALT",
            "SECURE_AUTH_SALT",
            "LOGGED_IN_SALT",
            "NONCE_SALT",
        ]
        .iter()
        .enumerate()
        .map(|(i, k)| format!("define('{k}', '{}-{i}-{web_port}');\n", d.display()))
        .collect();
        std::fs::write(
            wp.join("wp-config.php"),
            format!(
                "<?php\ndefine('DB_NAME', 'wp'); define('DB_USER', 'wp'); \
                 define('DB_PASSWORD', 'wp');\ndefine('DB_HOST', '127.0.0.1:{db_port}'); \
                 define('DB_CHARSET', 'utf8mb4'); define('DB_COLLATE', '');\n{keys}\
                 $table_prefix = 'wp_';\ndefine('WP_HOME', '{url}'); define('WP_SITEURL', '{url}');\n\
                 // Application Passwords over plain http.\n\
                 define('WP_ENVIRONMENT_TYPE', 'local');\n\
                 define('DISABLE_WP_CRON', true); define('AUTOMATIC_UPDATER_DISABLED', true);\n\
                 define('WP_HTTP_BLOCK_EXTERNAL', true);\n\
                 if (!defined('ABSPATH')) define('ABSPATH', __DIR__ . '/');\n\
                 require_once ABSPATH . 'wp-settings.php';\n"
            ),
        )
        .unwrap();
        let install = d.join("install.php");
        std::fs::write(
            &install,
            "<?php\ndefine('WP_INSTALLING', true);\n\
             $_SERVER['HTTP_HOST'] = '127.0.0.1'; $_SERVER['REQUEST_URI'] = '/';\n\
             require $argv[1] . '/wp-load.php';\n\
             // No mail on install (there is no sendmail).\n\
             function wp_new_blog_notification() {}\n\
             require_once ABSPATH . 'wp-admin/includes/upgrade.php';\n\
             $r = wp_install('Pressroom test', 'admin', 'admin@example.com', true, '', 'password');\n\
             update_option('permalink_structure', '');\n\
             list($password) = WP_Application_Passwords::create_new_application_password(\n\
               $r['user_id'], ['name' => 'pressroom']);\n\
             echo $password;\n",
        )
        .unwrap();
        let out = Command::new("php").arg(&install).arg(&wp).output().unwrap();
        assert!(out.status.success(), "installing WordPress: {out:?}");
        let app_password = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        assert!(!app_password.is_empty(), "no application password: {out:?}");
        let mut wordpress = WordPress {
            dir,
            _db: db,
            web: None,
            web_port,
            rest_root: format!("{url}/?rest_route=/"),
            url,
            user: "admin".into(),
            app_password,
        };
        wordpress.start_web();
        wordpress
    }

    /// Starts the web server (again, after `stop_web`), on the same port.
    pub fn start_web(&mut self) {
        use std::os::unix::process::CommandExt;
        assert!(self.web.is_none(), "the web server is running");
        let wp = self.dir.path().join("wp");
        let log = std::fs::File::create(self.dir.path().join("php-server.log")).unwrap();
        let child = Group(
            Command::new("php")
                .args(["-S", &format!("127.0.0.1:{}", self.web_port), "-t"])
                .arg(&wp)
                .stdin(Stdio::null())
                .stdout(log.try_clone().unwrap())
                .stderr(log)
                .process_group(0)
                .spawn()
                .expect("php -S"),
        );
        self.web = Some(child);
        wait_for_port(self.web_port, "WordPress (php -S)", Duration::from_secs(20));
    }

    /// Stops the web server (the database stays): WordPress is down.
    pub fn stop_web(&mut self) {
        self.web = None;
    }
}

/// A real Directus 11.3.5 (from npm, `crates/testkit/directus`) on SQLite in a temp dir,
/// bootstrapped with a static admin token, with a `posts` collection (the field names
/// `directus::FieldMapping::default` expects) and a second user who may only read it.
/// Stopped, process group and all, on drop.
pub struct Directus {
    // Field order is drop order: the server, then its files.
    server: Option<Group>,
    dir: tempfile::TempDir,
    port: u16,
    /// `http://127.0.0.1:PORT`
    pub url: String,
    /// The administrator's static token.
    pub token: String,
    /// A user's token that may read `posts` and nothing else.
    pub reader_token: String,
}

/// The `posts` collection: what an editor would make in the Directus app.
const DIRECTUS_POSTS: &str = r#"{"collection":"posts","meta":{"icon":"article"},"schema":{},"fields":[
{"field":"id","type":"integer","schema":{"is_primary_key":true,"has_auto_increment":true},"meta":{"hidden":true,"readonly":true}},
{"field":"title","type":"string","schema":{"is_nullable":false},"meta":{"required":true}},
{"field":"slug","type":"string","schema":{"is_unique":true,"is_nullable":false},"meta":{"required":true}},
{"field":"content","type":"text","meta":{"interface":"input-multiline"}},
{"field":"summary","type":"text","meta":{"interface":"input-multiline"}},
{"field":"tags","type":"json","meta":{"interface":"tags","special":["cast-json"]}},
{"field":"status","type":"string","schema":{"default_value":"draft","is_nullable":false},"meta":{"validation":{"_and":[{"status":{"_in":["published","draft"]}}]}}},
{"field":"date_created","type":"timestamp","meta":{"special":["date-created"],"readonly":true}},
{"field":"date_updated","type":"timestamp","meta":{"special":["date-updated"],"readonly":true}},
{"field":"cover","type":"uuid","meta":{"interface":"file-image","special":["file"]},"schema":{"foreign_key_table":"directus_files","foreign_key_column":"id"}}]}"#;

impl Directus {
    /// The installed Directus (`scripts/setup.sh` runs `npm ci` there).
    fn home() -> PathBuf {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("directus");
        assert!(
            dir.join("node_modules/@directus/api/dist/cli/run.js")
                .exists(),
            "Directus is not installed (scripts/setup.sh installs it)"
        );
        dir
    }

    /// Its own files and port; the admin's token is made up here.
    fn env(&self) -> Vec<(String, String)> {
        let d = self.dir.path();
        let path = |p: &str| d.join(p).display().to_string();
        [
            ("KEY", format!("key-{}", self.port)),
            ("SECRET", format!("secret-{}-{}", self.port, d.display())),
            ("DB_CLIENT", "sqlite3".into()),
            ("DB_FILENAME", path("directus.db")),
            ("ADMIN_EMAIL", "admin@example.com".into()),
            ("ADMIN_PASSWORD", "admin-password".into()),
            ("ADMIN_TOKEN", self.token.clone()),
            ("HOST", "127.0.0.1".into()),
            ("PORT", self.port.to_string()),
            ("PUBLIC_URL", self.url.clone()),
            ("TELEMETRY", "false".into()),
            ("CACHE_ENABLED", "false".into()),
            ("RATE_LIMITER_ENABLED", "false".into()),
            ("WEBSOCKETS_ENABLED", "false".into()),
            ("EXTENSIONS_PATH", path("extensions")),
            ("STORAGE_LOCAL_ROOT", path("uploads")),
            ("EMAIL_VERIFY_SETUP", "false".into()),
            ("SERVE_APP", "false".into()),
            ("LOG_LEVEL", "warn".into()),
            ("SERVER_SHUTDOWN_TIMEOUT", "0".into()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect()
    }

    /// `run.js ARGS` (not `directus/cli.js`, which asks the npm registry for updates).
    fn cli(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new("node");
        cmd.arg(Self::home().join("node_modules/@directus/api/dist/cli/run.js"))
            .args(args)
            .current_dir(self.dir.path())
            .envs(self.env())
            .stdin(Stdio::null());
        cmd
    }

    pub fn start() -> Directus {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let mut directus = Directus {
            server: None,
            port,
            url: format!("http://127.0.0.1:{port}"),
            token: format!("admin-token-{port}-{}", std::process::id()),
            reader_token: format!("reader-token-{port}-{}", std::process::id()),
            dir,
        };
        let out = directus.cli(&["bootstrap"]).output().unwrap();
        assert!(out.status.success(), "directus bootstrap: {out:?}");
        directus.start_server();

        let (status, answer) = directus.call("POST", "/collections", Some(DIRECTUS_POSTS));
        assert_eq!(status, 200, "creating posts: {answer}");
        // A user who may read posts and do nothing else.
        let (status, policy) = directus.call(
            "POST",
            "/policies",
            Some(
                r#"{"name":"Posts reader","admin_access":false,"app_access":false,
                "permissions":[{"collection":"posts","action":"read","fields":["*"]}]}"#,
            ),
        );
        assert_eq!(status, 200, "{policy}");
        let policy = policy["data"]["id"].as_str().unwrap().to_owned();
        let user = format!(
            r#"{{"email":"reader@example.com","password":"reader-password","status":"active",
                "token":"{}","policies":[{{"policy":"{policy}"}}]}}"#,
            directus.reader_token
        );
        let (status, answer) = directus.call("POST", "/users", Some(&user));
        assert_eq!(status, 200, "{answer}");
        directus
    }

    /// Starts the server (again, after `stop`), on the same port and database.
    pub fn start_server(&mut self) {
        use std::os::unix::process::CommandExt;
        assert!(self.server.is_none(), "Directus is running");
        let log = std::fs::File::create(self.dir.path().join("directus.log")).unwrap();
        let child = self
            .cli(&["start"])
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .process_group(0)
            .spawn()
            .expect("directus start");
        self.server = Some(Group(child));
        let ping = format!("{}/server/ping", self.url);
        let deadline = Instant::now() + Duration::from_secs(60);
        while !curl(&["-sf", "--max-time", "2", &ping]).0 {
            assert!(Instant::now() < deadline, "Directus did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Stops the server (the database stays): Directus is down.
    pub fn stop(&mut self) {
        self.server = None;
    }

    /// One request as the administrator: the status and the JSON answer (`null` when
    /// empty).
    pub fn call(&self, method: &str, path: &str, body: Option<&str>) -> (u16, serde_json::Value) {
        let url = format!("{}{path}", self.url);
        let auth = format!("Authorization: Bearer {}", self.token);
        let mut args = vec!["-s", "-X", method, "-H", &auth, "-w", "\n%{http_code}"];
        if let Some(body) = body {
            args.extend([
                "-H",
                "Content-Type: application/json",
                "--data-binary",
                body,
            ]);
        }
        args.push(&url);
        let (_, out) = curl(&args);
        let (text, status) = out.rsplit_once('\n').unwrap_or(("", &out));
        let answer = serde_json::from_str(text).unwrap_or(serde_json::Value::Null);
        (status.trim().parse().unwrap_or(0), answer)
    }
}

/// `curl ARGS`: whether it succeeded, and what it printed.
fn curl(args: &[&str]) -> (bool, String) {
    let out = Command::new("curl").args(args).output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// PostgreSQL from Debian: a private cluster in a temp dir on a free loopback port,
/// trusting loopback connections, no fsync (test speed); stopped (fast) when dropped.
/// As root, its programs run as the `postgres` user (initdb refuses root).
pub struct Postgres {
    dir: tempfile::TempDir,
    bin: PathBuf,
    pub port: u16,
}

impl Postgres {
    pub fn start() -> Postgres {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .ok()
            .into_iter()
            .flatten()
            .filter_map(|e| e.ok())
            .map(|e| e.path().join("bin"))
            .filter(|b| b.join("initdb").exists())
            .max()
            .expect("PostgreSQL is installed (scripts/setup.sh installs postgresql)");
        let dir = tempfile::Builder::new()
            .prefix("pressroom-pg")
            .tempdir()
            .unwrap();
        if is_root() {
            let status = Command::new("chown")
                .args(["postgres:postgres", dir.path().to_str().unwrap()])
                .status()
                .unwrap();
            assert!(status.success(), "chown of the cluster's directory failed");
        }
        let pg = Postgres {
            port: free_port(),
            dir,
            bin,
        };
        let data = pg.data();
        let out = pg
            .command("initdb")
            .args(["-D", &data, "-U", "postgres", "--auth=trust", "--no-locale"])
            .args(["-E", "UTF8"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "initdb failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        pg.start_server();
        pg
    }

    fn data(&self) -> String {
        self.dir.path().join("data").display().to_string()
    }

    /// One of PostgreSQL's programs, as the `postgres` user when we are root.
    fn command(&self, program: &str) -> Command {
        let path = self.bin.join(program);
        if is_root() {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(path);
            c
        } else {
            Command::new(path)
        }
    }

    /// Starts the server (again, after `stop_server`), on the same port and files.
    pub fn start_server(&self) {
        let options = format!(
            "-c listen_addresses=127.0.0.1 -p {} -k {} -c fsync=off -c max_connections=300",
            self.port,
            self.dir.path().display()
        );
        let log = self.dir.path().join("server.log").display().to_string();
        let out = self
            .command("pg_ctl")
            .args([
                "-D",
                &self.data(),
                "-l",
                &log,
                "-w",
                "-t",
                "60",
                "-o",
                &options,
                "start",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "PostgreSQL did not start: {}{}",
            String::from_utf8_lossy(&out.stderr),
            std::fs::read_to_string(&log).unwrap_or_default()
        );
    }

    /// Stops the server at once (`-m fast`: sessions are ended), keeping its files.
    pub fn stop_server(&self) {
        let _ = self
            .command("pg_ctl")
            .args(["-D", &self.data(), "-m", "fast", "-w", "stop"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }

    /// `postgres://postgres@127.0.0.1:PORT/DB`
    pub fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    /// Runs `sql` in `database` with psql; its output, unaligned, tuples only.
    pub fn psql(&self, database: &str, sql: &str) -> String {
        let out = Command::new("psql")
            .args(["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1"])
            .args(["-d", &self.url(database), "-c", sql])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "psql {sql:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    }

    /// A new, empty database; its URL.
    pub fn create_database(&self, name: &str) -> String {
        self.psql("postgres", &format!("CREATE DATABASE \"{name}\""));
        self.url(name)
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        self.stop_server();
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout.trim_ascii() == b"0")
        .unwrap_or(false)
}
