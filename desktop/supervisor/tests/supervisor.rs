//! The supervisor against real child processes: healthy, crashing, hanging on start, hung while
//! running, ignoring SIGTERM, killed from outside, adopted by a second supervisor.
#![cfg(unix)]

mod common;

use common::{sh_service, starts, Responder, SERVES};
use faceforge_supervisor::files::PidRecord;
use faceforge_supervisor::process::{group_alive, is_alive};
use faceforge_supervisor::{Policy, ServiceStatus, State, Supervisor};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const WAIT: Duration = Duration::from_secs(10);

fn wait_state(sup: &Supervisor, name: &str, state: State) -> ServiceStatus {
    let (matched, status) = sup.wait_for(name, WAIT, |s| s.state == state).unwrap();
    assert!(matched, "{name} never reached {state:?}; last status: {status:#?}");
    status
}

fn read_pid(dir: &Path, file: &str) -> u32 {
    std::fs::read_to_string(dir.join(file)).unwrap().trim().parse().unwrap()
}

fn gone(pid: u32) -> bool {
    faceforge_supervisor::process::wait_group_gone(pid, Duration::from_secs(3))
}

#[test]
fn starts_a_service_and_reports_it_running_until_stopped() {
    let dir = tempfile::tempdir().unwrap();
    let responder = Responder::start(dir.path());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let listener: faceforge_supervisor::Listener =
        Arc::new(move |s: &ServiceStatus| log.lock().unwrap().push(s.state));
    let sup = Supervisor::new(vec![sh_service("core", dir.path(), &responder, SERVES)], Some(listener));
    assert_eq!(sup.status("core").unwrap().state, State::Stopped);

    sup.start("core").unwrap();
    let running = wait_state(&sup, "core", State::Running);
    let pid = running.pid.expect("a running service has a pid");
    assert_eq!(pid, read_pid(dir.path(), "ready"));
    assert_eq!(running.port, responder.port);
    assert!(!running.adopted);
    assert!(running.uptime_secs.is_some());
    let record = PidRecord::read(&dir.path().join("run/core.pid")).expect("pid file written");
    assert_eq!((record.pid, record.port), (pid, responder.port));
    assert_eq!(record.command[0], "sh");

    sup.stop("core").unwrap();
    let stopped = wait_state(&sup, "core", State::Stopped);
    assert_eq!(stopped.pid, None);
    assert!(gone(pid), "the process is gone after stop");
    assert!(!dir.path().join("run/core.pid").exists(), "the pid file is removed");
    // The listener runs just after the board changes, so give it a moment to hear of `Stopped`.
    let expected = vec![State::Starting, State::Running, State::Stopping, State::Stopped];
    let deadline = Instant::now() + WAIT;
    while *seen.lock().unwrap() != expected && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(*seen.lock().unwrap(), expected);
}

#[test]
fn a_crashing_service_is_retried_with_backoff_then_failed_with_its_log_tail() {
    let dir = tempfile::tempdir().unwrap();
    let responder = Responder::start(dir.path());
    let script = "echo start >> starts; echo 'loading config'; echo 'fatal: database is locked' >&2; exit 3";
    let sup = Supervisor::new(vec![sh_service("core", dir.path(), &responder, script)], None);
    let began = Instant::now();
    sup.start("core").unwrap();

    let failed = wait_state(&sup, "core", State::Failed);
    assert_eq!(starts(dir.path()), 3, "max_failures = 3 attempts");
    assert_eq!(failed.failures, 3);
    assert_eq!(failed.restarts, 2);
    assert_eq!(failed.last_error.as_deref(), Some("exited unexpectedly (exit code 3)"));
    assert_eq!(failed.log_tail.last().map(String::as_str), Some("fatal: database is locked"));
    // Backoff waited 100 ms then 200 ms between the three attempts.
    assert!(began.elapsed() >= Duration::from_millis(300));
    assert!(!dir.path().join("run/core.pid").exists());

    // A manual start clears the failure count and tries again.
    sup.start("core").unwrap();
    let (matched, again) =
        sup.wait_for("core", WAIT, |s| s.state == State::Failed && s.restarts == 4).unwrap();
    assert!(matched, "{again:#?}");
    assert_eq!(starts(dir.path()), 6);
}

#[test]
fn a_service_that_crashes_once_is_restarted_and_runs() {
    let dir = tempfile::tempdir().unwrap();
    let responder = Responder::start(dir.path());
    let script = "echo start >> starts; if [ $(wc -l < starts) -lt 2 ]; then exit 1; fi; echo $$ > ready; exec sleep 600";
    let sup = Supervisor::new(vec![sh_service("core", dir.path(), &responder, script)], None);
    sup.start("core").unwrap();
    let running = wait_state(&sup, "core", State::Running);
    assert_eq!(starts(dir.path()), 2);
    assert_eq!(running.restarts, 1);
    assert_eq!(running.failures, 1, "remembered until it has run stably");
    assert_eq!(running.last_error.as_deref(), Some("exited unexpectedly (exit code 1)"));
    sup.shutdown(true);
}

#[test]
fn a_service_that_hangs_on_start_is_killed_after_the_start_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let responder = Responder::start(dir.path());
    let mut spec = sh_service("core", dir.path(), &responder, "echo $$ >> starts; exec sleep 600");
    spec.policy = Policy { start_timeout: Duration::from_millis(500), max_failures: 2, ..spec.policy };
    let sup = Supervisor::new(vec![spec], None);
    sup.start("core").unwrap();
    let failed = wait_state(&sup, "core", State::Failed);
    let pids: Vec<u32> = std::fs::read_to_string(dir.path().join("starts"))
        .unwrap()
        .lines()
        .map(|l| l.parse().unwrap())
        .collect();
    assert_eq!(pids.len(), 2);
    assert!(pids.iter().all(|&pid| !is_alive(pid)), "every hung attempt was killed");
    let error = failed.last_error.unwrap();
    assert!(error.starts_with("did not become healthy within 500 ms (answered HTTP 503"), "{error}");
}

#[test]
fn a_service_that_stops_answering_health_checks_is_restarted() {
    let dir = tempfile::tempdir().unwrap();
    let responder = Responder::start(dir.path());
    let sup = Supervisor::new(vec![sh_service("core", dir.path(), &responder, SERVES)], None);
    sup.start("core").unwrap();
    let first = wait_state(&sup, "core", State::Running).pid.unwrap();

    std::fs::remove_file(dir.path().join("ready")).unwrap(); // health now answers 503
    let (matched, status) =
        sup.wait_for("core", WAIT, |s| s.state == State::Running && s.pid != Some(first)).unwrap();
    assert!(matched, "{status:#?}");
    assert!(gone(first), "the hung process was stopped");
    assert_eq!(status.restarts, 1);
    assert!(status.last_error.unwrap().starts_with("stopped answering its health check"));
    sup.shutdown(true);
}

#[test]
fn a_service_killed_from_outside_is_restarted() {
    let dir = tempfile::tempdir().unwrap();
    let responder = Responder::start(dir.path());
    let sup = Supervisor::new(vec![sh_service("core", dir.path(), &responder, SERVES)], None);
    sup.start("core").unwrap();
    let first = wait_state(&sup, "core", State::Running).pid.unwrap();
    // SAFETY: killing the child this test started.
    unsafe { libc::kill(first as i32, libc::SIGKILL) };
    let (matched, status) =
        sup.wait_for("core", WAIT, |s| s.state == State::Running && s.pid != Some(first)).unwrap();
    assert!(matched, "{status:#?}");
    assert_eq!(status.last_error.as_deref(), Some("exited unexpectedly (killed by signal 9)"));
    assert_eq!(starts(dir.path()), 2);
    sup.shutdown(true);
}

#[test]
fn a_service_that_ignores_sigterm_is_killed_after_the_stop_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let responder = Responder::start(dir.path());
    let script = "trap '' TERM; echo $$ > ready; while :; do sleep 1; done";
    let sup = Supervisor::new(vec![sh_service("core", dir.path(), &responder, script)], None);
    sup.start("core").unwrap();
    let pid = wait_state(&sup, "core", State::Running).pid.unwrap();
    let began = Instant::now();
    sup.stop("core").unwrap();
    wait_state(&sup, "core", State::Stopped);
    assert!(began.elapsed() >= Duration::from_secs(1), "SIGTERM was given its timeout first");
    assert!(gone(pid));
}

#[test]
fn stopping_a_service_stops_the_helpers_it_started() {
    let dir = tempfile::tempdir().unwrap();
    let responder = Responder::start(dir.path());
    let script = "sleep 600 & echo $! > helper; echo $$ > ready; wait";
    let sup = Supervisor::new(vec![sh_service("seaweed", dir.path(), &responder, script)], None);
    sup.start("seaweed").unwrap();
    let pid = wait_state(&sup, "seaweed", State::Running).pid.unwrap();
    let helper = read_pid(dir.path(), "helper");
    assert!(is_alive(helper));
    sup.shutdown(true);
    assert!(!group_alive(pid));
    assert!(!is_alive(helper), "the helper went with its service");
}

#[test]
fn restart_replaces_the_process_and_keeps_the_failure_count_clear() {
    let dir = tempfile::tempdir().unwrap();
    let responder = Responder::start(dir.path());
    let sup = Supervisor::new(vec![sh_service("core", dir.path(), &responder, SERVES)], None);
    sup.start("core").unwrap();
    let first = wait_state(&sup, "core", State::Running).pid.unwrap();
    sup.restart("core").unwrap();
    let (matched, status) =
        sup.wait_for("core", WAIT, |s| s.state == State::Running && s.pid != Some(first)).unwrap();
    assert!(matched, "{status:#?}");
    assert!(gone(first));
    assert_eq!((status.restarts, status.failures, status.last_error), (0, 0, None));
    sup.shutdown(true);
}

#[test]
fn a_second_supervisor_adopts_a_running_service_instead_of_starting_another() {
    let dir = tempfile::tempdir().unwrap();
    let responder = Responder::start(dir.path());
    let spec = sh_service("core", dir.path(), &responder, SERVES);
    let first = Supervisor::new(vec![spec.clone()], None);
    first.start("core").unwrap();
    let pid = wait_state(&first, "core", State::Running).pid.unwrap();
    first.shutdown(false); // leave it running, as "Exit, leave services running" does
    assert!(is_alive(pid));
    assert!(dir.path().join("run/core.pid").exists());

    let second = Supervisor::new(vec![spec], None);
    second.start("core").unwrap();
    let adopted = wait_state(&second, "core", State::Running);
    assert_eq!(adopted.pid, Some(pid));
    assert!(adopted.adopted);
    assert_eq!(starts(dir.path()), 1, "no duplicate was started");

    // An adopted service is watched too: killed from outside, it is started anew.
    // SAFETY: killing the process this test started.
    unsafe { libc::kill(pid as i32, libc::SIGKILL) };
    let (matched, status) =
        second.wait_for("core", WAIT, |s| s.state == State::Running && s.pid != Some(pid)).unwrap();
    assert!(matched, "{status:#?}");
    assert!(!status.adopted);
    assert_eq!(starts(dir.path()), 2);
    second.shutdown(true);
    assert!(!dir.path().join("run/core.pid").exists());
}

#[test]
fn a_stale_pid_file_is_ignored_and_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let responder = Responder::start(dir.path());
    let spec = sh_service("core", dir.path(), &responder, SERVES);
    // A pid that is surely dead: a child we started and reaped.
    let mut dead = std::process::Command::new("true").spawn().unwrap();
    let dead_pid = dead.id();
    dead.wait().unwrap();
    let stale = PidRecord { pid: dead_pid, started_at: 1, port: responder.port, command: vec!["sh".into()] };
    stale.write(&spec.pid_file).unwrap();

    let sup = Supervisor::new(vec![spec.clone()], None);
    sup.start("core").unwrap();
    let status = wait_state(&sup, "core", State::Running);
    assert!(!status.adopted);
    assert_ne!(status.pid, Some(dead_pid));
    assert_eq!(PidRecord::read(&spec.pid_file).unwrap().pid, status.pid.unwrap());
    sup.shutdown(true);
}

#[test]
fn a_pid_file_pointing_at_an_unrelated_process_is_not_adopted() {
    let dir = tempfile::tempdir().unwrap();
    let responder = Responder::start(dir.path());
    let spec = sh_service("core", dir.path(), &responder, SERVES);
    let mut unrelated = std::process::Command::new("sleep").arg("600").spawn().unwrap();
    let record = PidRecord { pid: unrelated.id(), started_at: 1, port: responder.port, command: vec![] };
    record.write(&spec.pid_file).unwrap();
    let sup = Supervisor::new(vec![spec], None);
    sup.start("core").unwrap();
    let status = wait_state(&sup, "core", State::Running);
    assert_ne!(status.pid, Some(unrelated.id()));
    assert!(is_alive(unrelated.id()), "the unrelated process was left alone");
    sup.shutdown(true);
    unrelated.kill().unwrap();
    unrelated.wait().unwrap();
}

#[test]
fn a_port_already_answering_for_another_program_fails_without_starting() {
    let dir = tempfile::tempdir().unwrap();
    let responder = Responder::start(dir.path());
    std::fs::write(dir.path().join("ready"), std::process::id().to_string()).unwrap();
    let sup = Supervisor::new(vec![sh_service("core", dir.path(), &responder, SERVES)], None);
    sup.start("core").unwrap();
    let failed = wait_state(&sup, "core", State::Failed);
    let port = responder.port;
    let expected = format!("port {port} is already in use by another program; choose another port");
    assert_eq!(failed.last_error, Some(expected));
    assert_eq!(starts(dir.path()), 0);
}

#[test]
fn a_missing_program_fails_at_once_with_its_name() {
    let dir = tempfile::tempdir().unwrap();
    let responder = Responder::start(dir.path());
    let mut spec = sh_service("core", dir.path(), &responder, SERVES);
    spec.program = dir.path().join("no-such-faceforge");
    let sup = Supervisor::new(vec![spec], None);
    sup.start("core").unwrap();
    let failed = wait_state(&sup, "core", State::Failed);
    assert_eq!(failed.failures, 1);
    let error = failed.last_error.unwrap();
    assert!(error.starts_with("could not start ") && error.contains("no-such-faceforge"), "{error}");
    assert!(!dir.path().join("run/core.pid").exists());
}

#[test]
fn shutdown_with_stop_stops_every_service_and_unknown_names_are_errors() {
    let dir_a = tempfile::tempdir().unwrap();
    let dir_b = tempfile::tempdir().unwrap();
    let (ra, rb) = (Responder::start(dir_a.path()), Responder::start(dir_b.path()));
    let sup = Supervisor::new(
        vec![sh_service("seaweed", dir_a.path(), &ra, SERVES), sh_service("core", dir_b.path(), &rb, SERVES)],
        None,
    );
    assert_eq!(sup.names(), vec!["seaweed", "core"]);
    assert!(sup.start("nope").is_err());
    sup.start_all();
    let a = wait_state(&sup, "seaweed", State::Running).pid.unwrap();
    let b = wait_state(&sup, "core", State::Running).pid.unwrap();
    sup.shutdown(true);
    assert!(gone(a) && gone(b));
}

#[test]
fn backoff_doubles_up_to_its_cap() {
    let policy = Policy {
        backoff_initial: Duration::from_secs(1),
        backoff_max: Duration::from_secs(30),
        ..Policy::default()
    };
    let waits: Vec<u64> = (1..=7).map(|n| policy.backoff(n).as_secs()).collect();
    assert_eq!(waits, vec![1, 2, 4, 8, 16, 30, 30]);
    assert_eq!(policy.backoff(u32::MAX), Duration::from_secs(30));
}
