//! Health checks: an HTTP GET that must answer 200 (Core's `/healthz`), or a TCP port that accepts
//! connections (SeaweedFS S3). Plain std sockets with short timeouts: no HTTP client library needed
//! for one request to loopback.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HealthCheck {
    /// `GET http://host:port/path` must answer status 200.
    Http { host: String, port: u16, path: String },
    /// A TCP connection to `host:port` must be accepted.
    Tcp { host: String, port: u16 },
}

impl HealthCheck {
    /// Parse `http://host:port/path` (the only form services use: loopback, no TLS).
    pub fn http(url: &str) -> Result<Self, String> {
        let rest = url.strip_prefix("http://").ok_or_else(|| format!("not an http:// URL: {url}"))?;
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        let (host, port) =
            authority.rsplit_once(':').ok_or_else(|| format!("URL needs an explicit port: {url}"))?;
        let port = port.parse::<u16>().map_err(|_| format!("bad port in URL: {url}"))?;
        let host = host.trim_start_matches('[').trim_end_matches(']').to_string();
        Ok(Self::Http { host, port, path: path.to_string() })
    }

    pub fn tcp(host: &str, port: u16) -> Self {
        Self::Tcp { host: host.to_string(), port }
    }

    pub fn port(&self) -> u16 {
        match self {
            Self::Http { port, .. } | Self::Tcp { port, .. } => *port,
        }
    }

    /// Run the check once; `Err` says what went wrong in a sentence for the status window.
    pub fn check(&self, timeout: Duration) -> Result<(), String> {
        match self {
            Self::Tcp { host, port } => connect(host, *port, timeout).map(drop),
            Self::Http { host, port, path } => {
                let mut stream = send_get(host, *port, path, timeout)?;
                let mut head = [0u8; 64];
                let mut got = 0;
                while got < 12 {
                    match stream.read(&mut head[got..]) {
                        Ok(0) => break,
                        Ok(n) => got += n,
                        Err(e) => return Err(format!("no answer: {e}")),
                    }
                }
                let line = String::from_utf8_lossy(&head[..got]);
                let status = line.split_whitespace().nth(1).unwrap_or("");
                if status == "200" {
                    Ok(())
                } else if got == 0 {
                    Err("connection closed without an answer".to_string())
                } else {
                    Err(format!("answered HTTP {status}"))
                }
            }
        }
    }

    /// The body of a 200 answer to this HTTP check (at most 1 MiB): Core's `/healthz` says
    /// which version is running.
    pub fn fetch(&self, timeout: Duration) -> Result<String, String> {
        let Self::Http { host, port, path } = self else {
            return Err("a TCP check has no body".to_string());
        };
        let stream = send_get(host, *port, path, timeout)?;
        let mut answer = Vec::new();
        stream.take(1 << 20).read_to_end(&mut answer).map_err(|e| format!("no answer: {e}"))?;
        let answer = String::from_utf8_lossy(&answer);
        let (head, body) = answer.split_once("\r\n\r\n").ok_or("an incomplete HTTP answer")?;
        match head.split_whitespace().nth(1) {
            Some("200") => Ok(body.to_string()),
            Some(status) => Err(format!("answered HTTP {status}")),
            None => Err("connection closed without an answer".to_string()),
        }
    }
}

/// The version a running Core reports on `/healthz` (`{"ok": true, "data": {"version": ...}}`).
pub fn core_version(healthz: &HealthCheck, timeout: Duration) -> Result<String, String> {
    let body = healthz.fetch(timeout)?;
    let value: serde_json::Value = serde_json::from_str(&body).map_err(|e| format!("not JSON: {e}"))?;
    value
        .pointer("/data/version")
        .and_then(serde_json::Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| "the answer names no version".to_string())
}

/// Connect and send `GET path` (HTTP/1.0, so the server closes when done).
fn send_get(host: &str, port: u16, path: &str, timeout: Duration) -> Result<TcpStream, String> {
    let mut stream = connect(host, port, timeout)?;
    stream.set_read_timeout(Some(timeout)).map_err(|e| e.to_string())?;
    stream.set_write_timeout(Some(timeout)).map_err(|e| e.to_string())?;
    let host_header = if host.contains(':') { format!("[{host}]") } else { host.to_string() };
    let request = format!("GET {path} HTTP/1.0\r\nHost: {host_header}:{port}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).map_err(|e| format!("request failed: {e}"))?;
    Ok(stream)
}

fn connect(host: &str, port: u16, timeout: Duration) -> Result<TcpStream, String> {
    let addrs: Vec<SocketAddr> =
        (host, port).to_socket_addrs().map_err(|e| format!("cannot resolve {host}: {e}"))?.collect();
    let mut last = format!("no address for {host}");
    for addr in addrs {
        match TcpStream::connect_timeout(&addr, timeout) {
            Ok(stream) => return Ok(stream),
            Err(e) => last = format!("port {port} not answering ({e})"),
        }
    }
    Err(last)
}
