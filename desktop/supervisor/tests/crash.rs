//! Crash reports: the launcher's own, written on a panic, and finding the report of a Core that
//! stopped unexpectedly, against real files.

use faceforge_supervisor::crash::{self, LauncherCrash};
use faceforge_supervisor::home::HomeFiles;
use std::path::Path;

const NOV_24_11_02_04: u64 = 1_795_518_124;

fn touch(home: &Path, name: &str) {
    let dir = HomeFiles::new(home).crash_dir();
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(name), "report\n").unwrap();
}

#[test]
fn report_names_carry_a_compact_utc_stamp_and_the_component() {
    assert_eq!(crash::report_name(NOV_24_11_02_04, "launcher"), "crash-20261124T110204Z-launcher.txt");
    assert_eq!(
        crash::parse_report_name("crash-20261124T110204Z-core.txt"),
        Some(("20261124T110204Z", "core"))
    );
    for other in [
        "crash-20261124T110204Z.txt",
        "crash-2026112T110204Z-core.txt",
        "crash-20261124X110204Z-core.txt",
        "crash-20261124T110204Z-.txt",
        "crash-20261124T11a204Z-core.txt",
        "crash-20261124T110204Z-core.log",
        "core.log",
    ] {
        assert_eq!(crash::parse_report_name(other), None, "{other}");
    }
}

#[test]
fn a_launcher_report_has_time_version_os_panic_backtrace_and_the_log_tail_but_no_config() {
    let home = tempfile::tempdir().unwrap();
    let files = HomeFiles::new(home.path());
    std::fs::create_dir_all(files.logs_dir()).unwrap();
    let log: String = (1..=80).map(|i| format!("log line {i}\n")).collect();
    std::fs::write(files.desktop_log(), log).unwrap();
    std::fs::create_dir_all(files.core_json().parent().unwrap()).unwrap();
    std::fs::write(files.core_json(), r#"{"auth": {"install_token": "ff_secret_token_value"}}"#).unwrap();

    let crash = LauncherCrash { version: "1.2.3", message: "boom at main.rs:1:1", backtrace: "0: frame\n" };
    let path = crash::write_launcher_report(home.path(), &crash, NOV_24_11_02_04).unwrap();

    assert_eq!(path, files.crash_dir().join("crash-20261124T110204Z-launcher.txt"));
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("time: 2026-11-24T11:02:04Z"), "{text}");
    assert!(text.contains("version: 1.2.3"));
    assert!(text.contains(&format!("os: {} {}", std::env::consts::OS, std::env::consts::ARCH)));
    assert!(text.contains("panic: boom at main.rs:1:1"));
    assert!(text.contains("backtrace:\n0: frame"));
    assert!(text.contains("log line 80") && text.contains("log line 31"), "the last 50 lines");
    assert!(!text.contains("log line 30\n"), "only the last 50 lines");
    assert!(!text.contains("ff_secret_token_value"), "no token");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
    }
}

#[test]
fn a_launcher_report_is_written_even_before_any_log_exists() {
    let home = tempfile::tempdir().unwrap();
    let crash = LauncherCrash { version: "1.2.3", message: "early", backtrace: "" };
    let path = crash::write_launcher_report(home.path(), &crash, NOV_24_11_02_04).unwrap();
    assert!(std::fs::read_to_string(path).unwrap().contains("last 0 lines of"));
}

#[test]
fn the_report_shown_is_the_newest_core_report_since_core_started() {
    let home = tempfile::tempdir().unwrap();
    let started = NOV_24_11_02_04;
    assert_eq!(crash::core_report_since(home.path(), started), None, "no crash folder yet");
    touch(home.path(), "crash-20261124T110203Z-core.txt");
    assert_eq!(crash::core_report_since(home.path(), started), None, "from an earlier run");
    touch(home.path(), "crash-20261124T110500Z-launcher.txt");
    touch(home.path(), "notes.txt");
    assert_eq!(crash::core_report_since(home.path(), started), None, "the launcher's own is not Core's");
    touch(home.path(), "crash-20261124T110204Z-job.txt");
    let dir = HomeFiles::new(home.path()).crash_dir();
    assert_eq!(
        crash::core_report_since(home.path(), started),
        Some(dir.join("crash-20261124T110204Z-job.txt")),
        "written in the second Core started"
    );
    touch(home.path(), "crash-20261124T110300Z-core.txt");
    assert_eq!(
        crash::core_report_since(home.path(), started),
        Some(dir.join("crash-20261124T110300Z-core.txt"))
    );
    assert_eq!(
        crash::core_report_since(home.path(), started + 3600),
        None,
        "Core restarted after all of them"
    );
}
