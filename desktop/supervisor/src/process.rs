//! Signals and liveness checks by process id, for children we spawned and for ones we adopted.
//!
//! Every service is started as the leader of its own process group, so stopping it also stops the
//! helpers it started (`faceforge seaweed run` starts `weed`).

use std::time::{Duration, Instant};

/// Whether a process with this id exists (a zombie still counts until it is reaped).
#[cfg(unix)]
pub fn is_alive(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    if pid <= 0 {
        return false; // 0 and negatives name process groups, not a process
    }
    // SAFETY: kill with signal 0 only checks permissions and existence.
    let rc = unsafe { libc::kill(pid, 0) };
    rc == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

#[cfg(windows)]
pub fn is_alive(pid: u32) -> bool {
    std::process::Command::new("tasklist")
        .args(["/FI", &format!("PID eq {pid}"), "/NH", "/FO", "CSV"])
        .output()
        .map(|out| String::from_utf8_lossy(&out.stdout).contains(&format!("\"{pid}\"")))
        .unwrap_or(false)
}

/// Ask the process group led by `pid` to stop (SIGTERM; on Windows, taskkill of the tree).
#[cfg(unix)]
pub fn terminate_group(pid: u32) {
    signal_group(pid, libc::SIGTERM);
}

/// Stop the process group led by `pid` now (SIGKILL; on Windows, taskkill /F of the tree).
#[cfg(unix)]
pub fn kill_group(pid: u32) {
    signal_group(pid, libc::SIGKILL);
}

#[cfg(unix)]
fn signal_group(pid: u32, signal: libc::c_int) {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return;
    };
    if pid <= 1 {
        return;
    }
    // SAFETY: plain syscalls on ids we recorded; failures (already gone) are fine to ignore.
    unsafe {
        if libc::kill(-pid, signal) != 0 {
            libc::kill(pid, signal);
        }
    }
}

#[cfg(windows)]
pub fn terminate_group(pid: u32) {
    let _ = std::process::Command::new("taskkill").args(["/PID", &pid.to_string(), "/T"]).output();
}

#[cfg(windows)]
pub fn kill_group(pid: u32) {
    let _ = std::process::Command::new("taskkill").args(["/PID", &pid.to_string(), "/T", "/F"]).output();
}

/// Make a command lead its own process group, so the whole tree can be signalled together.
pub fn own_group(command: &mut std::process::Command) {
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        command.process_group(0);
    }
    #[cfg(windows)]
    {
        use std::os::windows::process::CommandExt;
        const CREATE_NO_WINDOW: u32 = 0x0800_0000;
        const CREATE_NEW_PROCESS_GROUP: u32 = 0x0000_0200;
        command.creation_flags(CREATE_NO_WINDOW | CREATE_NEW_PROCESS_GROUP);
    }
}

/// Whether any process of the group led by `pid` is still there (the leader may be gone while a
/// helper it started lingers).
#[cfg(unix)]
pub fn group_alive(pid: u32) -> bool {
    let Ok(group) = libc::pid_t::try_from(pid) else {
        return false;
    };
    // SAFETY: signal 0 to a process group only checks existence.
    let members = group > 1 && unsafe { libc::kill(-group, 0) } == 0;
    members || is_alive(pid)
}

#[cfg(windows)]
pub fn group_alive(pid: u32) -> bool {
    is_alive(pid)
}

/// The command line of a running process, where the OS shows it (Linux `/proc`); used to make
/// sure a pid file does not point at an unrelated process that reused the id.
pub fn command_line(pid: u32) -> Option<String> {
    let raw = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
    Some(String::from_utf8_lossy(&raw).replace('\0', " ").trim().to_string())
}

/// Wait until the group led by `pid` is gone or `timeout` passes; true when gone.
pub fn wait_group_gone(pid: u32, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if !group_alive(pid) {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}
