//! Port checks and picking for the first-run wizard.

use std::net::TcpListener;

/// Whether `port` can be bound on `host` right now.
pub fn is_free(host: &str, port: u16) -> bool {
    port != 0 && TcpListener::bind((host, port)).is_ok()
}

/// `preferred` when it is free and not in `avoid`; else the next free port above it (up to 200
/// further); else any free port the OS hands out.
pub fn pick(host: &str, preferred: u16, avoid: &[u16]) -> std::io::Result<u16> {
    let usable = |port: u16| !avoid.contains(&port) && is_free(host, port);
    if let Some(port) =
        (0..=200u16).filter_map(|step| preferred.checked_add(step)).find(|&port| port >= 1024 && usable(port))
    {
        return Ok(port);
    }
    loop {
        let port = TcpListener::bind((host, 0))?.local_addr()?.port();
        if !avoid.contains(&port) {
            return Ok(port);
        }
    }
}
