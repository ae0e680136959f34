//! What the launcher knows about a FaceForge home: where the default one is, whether a folder is
//! usable or already a home, writing the network part of its config, and the services to run for it.

use crate::files::write_json;
use crate::health::HealthCheck;
use crate::supervisor::{Policy, ServiceSpec};
use serde::Serialize;
use serde_json::{json, Map, Value};
use std::path::{Path, PathBuf};
use std::time::Duration;

pub const DEFAULT_CORE_PORT: u16 = 43210;
pub const DEFAULT_S3_PORT: u16 = 43211;
pub const LOOPBACK: &str = "127.0.0.1";

/// Names of the managed services, as shown in the status window and used for pid and log files.
pub const CORE: &str = "core";
pub const SEAWEED: &str = "seaweed";

/// The per-user default home, as FaceForge Core resolves it: `%LOCALAPPDATA%\FaceForge`,
/// `~/Library/Application Support/FaceForge`, or `$XDG_DATA_HOME/faceforge` (`~/.local/share/faceforge`).
pub fn default_home() -> PathBuf {
    let env = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty()).map(PathBuf::from);
    let home = env("HOME").or_else(|| env("USERPROFILE")).unwrap_or_else(|| PathBuf::from("."));
    if cfg!(windows) {
        env("LOCALAPPDATA").unwrap_or_else(|| home.join("AppData").join("Local")).join("FaceForge")
    } else if cfg!(target_os = "macos") {
        home.join("Library").join("Application Support").join("FaceForge")
    } else {
        env("XDG_DATA_HOME").unwrap_or_else(|| home.join(".local").join("share")).join("faceforge")
    }
}

/// The files of a home the launcher reads or writes.
pub struct HomeFiles {
    pub home: PathBuf,
}

impl HomeFiles {
    pub fn new(home: impl Into<PathBuf>) -> Self {
        Self { home: home.into() }
    }
    pub fn core_json(&self) -> PathBuf {
        self.home.join("config").join("core.json")
    }
    pub fn ports_json(&self) -> PathBuf {
        self.home.join("config").join("ports.json")
    }
    pub fn logs_dir(&self) -> PathBuf {
        self.home.join("logs")
    }
    pub fn run_dir(&self) -> PathBuf {
        self.home.join("run")
    }
    /// Crash reports of Core, its job workers and the launcher.
    pub fn crash_dir(&self) -> PathBuf {
        self.logs_dir().join("crash")
    }
    /// The launcher's own log.
    pub fn desktop_log(&self) -> PathBuf {
        self.logs_dir().join("desktop.log")
    }
    /// Where a service's stdout and stderr go (Core also keeps its own `core.log`).
    pub fn console_log(&self, service: &str) -> PathBuf {
        self.logs_dir().join(format!("{service}.console.log"))
    }
    /// The launcher's record of a service it started (`desktop-` keeps it apart from the pid
    /// files FaceForge itself writes, such as `seaweedfs.pid`).
    pub fn pid_file(&self, service: &str) -> PathBuf {
        self.run_dir().join(format!("desktop-{service}.pid"))
    }
}

/// What the wizard learns about a folder the user picked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HomeReport {
    pub path: String,
    pub exists: bool,
    pub writable: bool,
    /// Already a FaceForge home (has `config/core.json`): it is reused, data and all.
    pub is_faceforge_home: bool,
    pub core_port: u16,
    pub seaweed_s3_port: u16,
    pub seaweed_enabled: bool,
    /// Why the folder cannot be used, in a sentence; `None` when it can.
    pub problem: Option<String>,
}

/// Look at `path` without changing it (a probe file is created and removed to test writability).
pub fn inspect(path: &Path) -> HomeReport {
    let files = HomeFiles::new(path);
    let exists = path.exists();
    let mut problem = None;
    if !path.is_absolute() {
        problem = Some("choose a full path (starting at the root of a drive)".to_string());
    } else if exists && !path.is_dir() {
        problem = Some("this is a file, not a folder".to_string());
    }
    let writable = problem.is_none() && probe_writable(path);
    if problem.is_none() && !writable {
        problem = Some("this folder cannot be written to; choose another".to_string());
    }
    let is_home = files.core_json().is_file();
    let config = read_object(&files.core_json()).ok().flatten().unwrap_or_default();
    let ports = read_object(&files.ports_json()).ok().flatten().unwrap_or_default();
    if is_home && problem.is_none() {
        if let Err(err) = read_object(&files.core_json()) {
            problem = Some(err);
        }
    }
    let port_of = |ports_key: &str, network_key: &str, default: u16| {
        ports
            .get(ports_key)
            .or_else(|| config.get("network").and_then(|n| n.get(network_key)))
            .and_then(Value::as_u64)
            .and_then(|p| u16::try_from(p).ok())
            .unwrap_or(default)
    };
    HomeReport {
        path: path.display().to_string(),
        exists,
        writable,
        is_faceforge_home: is_home,
        core_port: port_of("core", "core_port", DEFAULT_CORE_PORT),
        seaweed_s3_port: port_of("seaweed_s3", "seaweed_s3_port", DEFAULT_S3_PORT),
        seaweed_enabled: seaweed_enabled(&config),
        problem,
    }
}

fn seaweed_enabled(config: &Map<String, Value>) -> bool {
    config.get("seaweed").and_then(|s| s.get("enabled")).and_then(Value::as_bool).unwrap_or(false)
}

/// Whether files can be created in `path`, or (when it does not exist yet) in the nearest existing
/// folder above it, which is where it would be created.
fn probe_writable(path: &Path) -> bool {
    let Some(existing) = path.ancestors().find(|p| p.exists()) else {
        return false;
    };
    if !existing.is_dir() {
        return false;
    }
    let probe = existing.join(format!(".faceforge-probe-{}", std::process::id()));
    let ok = std::fs::write(&probe, b"").is_ok();
    let _ = std::fs::remove_file(&probe);
    ok
}

/// `Ok(None)` when absent; `Err` (naming the file) when it is not a JSON object.
fn read_object(path: &Path) -> Result<Option<Map<String, Value>>, String> {
    match std::fs::read_to_string(path) {
        Ok(text) => match serde_json::from_str::<Value>(&text) {
            Ok(Value::Object(map)) => Ok(Some(map)),
            Ok(_) => Err(format!("{}: expected a JSON object", path.display())),
            Err(e) => Err(format!("{}: not valid JSON ({e})", path.display())),
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("{}: {e}", path.display())),
    }
}

/// The network choices of the wizard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Network {
    pub core_port: u16,
    pub seaweed_enabled: bool,
    pub seaweed_s3_port: u16,
}

/// Create the home's folders and write `config/ports.json` plus the network part of
/// `config/core.json` (`network.core_port`, `network.seaweed_s3_port`, `network.bind_host` when
/// unset, `seaweed.enabled`). Every other key is kept; an unreadable `core.json` is reported and
/// never overwritten.
pub fn write_network(home: &Path, network: Network) -> Result<(), String> {
    let files = HomeFiles::new(home);
    for dir in [files.home.join("config"), files.logs_dir(), files.run_dir()] {
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    let core_json = files.core_json();
    let mut config = match read_object(&core_json)? {
        Some(map) => map,
        None => Map::from_iter([("version".to_string(), json!(1))]),
    };
    let section = |config: &mut Map<String, Value>, key: &str| {
        let value = config.entry(key).or_insert_with(|| Value::Object(Map::new()));
        let file = core_json.display();
        value
            .as_object_mut()
            .map(std::mem::take)
            .ok_or_else(|| format!("{file}: key '{key}' must be an object"))
    };
    let mut net = section(&mut config, "network")?;
    net.entry("bind_host").or_insert_with(|| json!(LOOPBACK));
    net.insert("core_port".to_string(), json!(network.core_port));
    net.insert("seaweed_s3_port".to_string(), json!(network.seaweed_s3_port));
    config.insert("network".to_string(), Value::Object(net));
    let mut seaweed = section(&mut config, "seaweed")?;
    seaweed.insert("enabled".to_string(), json!(network.seaweed_enabled));
    config.insert("seaweed".to_string(), Value::Object(seaweed));
    write_json(&core_json, &Value::Object(config), true)
        .map_err(|e| format!("{}: {e}", core_json.display()))?;

    let ports_json = files.ports_json();
    let mut ports = read_object(&ports_json)?.unwrap_or_default();
    ports.insert("core".to_string(), json!(network.core_port));
    ports.insert("seaweed_s3".to_string(), json!(network.seaweed_s3_port));
    write_json(&ports_json, &Value::Object(ports), false)
        .map_err(|e| format!("{}: {e}", ports_json.display()))
}

/// The install token (`auth.install_token` in core.json), once Core has made one.
pub fn install_token(home: &Path) -> Option<String> {
    let config = read_object(&HomeFiles::new(home).core_json()).ok()??;
    let token = config.get("auth")?.get("install_token")?.as_str()?;
    (!token.is_empty()).then(|| token.to_string())
}

/// The services for a home: Core always, SeaweedFS when enabled. `faceforge` is the executable.
pub fn services(home: &Path, faceforge: &Path) -> Vec<ServiceSpec> {
    let files = HomeFiles::new(home);
    let report = inspect(home);
    let env = vec![
        ("FACEFORGE_HOME".to_string(), home.display().to_string()),
        ("PYTHONUNBUFFERED".to_string(), "1".to_string()),
    ];
    let spec = |name: &str, args: Vec<String>, health: HealthCheck, policy: Policy| ServiceSpec {
        name: name.to_string(),
        program: faceforge.to_path_buf(),
        args,
        env: env.clone(),
        cwd: Some(home.to_path_buf()),
        health,
        log_file: files.console_log(name),
        pid_file: files.pid_file(name),
        policy,
    };
    let core_port = report.core_port;
    let core_args =
        ["serve", "--host", LOOPBACK, "--port", &core_port.to_string()].map(str::to_string).to_vec();
    let core_health = HealthCheck::http(&format!("http://{LOOPBACK}:{core_port}/healthz"))
        .expect("a well-formed loopback URL");
    let mut out = Vec::new();
    if report.seaweed_enabled {
        let seaweed_health = HealthCheck::tcp(LOOPBACK, report.seaweed_s3_port);
        // `faceforge seaweed run` gives weed up to 30 s to stop (its filer alone waits about 15 s);
        // killing the CLI sooner could leave weed, in a process group of its own, running alone.
        let policy = Policy {
            start_timeout: Duration::from_secs(90),
            stop_timeout: Duration::from_secs(40),
            ..Policy::default()
        };
        out.push(spec(SEAWEED, vec!["seaweed".into(), "run".into()], seaweed_health, policy));
    }
    out.push(spec(CORE, core_args, core_health, Policy::default()));
    out
}

/// `http://127.0.0.1:<core port>/` for a home.
pub fn core_url(home: &Path) -> String {
    format!("http://{LOOPBACK}:{}/", inspect(home).core_port)
}

/// Where the launcher looks for the `faceforge` executable, in the order it looks.
#[derive(Debug, Clone, Default)]
pub struct FaceforgeSearch<'a> {
    /// The command set in the launcher settings.
    pub configured: Option<&'a Path>,
    /// `$FACEFORGE_DESKTOP_FACEFORGE`.
    pub env: Option<&'a Path>,
    /// The app's resource folder (Tauri's `resource_dir`: `/usr/lib/FaceForge` for the .deb,
    /// `Contents/Resources` on macOS, the launcher's folder on Windows); a package keeps the frozen
    /// Core in its `core/`.
    pub resource_dir: Option<&'a Path>,
    /// The launcher executable, for the development candidates beside and above it.
    pub exe: Option<&'a Path>,
    /// `$PATH`.
    pub path: Option<&'a std::ffi::OsStr>,
}

/// Where a package keeps the frozen Core inside the app's resource folder.
pub fn bundled_faceforge(resource_dir: &Path) -> PathBuf {
    resource_dir.join("core").join(faceforge_name())
}

fn faceforge_name() -> &'static str {
    if cfg!(windows) {
        "faceforge.exe"
    } else {
        "faceforge"
    }
}

/// The `faceforge` executable to run, first found of: the one set in the launcher settings;
/// `$FACEFORGE_DESKTOP_FACEFORGE`; the frozen Core bundled with the app, in `core/` beside the
/// launcher (the portable archive, whose own bundle wins even where a .deb is installed too) or
/// in the resource folder (`/usr/lib/FaceForge/core/` for the .deb); then, for development, a `faceforge` next to the launcher, `.venv/bin/faceforge` of a source
/// checkout the launcher was built in, and the `PATH`. When none exists, plain `faceforge`
/// (starting it then reports it missing).
pub fn find_faceforge(configured: Option<&Path>, resource_dir: Option<&Path>) -> PathBuf {
    let env = std::env::var_os("FACEFORGE_DESKTOP_FACEFORGE").map(PathBuf::from);
    let exe = std::env::current_exe().ok();
    let path = std::env::var_os("PATH");
    find_faceforge_in(&FaceforgeSearch {
        configured,
        env: env.as_deref(),
        resource_dir,
        exe: exe.as_deref(),
        path: path.as_deref(),
    })
}

/// [`find_faceforge`] with its inputs given, so the order can be tested.
pub fn find_faceforge_in(search: &FaceforgeSearch<'_>) -> PathBuf {
    let name = faceforge_name();
    let venv = if cfg!(windows) { Path::new(".venv/Scripts") } else { Path::new(".venv/bin") };
    let exe_dir = search.exe.and_then(Path::parent);
    let candidates = search
        .configured
        .map(Path::to_path_buf)
        .into_iter()
        .chain(search.env.map(Path::to_path_buf))
        .chain(exe_dir.map(bundled_faceforge))
        .chain(search.resource_dir.map(bundled_faceforge))
        .chain(exe_dir.map(|d| d.join(name)))
        .chain(exe_dir.into_iter().flat_map(Path::ancestors).map(|d| d.join(venv).join(name)))
        .chain(search.path.into_iter().flat_map(std::env::split_paths).map(|d| d.join(name)));
    for candidate in candidates {
        if candidate.is_file() {
            return candidate;
        }
    }
    PathBuf::from(name)
}
