//! Crash reports in `FACEFORGE_HOME/logs/crash/`: the launcher writes its own when it panics, and
//! finds the one Core (or a job worker) wrote before Core stopped unexpectedly, so the window can
//! offer to open it. Names are `crash-<UTC yyyymmddTHHMMSSZ>-<component>.txt`, the format Core
//! uses too; the fixed-width stamp sorts as text, so "newer than" needs no date parsing.

use crate::files::{now_unix, rfc3339, tail_lines, write_atomically};
use crate::home::HomeFiles;
use std::path::{Path, PathBuf};

/// The component name of the launcher's own reports.
pub const LAUNCHER: &str = "launcher";

/// How many lines of `desktop.log` a report carries.
pub const LOG_LINES: usize = 50;

/// What a launcher crash report says, apart from the time and the log tail it adds itself.
#[derive(Debug, Clone)]
pub struct LauncherCrash<'a> {
    pub version: &'a str,
    /// The panic message with its source location.
    pub message: &'a str,
    pub backtrace: &'a str,
}

/// `20261124T110204Z` for unix seconds: the stamp in a report's file name.
pub fn stamp(unix: u64) -> String {
    rfc3339(unix).replace(['-', ':'], "")
}

/// `crash-<stamp>-<component>.txt`.
pub fn report_name(unix: u64, component: &str) -> String {
    format!("crash-{}-{component}.txt", stamp(unix))
}

/// The stamp and component of a report's file name; `None` for any other file.
pub fn parse_report_name(name: &str) -> Option<(&str, &str)> {
    let rest = name.strip_prefix("crash-")?.strip_suffix(".txt")?;
    let (stamp, component) = rest.split_once('-')?;
    let well_formed = stamp.len() == 16
        && stamp.as_bytes()[8] == b'T'
        && stamp.ends_with('Z')
        && stamp.bytes().enumerate().all(|(i, b)| matches!(i, 8 | 15) || b.is_ascii_digit());
    (well_formed && !component.is_empty()).then_some((stamp, component))
}

/// Write the launcher's report for a panic at `unix` seconds: time, versions, OS, the panic and
/// its backtrace, and the last lines of `desktop.log`. Never reads config or token files, so no
/// secret can end up in it. Owner-only, like the rest of the home's private files.
pub fn write_launcher_report(home: &Path, crash: &LauncherCrash<'_>, unix: u64) -> std::io::Result<PathBuf> {
    let files = HomeFiles::new(home);
    let path = files.crash_dir().join(report_name(unix, LAUNCHER));
    let log = tail_lines(&files.desktop_log(), LOG_LINES);
    let text = format!(
        "FaceForge Desktop crash report\n\
         time: {time}\n\
         component: {LAUNCHER}\n\
         version: {version}\n\
         os: {os}\n\
         \n\
         panic: {message}\n\
         \n\
         backtrace:\n{backtrace}\n\
         \n\
         last {count} lines of {log_file}:\n{log}\n",
        time = rfc3339(unix),
        version = crash.version,
        os = os_description(),
        message = crash.message,
        backtrace = crash.backtrace.trim_end(),
        count = log.len(),
        log_file = files.desktop_log().display(),
        log = log.join("\n"),
    );
    write_atomically(&path, text.as_bytes(), true)?;
    Ok(path)
}

/// [`write_launcher_report`] at the current time.
pub fn write_launcher_report_now(home: &Path, crash: &LauncherCrash<'_>) -> std::io::Result<PathBuf> {
    write_launcher_report(home, crash, now_unix())
}

/// The newest report written by Core or one of its job workers at or after `since` (unix
/// seconds, when the Core process started), if any: the one to show when that Core stopped
/// unexpectedly. Reports from before that start belong to an earlier run; the launcher's own are
/// not about Core.
pub fn core_report_since(home: &Path, since: u64) -> Option<PathBuf> {
    let threshold = stamp(since);
    let entries = std::fs::read_dir(HomeFiles::new(home).crash_dir()).ok()?;
    entries
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let name = entry.file_name().into_string().ok()?;
            let (stamp, component) = parse_report_name(&name)?;
            let wanted = component != LAUNCHER && stamp >= threshold.as_str();
            wanted.then_some(name)
        })
        // Names start `crash-<fixed-width stamp>`, so the greatest name is the newest report.
        .max()
        .map(|name| HomeFiles::new(home).crash_dir().join(name))
}

/// `linux x86_64 (Debian GNU/Linux 13 (trixie))`: the OS family, architecture and, where the
/// system says, its release.
pub fn os_description() -> String {
    let base = format!("{} {}", std::env::consts::OS, std::env::consts::ARCH);
    let pretty = std::fs::read_to_string("/etc/os-release").ok().and_then(|text| {
        text.lines()
            .find_map(|line| line.strip_prefix("PRETTY_NAME="))
            .map(|value| value.trim_matches('"').to_string())
    });
    match pretty {
        Some(name) => format!("{base} ({name})"),
        None => base,
    }
}
