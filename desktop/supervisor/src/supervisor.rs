//! A small, generic process supervisor: each service is a command, an environment and a health
//! check. One thread per service sleeps on a channel (no busy loop), wakes to poll health at the
//! service's pace, restarts a crashed or hung service with exponential backoff, and after repeated
//! failures marks it failed with the last lines of its log. Services already running for the same
//! pid file are adopted instead of started twice.

use crate::files::{now_unix, tail_lines, PidRecord};
use crate::health::HealthCheck;
use crate::process;
use serde::Serialize;
use std::collections::VecDeque;
use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How patient the supervisor is with one service.
#[derive(Debug, Clone)]
pub struct Policy {
    /// How long a fresh start may take to pass its first health check.
    pub start_timeout: Duration,
    /// How often health is checked while starting.
    pub start_poll: Duration,
    /// How often health is checked while running.
    pub health_interval: Duration,
    /// Timeout of one health check.
    pub health_timeout: Duration,
    /// Consecutive failed checks after which a running service counts as hung.
    pub unhealthy_after: u32,
    /// How long SIGTERM is given before SIGKILL.
    pub stop_timeout: Duration,
    /// First delay before a restart; doubles with each failure up to `backoff_max`.
    pub backoff_initial: Duration,
    pub backoff_max: Duration,
    /// Failures in a row after which the service is left failed.
    pub max_failures: u32,
    /// Healthy time after which earlier failures are forgotten.
    pub stable_after: Duration,
    /// Log lines kept with a failure.
    pub log_tail_lines: usize,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            start_timeout: Duration::from_secs(60),
            start_poll: Duration::from_millis(250),
            health_interval: Duration::from_secs(5),
            health_timeout: Duration::from_secs(2),
            unhealthy_after: 3,
            stop_timeout: Duration::from_secs(10),
            backoff_initial: Duration::from_secs(1),
            backoff_max: Duration::from_secs(30),
            max_failures: 5,
            stable_after: Duration::from_secs(60),
            log_tail_lines: 20,
        }
    }
}

impl Policy {
    /// The wait before restart number `failures` (1-based).
    pub fn backoff(&self, failures: u32) -> Duration {
        let factor = 2u32.saturating_pow(failures.saturating_sub(1));
        self.backoff_initial.saturating_mul(factor).min(self.backoff_max)
    }
}

/// One managed service.
#[derive(Debug, Clone)]
pub struct ServiceSpec {
    pub name: String,
    pub program: PathBuf,
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
    pub cwd: Option<PathBuf>,
    pub health: HealthCheck,
    /// stdout and stderr of the service are appended here.
    pub log_file: PathBuf,
    /// Where the running service is recorded, for adoption by a later launch.
    pub pid_file: PathBuf,
    pub policy: Policy,
}

impl ServiceSpec {
    fn command_line(&self) -> Vec<String> {
        std::iter::once(self.program.display().to_string()).chain(self.args.iter().cloned()).collect()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    Stopped,
    Starting,
    Running,
    /// Crashed or hung; waiting to be restarted.
    Backoff,
    Stopping,
    /// Gave up after repeated failures (or a failure retrying cannot fix); `last_error` says why.
    Failed,
}

/// What the status window shows for one service.
#[derive(Debug, Clone, Serialize)]
pub struct ServiceStatus {
    pub name: String,
    pub state: State,
    pub pid: Option<u32>,
    pub port: u16,
    /// Unix seconds when the current process started.
    pub started_at: Option<u64>,
    /// Seconds since `started_at` while starting or running.
    pub uptime_secs: Option<u64>,
    /// Automatic restarts since the launcher started it.
    pub restarts: u32,
    /// Failures in a row (reset after a stable run or a manual start).
    pub failures: u32,
    pub last_error: Option<String>,
    /// The last lines of the service log, captured at the last failure.
    pub log_tail: Vec<String>,
    /// Found running (from an earlier launch) rather than started by this one.
    pub adopted: bool,
    /// Seconds until the next restart attempt, while in backoff.
    pub retry_in_secs: Option<u64>,
    pub log_file: String,
}

/// Called on every state change (from the service's thread).
pub type Listener = Arc<dyn Fn(&ServiceStatus) + Send + Sync>;

#[derive(Debug)]
pub struct UnknownService(pub String);

impl std::fmt::Display for UnknownService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "no service named {:?}", self.0)
    }
}

impl std::error::Error for UnknownService {}

enum Msg {
    Start,
    Stop,
    Restart,
    Exited { generation: u64, detail: String },
    Shutdown { stop: bool },
}

struct Board {
    status: Mutex<ServiceStatus>,
    changed: Condvar,
}

struct Handle {
    name: String,
    tx: Sender<Msg>,
    board: Arc<Board>,
    thread: Option<JoinHandle<()>>,
}

/// Owns one monitor thread per service. Dropping it leaves the services running (detaches);
/// call [`Supervisor::shutdown`] with `stop = true` to stop them.
pub struct Supervisor {
    handles: Vec<Handle>,
}

impl Supervisor {
    pub fn new(specs: Vec<ServiceSpec>, listener: Option<Listener>) -> Self {
        let handles = specs
            .into_iter()
            .map(|spec| {
                let (tx, rx) = mpsc::channel();
                let board = Arc::new(Board {
                    status: Mutex::new(ServiceStatus {
                        name: spec.name.clone(),
                        state: State::Stopped,
                        pid: None,
                        port: spec.health.port(),
                        started_at: None,
                        uptime_secs: None,
                        restarts: 0,
                        failures: 0,
                        last_error: None,
                        log_tail: Vec::new(),
                        adopted: false,
                        retry_in_secs: None,
                        log_file: spec.log_file.display().to_string(),
                    }),
                    changed: Condvar::new(),
                });
                let name = spec.name.clone();
                let monitor = Monitor::new(spec, rx, tx.clone(), board.clone(), listener.clone());
                let thread = std::thread::Builder::new()
                    .name(format!("supervise-{name}"))
                    .spawn(move || monitor.run())
                    .expect("spawn a monitor thread");
                Handle { name, tx, board, thread: Some(thread) }
            })
            .collect();
        Self { handles }
    }

    pub fn names(&self) -> Vec<String> {
        self.handles.iter().map(|h| h.name.clone()).collect()
    }

    fn handle(&self, name: &str) -> Result<&Handle, UnknownService> {
        self.handles.iter().find(|h| h.name == name).ok_or_else(|| UnknownService(name.to_string()))
    }

    fn send(&self, name: &str, make: fn() -> Msg) -> Result<(), UnknownService> {
        let _ = self.handle(name)?.tx.send(make());
        Ok(())
    }

    /// Start (or adopt) a stopped, failed or waiting service; a running one is left alone.
    pub fn start(&self, name: &str) -> Result<(), UnknownService> {
        self.send(name, || Msg::Start)
    }

    pub fn stop(&self, name: &str) -> Result<(), UnknownService> {
        self.send(name, || Msg::Stop)
    }

    pub fn restart(&self, name: &str) -> Result<(), UnknownService> {
        self.send(name, || Msg::Restart)
    }

    pub fn start_all(&self) {
        self.handles.iter().for_each(|h| drop(h.tx.send(Msg::Start)));
    }

    pub fn stop_all(&self) {
        self.handles.iter().for_each(|h| drop(h.tx.send(Msg::Stop)));
    }

    pub fn restart_all(&self) {
        self.handles.iter().for_each(|h| drop(h.tx.send(Msg::Restart)));
    }

    pub fn status(&self, name: &str) -> Result<ServiceStatus, UnknownService> {
        Ok(snapshot(&self.handle(name)?.board.status.lock().unwrap()))
    }

    pub fn statuses(&self) -> Vec<ServiceStatus> {
        self.handles.iter().map(|h| snapshot(&h.board.status.lock().unwrap())).collect()
    }

    /// Block until `name`'s status satisfies `until` or `timeout` passes; returns the last status
    /// seen and whether it matched.
    pub fn wait_for(
        &self,
        name: &str,
        timeout: Duration,
        until: impl Fn(&ServiceStatus) -> bool,
    ) -> Result<(bool, ServiceStatus), UnknownService> {
        let board = &self.handle(name)?.board;
        let deadline = Instant::now() + timeout;
        let mut guard = board.status.lock().unwrap();
        loop {
            if until(&guard) {
                return Ok((true, snapshot(&guard)));
            }
            let now = Instant::now();
            if now >= deadline {
                return Ok((false, snapshot(&guard)));
            }
            guard = board.changed.wait_timeout(guard, deadline - now).unwrap().0;
        }
    }

    /// End supervision: with `stop`, stop every service first (blocking until they are gone);
    /// without, leave them running for a later launch to adopt.
    pub fn shutdown(mut self, stop: bool) {
        self.finish(stop);
    }

    fn finish(&mut self, stop: bool) {
        for handle in &self.handles {
            let _ = handle.tx.send(Msg::Shutdown { stop });
        }
        for handle in &mut self.handles {
            if let Some(thread) = handle.thread.take() {
                let _ = thread.join();
            }
        }
    }
}

impl Drop for Supervisor {
    fn drop(&mut self) {
        self.finish(false);
    }
}

fn snapshot(status: &ServiceStatus) -> ServiceStatus {
    let mut out = status.clone();
    out.uptime_secs = match status.state {
        State::Starting | State::Running => status.started_at.map(|t| now_unix().saturating_sub(t)),
        _ => None,
    };
    out
}

/// The per-service thread and everything it knows about its process.
struct Monitor {
    spec: ServiceSpec,
    rx: Receiver<Msg>,
    tx: Sender<Msg>,
    board: Arc<Board>,
    listener: Option<Listener>,
    /// Messages that arrived while a stop was in progress, handled afterwards in order.
    pending: VecDeque<Msg>,
    state: State,
    pid: Option<u32>,
    adopted: bool,
    /// Bumped for every process started or let go, so a late exit report is not misread.
    generation: u64,
    started_at: Option<u64>,
    deadline: Option<Instant>,
    healthy_since: Option<Instant>,
    bad_checks: u32,
    failures: u32,
    restarts: u32,
    retry_at: Option<Instant>,
    last_error: Option<String>,
    log_tail: Vec<String>,
}

impl Monitor {
    fn new(
        spec: ServiceSpec,
        rx: Receiver<Msg>,
        tx: Sender<Msg>,
        board: Arc<Board>,
        listener: Option<Listener>,
    ) -> Self {
        Self {
            spec,
            rx,
            tx,
            board,
            listener,
            pending: VecDeque::new(),
            state: State::Stopped,
            pid: None,
            adopted: false,
            generation: 0,
            started_at: None,
            deadline: None,
            healthy_since: None,
            bad_checks: 0,
            failures: 0,
            restarts: 0,
            retry_at: None,
            last_error: None,
            log_tail: Vec::new(),
        }
    }

    fn run(mut self) {
        loop {
            let msg = if let Some(msg) = self.pending.pop_front() {
                msg
            } else {
                match self.wake_after() {
                    None => match self.rx.recv() {
                        Ok(msg) => msg,
                        Err(_) => return,
                    },
                    Some(wait) => match self.rx.recv_timeout(wait) {
                        Ok(msg) => msg,
                        Err(RecvTimeoutError::Timeout) => {
                            self.tick();
                            continue;
                        }
                        Err(RecvTimeoutError::Disconnected) => return,
                    },
                }
            };
            match msg {
                Msg::Start => {
                    if matches!(self.state, State::Stopped | State::Failed | State::Backoff) {
                        self.failures = 0;
                        self.launch();
                    }
                }
                Msg::Stop => {
                    self.stop_process();
                    self.retry_at = None;
                    self.set(State::Stopped);
                }
                Msg::Restart => {
                    self.stop_process();
                    self.failures = 0;
                    self.launch();
                }
                Msg::Exited { generation, detail } => {
                    if generation == self.generation && self.pid.is_some() {
                        // Helpers the service started may outlive it: stop them too.
                        if self.pid.is_some_and(process::group_alive) {
                            self.stop_process();
                        } else {
                            self.release_pid();
                        }
                        self.fail(format!("exited unexpectedly ({detail})"), false);
                    }
                }
                Msg::Shutdown { stop } => {
                    if stop {
                        self.stop_process();
                        self.set(State::Stopped);
                    }
                    return;
                }
            }
        }
    }

    /// How long to sleep before the next look, or `None` to sleep until told something.
    fn wake_after(&self) -> Option<Duration> {
        let policy = &self.spec.policy;
        match self.state {
            State::Starting => Some(policy.start_poll),
            State::Running => Some(policy.health_interval),
            State::Backoff => {
                Some(self.retry_at.map_or(Duration::ZERO, |t| t.saturating_duration_since(Instant::now())))
            }
            State::Stopped | State::Stopping | State::Failed => None,
        }
    }

    fn tick(&mut self) {
        let policy = self.spec.policy.clone();
        match self.state {
            State::Backoff => {
                if self.retry_at.is_none_or(|t| Instant::now() >= t) {
                    self.restarts += 1;
                    self.launch();
                }
            }
            State::Starting | State::Running => {
                if self.adopted && !self.pid.is_some_and(process::is_alive) {
                    self.release_pid();
                    self.fail("exited unexpectedly".to_string(), false);
                    return;
                }
                match self.spec.health.check(policy.health_timeout) {
                    Ok(()) => {
                        self.bad_checks = 0;
                        if self.state == State::Starting {
                            self.healthy_since = Some(Instant::now());
                            self.set(State::Running);
                        } else if self.failures > 0
                            && self.healthy_since.is_some_and(|t| t.elapsed() >= policy.stable_after)
                        {
                            self.failures = 0;
                            self.publish();
                        }
                    }
                    Err(err) if self.state == State::Starting => {
                        if self.deadline.is_some_and(|d| Instant::now() >= d) {
                            self.stop_process();
                            let limit = human(policy.start_timeout);
                            self.fail(format!("did not become healthy within {limit} ({err})"), false);
                        }
                    }
                    Err(err) => {
                        self.bad_checks += 1;
                        if self.bad_checks >= policy.unhealthy_after {
                            self.stop_process();
                            self.fail(format!("stopped answering its health check ({err})"), false);
                        }
                    }
                }
            }
            State::Stopped | State::Stopping | State::Failed => {}
        }
    }

    /// Adopt the recorded process if it is still ours and alive, else start a new one.
    fn launch(&mut self) {
        self.retry_at = None;
        self.bad_checks = 0;
        if let Some(record) = PidRecord::read(&self.spec.pid_file) {
            if self.is_ours(&record) {
                self.pid = Some(record.pid);
                self.adopted = true;
                self.started_at = Some(record.started_at);
                self.deadline = Some(Instant::now() + self.spec.policy.start_timeout);
                if self.spec.health.check(self.spec.policy.health_timeout).is_ok() {
                    self.healthy_since = Some(Instant::now());
                    self.set(State::Running);
                } else {
                    self.set(State::Starting);
                }
                return;
            }
            let _ = fs::remove_file(&self.spec.pid_file);
        }
        if self.spec.health.check(self.spec.policy.health_timeout).is_ok() {
            let port = self.spec.health.port();
            self.fail(format!("port {port} is already in use by another program; choose another port"), true);
            return;
        }
        if let Err(err) = self.spawn() {
            let fatal = err.kind() == std::io::ErrorKind::NotFound;
            let program = self.spec.program.display();
            self.fail(format!("could not start {program}: {err}"), fatal);
        }
    }

    /// A pid file is trusted only when its process is alive, checks the same port and, where the
    /// OS shows command lines, runs the same program (pids get reused).
    fn is_ours(&self, record: &PidRecord) -> bool {
        if record.port != self.spec.health.port() || !process::is_alive(record.pid) {
            return false;
        }
        let program = self.spec.program.file_name().map(|n| n.to_string_lossy().into_owned());
        match (process::command_line(record.pid), program) {
            (Some(cmdline), Some(program)) => cmdline.contains(&program),
            _ => true,
        }
    }

    fn spawn(&mut self) -> std::io::Result<()> {
        if let Some(dir) = self.spec.log_file.parent() {
            fs::create_dir_all(dir)?;
        }
        let mut log = OpenOptions::new().create(true).append(true).open(&self.spec.log_file)?;
        let command_line = self.spec.command_line();
        writeln!(
            log,
            "--- faceforge-desktop: starting {} (unix time {})",
            command_line.join(" "),
            now_unix()
        )?;
        let mut command = Command::new(&self.spec.program);
        command
            .args(&self.spec.args)
            .envs(self.spec.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log);
        if let Some(cwd) = &self.spec.cwd {
            command.current_dir(cwd);
        }
        process::own_group(&mut command);
        let mut child = command.spawn()?;
        let pid = child.id();
        self.generation += 1;
        self.pid = Some(pid);
        self.adopted = false;
        self.started_at = Some(now_unix());
        self.deadline = Some(Instant::now() + self.spec.policy.start_timeout);
        let record =
            PidRecord { pid, started_at: now_unix(), port: self.spec.health.port(), command: command_line };
        if let Err(err) = record.write(&self.spec.pid_file) {
            self.last_error = Some(format!("could not write {}: {err}", self.spec.pid_file.display()));
        }
        let tx = self.tx.clone();
        let generation = self.generation;
        std::thread::Builder::new().name(format!("wait-{}", self.spec.name)).spawn(move || {
            let detail = match child.wait() {
                Ok(status) => describe_exit(status),
                Err(err) => format!("wait failed: {err}"),
            };
            let _ = tx.send(Msg::Exited { generation, detail });
        })?;
        self.set(State::Starting);
        Ok(())
    }

    /// Stop the current process group: SIGTERM, then SIGKILL after the stop timeout.
    fn stop_process(&mut self) {
        let Some(pid) = self.pid else {
            return;
        };
        self.generation += 1; // the exit this causes is expected, not a crash
        self.set(State::Stopping);
        process::terminate_group(pid);
        if !process::wait_group_gone(pid, self.spec.policy.stop_timeout) {
            process::kill_group(pid);
            process::wait_group_gone(pid, Duration::from_secs(5));
        }
        self.release_pid();
        // Commands sent meanwhile are kept for afterwards; stale exit reports are dropped.
        while let Ok(msg) = self.rx.try_recv() {
            if !matches!(msg, Msg::Exited { .. }) {
                self.pending.push_back(msg);
            }
        }
    }

    fn release_pid(&mut self) {
        self.pid = None;
        self.adopted = false;
        self.started_at = None;
        self.healthy_since = None;
        let _ = fs::remove_file(&self.spec.pid_file);
    }

    /// Record a failure; retry after a backoff unless it is `fatal` or one failure too many.
    fn fail(&mut self, error: String, fatal: bool) {
        self.failures += 1;
        self.last_error = Some(error);
        self.log_tail = tail_lines(&self.spec.log_file, self.spec.policy.log_tail_lines);
        if fatal || self.failures >= self.spec.policy.max_failures {
            self.retry_at = None;
            self.set(State::Failed);
        } else {
            self.retry_at = Some(Instant::now() + self.spec.policy.backoff(self.failures));
            self.set(State::Backoff);
        }
    }

    fn set(&mut self, state: State) {
        self.state = state;
        self.publish();
    }

    /// The board first, then the listener, so a listener that reads `statuses()` sees this
    /// change; a `wait_for` caller may therefore wake before the listener has run.
    fn publish(&self) {
        let status = {
            let mut status = self.board.status.lock().unwrap();
            status.state = self.state;
            status.pid = self.pid;
            status.started_at = self.started_at;
            status.restarts = self.restarts;
            status.failures = self.failures;
            status.last_error.clone_from(&self.last_error);
            status.log_tail.clone_from(&self.log_tail);
            status.adopted = self.adopted;
            status.retry_in_secs =
                self.retry_at.map(|t| t.saturating_duration_since(Instant::now()).as_secs());
            self.board.changed.notify_all();
            snapshot(&status)
        };
        if let Some(listener) = &self.listener {
            listener(&status);
        }
    }
}

fn describe_exit(status: std::process::ExitStatus) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(signal) = status.signal() {
            return format!("killed by signal {signal}");
        }
    }
    match status.code() {
        Some(code) => format!("exit code {code}"),
        None => "no exit code".to_string(),
    }
}

/// `500 ms`, `60 s`: durations as the status window shows them.
fn human(duration: Duration) -> String {
    if duration < Duration::from_secs(1) {
        format!("{} ms", duration.as_millis())
    } else {
        format!("{} s", duration.as_secs())
    }
}
