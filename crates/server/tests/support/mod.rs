//! Starting the reference server in-process on 127.0.0.1:0 for a test, and stopping it.

#![allow(dead_code)] // each test binary uses its own subset

use std::path::Path;

pub mod contract;

use pressroom_server::{Config, Database, Server};

pub struct Running {
    pub base: String,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

impl Running {
    /// Graceful shutdown; waits until the server has finished.
    pub async fn stop(self) {
        let _ = self.stop.send(());
        self.task.await.unwrap();
    }
}

pub async fn start(server: Server) -> Running {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        server
            .serve(listener, async {
                let _ = stopped.await;
            })
            .await
            .unwrap();
    });
    Running { base, stop, task }
}

pub async fn start_with_token(db: &Path, token: &str, body_limit: usize) -> Running {
    let server = Server::open(Config {
        database: Database::Sqlite(db.to_path_buf()),
        token: Some(token.to_owned()),
        body_limit,
        limits: Default::default(),
        public_url: None,
    })
    .await
    .unwrap();
    start(server).await
}
