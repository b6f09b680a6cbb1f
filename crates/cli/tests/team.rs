//! docs/team.md followed step by step: a PostgreSQL database from Debian, three
//! `pressroom serve --database-url` processes, and nginx configured with the recipe's
//! own block. Publishes and reads go through nginx; request ids reach the JSON logs;
//! an instance stopped with SIGTERM finishes the request it is in the middle of.

mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use pressroom_testkit::{free_port, Nginx, Postgres};
use serde_json::{json, Value};
use support::{pressroom, TOKEN, TOKEN_VAR};

/// The nginx block of docs/team.md with the test's ports in place of the recipe's.
fn recipe_nginx(ports: &[u16], listen: u16) -> String {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/team.md"))
        .unwrap();
    let block = doc
        .split("```nginx\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("docs/team.md has an nginx block");
    let mut conf = block.replace("listen 80;", &format!("listen 127.0.0.1:{listen};"));
    for (i, port) in ports.iter().enumerate() {
        let recipe = format!("127.0.0.1:{}", 7701 + i);
        assert!(conf.contains(&recipe), "the recipe names {recipe}");
        conf = conf.replace(&recipe, &format!("127.0.0.1:{port}"));
    }
    conf
}

struct Instance {
    child: Child,
    port: u16,
}

impl Instance {
    /// `pressroom --json serve` as the recipe starts it, logs to `log`.
    fn start(dir: &Path, database_url: &str, log: &Path) -> Instance {
        let port = free_port();
        let mut child = pressroom(dir)
            .args(["--json", "serve", "--addr", &format!("127.0.0.1:{port}")])
            .args(["--token-env", TOKEN_VAR])
            .env("PRESSROOM_DATABASE_URL", database_url)
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(log).unwrap())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let said: Value = serde_json::from_str(&line).unwrap_or_else(|_| {
            panic!(
                "first line {line:?}; log: {}",
                std::fs::read_to_string(log).unwrap_or_default()
            )
        });
        assert_eq!(said["listening"], format!("http://127.0.0.1:{port}"));
        Instance { child, port }
    }

    fn terminate(&self) {
        Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn the_team_recipe_three_instances_on_postgres_behind_nginx() {
    let dir = tempfile::tempdir().unwrap();
    let pg = Postgres::start();
    pg.psql("postgres", "CREATE ROLE pressroom LOGIN");
    pg.psql("postgres", "CREATE DATABASE pressroom OWNER pressroom");
    let url = format!("postgres://pressroom@127.0.0.1:{}/pressroom", pg.port);
    let logs: Vec<_> = (0..3)
        .map(|i| dir.path().join(format!("api-{i}.log")))
        .collect();
    let mut instances: Vec<Instance> = logs
        .iter()
        .map(|log| Instance::start(dir.path(), &url, log))
        .collect();
    let ports: Vec<u16> = instances.iter().map(|i| i.port).collect();
    let listen = free_port();
    let nginx = Nginx::start_with(
        &dir.path().join("nginx"),
        listen,
        &recipe_nginx(&ports, listen),
    );

    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let http = reqwest::Client::new();
        let origin = &nginx.origin;
        let published = http
            .put(format!("{origin}/v1/documents/team"))
            .bearer_auth(TOKEN)
            .header("x-request-id", "recipe-publish-1")
            .json(&json!({"title": "Team", "markdown": "One database, three instances."}))
            .send()
            .await
            .unwrap();
        assert_eq!(published.status(), reqwest::StatusCode::CREATED);
        assert_eq!(published.headers()["x-request-id"], "recipe-publish-1");
        let published: Value = published.json().await.unwrap();
        // Round robin: each instance answers one of these, all with the publish.
        for _ in 0..6 {
            let read: Value = http
                .get(format!("{origin}/v1/documents/team"))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            assert_eq!(read["revision"], published["revision"]);
        }
        let health: Value = http
            .get(format!("{origin}/v1/health"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(health["database"], "postgres");
        assert_eq!(health["ok"], true);
    });

    // The publish's id is in one instance's JSON log, on its request line.
    let logged = logs
        .iter()
        .flat_map(|log| {
            std::fs::read_to_string(log)
                .unwrap()
                .lines()
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .filter(|line| line.contains("recipe-publish-1"))
        .map(|line| serde_json::from_str::<Value>(&line).expect("log lines are JSON"))
        .find(|entry| entry["fields"]["message"] == "request")
        .expect("the request is logged with its id");
    assert_eq!(logged["span"]["id"], "recipe-publish-1");
    assert_eq!(logged["fields"]["status"], 201);

    // SIGTERM in the middle of a request: the request is answered, then the process
    // ends cleanly.
    let body = br#"{"title": "Drained", "markdown": "finished after SIGTERM"}"#;
    let mut stream = TcpStream::connect(("127.0.0.1", instances[0].port)).unwrap();
    write!(
        stream,
        "PUT /v1/documents/drained HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .unwrap();
    stream.write_all(&body[..10]).unwrap();
    std::thread::sleep(Duration::from_millis(300));
    instances[0].terminate();
    std::thread::sleep(Duration::from_millis(300));
    stream.write_all(&body[10..]).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(15)))
        .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 201"), "{answer}");
    let status = instances[0].child.wait().unwrap();
    assert!(status.success(), "{status}");
    for instance in &mut instances[1..] {
        instance.terminate();
        assert!(instance.child.wait().unwrap().success());
    }
    // What the drained instance accepted is in the database.
    assert_eq!(
        pg.psql(
            "pressroom",
            "SELECT title FROM documents WHERE slug = 'drained'"
        ),
        "Drained"
    );
    drop(nginx);
}
