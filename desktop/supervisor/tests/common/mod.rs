//! Test helpers: a throwaway folder, sh scripts as services, and a tiny HTTP health responder.
#![allow(dead_code)]

use faceforge_supervisor::{HealthCheck, Policy, ServiceSpec};
use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Quick timings so a crash loop or a stop timeout plays out in about a second.
pub fn fast_policy() -> Policy {
    Policy {
        start_timeout: Duration::from_secs(3),
        start_poll: Duration::from_millis(50),
        health_interval: Duration::from_millis(100),
        health_timeout: Duration::from_millis(500),
        unhealthy_after: 2,
        stop_timeout: Duration::from_secs(1),
        backoff_initial: Duration::from_millis(100),
        backoff_max: Duration::from_millis(400),
        max_failures: 3,
        stable_after: Duration::from_secs(60),
        log_tail_lines: 5,
    }
}

/// Answers `GET /healthz` with 200 while `<dir>/ready` holds the pid of a live process, else 503:
/// health follows the real child, as it would for Core.
pub struct Responder {
    pub port: u16,
    stop: Arc<AtomicBool>,
}

impl Responder {
    pub fn start(dir: &Path) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let stop = Arc::new(AtomicBool::new(false));
        let (ready, flag) = (dir.join("ready"), stop.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if flag.load(Ordering::SeqCst) {
                    return;
                }
                let Ok(mut stream) = stream else { continue };
                let mut buf = [0u8; 1024];
                let _ = stream.read(&mut buf);
                let alive = std::fs::read_to_string(&ready)
                    .ok()
                    .and_then(|t| t.trim().parse::<u32>().ok())
                    .is_some_and(faceforge_supervisor::process::is_alive);
                let status = if alive { "200 OK" } else { "503 Service Unavailable" };
                let body = if alive { "{\"ok\":true}" } else { "{\"ok\":false}" };
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
            }
        });
        Self { port, stop }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/healthz", self.port)
    }
}

impl Drop for Responder {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = std::net::TcpStream::connect(("127.0.0.1", self.port));
    }
}

/// A service running `sh -c script` in `dir`, health-checked by `responder`.
pub fn sh_service(name: &str, dir: &Path, responder: &Responder, script: &str) -> ServiceSpec {
    ServiceSpec {
        name: name.to_string(),
        program: PathBuf::from("sh"),
        args: vec!["-c".to_string(), script.to_string()],
        env: vec![("SERVICE_DIR".to_string(), dir.display().to_string())],
        cwd: Some(dir.to_path_buf()),
        health: HealthCheck::http(&responder.url()).unwrap(),
        log_file: dir.join("logs").join(format!("{name}.console.log")),
        pid_file: dir.join("run").join(format!("{name}.pid")),
        policy: fast_policy(),
    }
}

/// How many times a script that appends to `starts` has been started.
pub fn starts(dir: &Path) -> usize {
    std::fs::read_to_string(dir.join("starts")).map(|t| t.lines().count()).unwrap_or(0)
}

/// Serves until stopped; writes its pid to `ready` and counts its starts. (No `exec`: the pid
/// keeps showing `sh` as its command, as a pid file check expects.)
pub const SERVES: &str = "echo start >> starts; echo $$ > ready; sleep 600 & wait";
