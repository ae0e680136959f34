//! FaceForge Desktop: a first-run wizard, then Core (and SeaweedFS) started and watched by the
//! supervisor, a status window and a tray menu. All process logic lives in `faceforge-supervisor`;
//! this file wires it to windows, the tray and the commands the page calls.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod desklog;
mod tray;

use desklog::DeskLog;
use faceforge_supervisor::crash::{self, LauncherCrash};
use faceforge_supervisor::home::{self, HomeFiles, HomeReport, Network};
use faceforge_supervisor::settings::{self, ExitAction, OpenUi, Settings};
use faceforge_supervisor::{
    files, health, ports, HealthCheck, ServiceStatus, State as ServiceState, Supervisor,
};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use tauri::{AppHandle, Emitter, Manager, RunEvent, State, WebviewUrl, WebviewWindowBuilder, WindowEvent};
use tauri_plugin_dialog::DialogExt;

const MAIN: &str = "main";
const VERSION: &str = env!("CARGO_PKG_VERSION");
const CORE_UI: &str = "coreui";

/// Everything the launcher holds while it runs.
struct Launcher {
    settings_path: PathBuf,
    settings: Mutex<Settings>,
    /// Why the settings file could not be read, shown once in the wizard.
    settings_error: Option<String>,
    supervisor: Mutex<Option<Supervisor>>,
    log: Arc<DeskLog>,
    tray: bool,
    /// Tauri's resource folder for this build, where a package keeps the frozen Core.
    resource_dir: Option<PathBuf>,
    /// When the current Core process started, and the crash report last shown.
    core_watch: Arc<Mutex<CoreWatch>>,
}

#[derive(Default)]
struct CoreWatch {
    started_at: Option<u64>,
    shown: Option<PathBuf>,
}

impl Launcher {
    fn home(&self) -> Option<PathBuf> {
        self.settings.lock().unwrap().home.clone()
    }

    /// The `faceforge` this launcher runs (see [`home::find_faceforge`] for the order).
    fn faceforge(&self) -> PathBuf {
        let configured = self.settings.lock().unwrap().faceforge_command.clone();
        home::find_faceforge(configured.as_deref(), self.resource_dir.as_deref())
    }

    fn statuses(&self) -> Vec<ServiceStatus> {
        self.supervisor.lock().unwrap().as_ref().map(Supervisor::statuses).unwrap_or_default()
    }

    fn save_settings(&self, settings: Settings) -> Result<(), String> {
        settings.save(&self.settings_path)?;
        *self.settings.lock().unwrap() = settings;
        Ok(())
    }
}

/// What the page needs to draw itself.
#[derive(Serialize)]
struct AppState {
    first_run: bool,
    settings_error: Option<String>,
    settings: Settings,
    settings_file: String,
    default_home: String,
    home: Option<HomeReport>,
    faceforge: String,
    /// Whether `faceforge` is the Core bundled with this app (not a development one).
    faceforge_bundled: bool,
    version: &'static str,
    tray: bool,
    core_url: Option<String>,
    statuses: Vec<ServiceStatus>,
}

fn app_state_of(launcher: &Launcher) -> AppState {
    let settings = launcher.settings.lock().unwrap().clone();
    let home = settings.home.as_deref().map(home::inspect);
    AppState {
        first_run: settings.home.is_none(),
        settings_error: launcher.settings_error.clone(),
        faceforge: launcher.faceforge().display().to_string(),
        faceforge_bundled: is_bundled(launcher, &launcher.faceforge()),
        version: VERSION,
        core_url: settings.home.as_deref().map(home::core_url),
        settings,
        settings_file: launcher.settings_path.display().to_string(),
        default_home: home::default_home().display().to_string(),
        home,
        tray: launcher.tray,
        statuses: launcher.statuses(),
    }
}

/// Whether `faceforge` is one of the bundle candidates (beside the launcher or in the resource folder).
fn is_bundled(launcher: &Launcher, faceforge: &Path) -> bool {
    let exe_dir = std::env::current_exe().ok().and_then(|e| e.parent().map(Path::to_path_buf));
    let bundled = [exe_dir.as_deref(), launcher.resource_dir.as_deref()]
        .into_iter()
        .flatten()
        .any(|dir| home::bundled_faceforge(dir) == faceforge);
    bundled
}

#[tauri::command]
fn app_state(launcher: State<'_, Launcher>) -> AppState {
    app_state_of(&launcher)
}

#[derive(Serialize)]
struct About {
    version: &'static str,
    /// The version the running Core reports on `/healthz`; `None` while it does not answer.
    core_version: Option<String>,
    core_error: Option<String>,
    faceforge: String,
    faceforge_bundled: bool,
}

/// The launcher's version beside the running Core's (a package ships them equal).
#[tauri::command]
async fn about(app: AppHandle) -> About {
    let launcher = app.state::<Launcher>();
    let faceforge = launcher.faceforge();
    let (core_version, core_error) = match launcher.home() {
        None => (None, Some("FaceForge is not set up yet".to_string())),
        Some(home_dir) => {
            let url = format!("{}healthz", home::core_url(&home_dir));
            let check = HealthCheck::http(&url);
            match check.and_then(|c| health::core_version(&c, std::time::Duration::from_secs(3))) {
                Ok(version) => (Some(version), None),
                Err(err) => (None, Some(err)),
            }
        }
    };
    About {
        version: VERSION,
        core_version,
        core_error,
        faceforge_bundled: is_bundled(&launcher, &faceforge),
        faceforge: faceforge.display().to_string(),
    }
}

/// Open a crash report with the desktop's default application; only files in this home's crash
/// folder, so the page cannot open anything else.
#[tauri::command]
fn open_crash_report(launcher: State<'_, Launcher>, path: String) -> Result<(), String> {
    let home_dir = launcher.home().ok_or("FaceForge is not set up yet")?;
    let path = PathBuf::from(path);
    let in_crash_dir = path.parent() == Some(HomeFiles::new(&home_dir).crash_dir().as_path())
        && path.file_name().and_then(|n| n.to_str()).and_then(crash::parse_report_name).is_some();
    if !in_crash_dir {
        return Err(format!("{} is not a crash report of this home", path.display()));
    }
    open_external(&path.display().to_string())
}

/// What the window shows when Core stopped without being asked to.
#[derive(Clone, Serialize)]
struct CoreCrash {
    report: String,
    error: Option<String>,
}

/// Follow Core's status: remember when its process started and, when it stops unexpectedly
/// (backoff or failed, never a stop the user asked for), show the crash report it wrote since.
fn watch_core(app: &AppHandle, home_dir: &Path, watch: &Mutex<CoreWatch>, status: &ServiceStatus) {
    if status.name != home::CORE {
        return;
    }
    let mut watch = watch.lock().unwrap();
    match status.state {
        ServiceState::Starting | ServiceState::Running => {
            if status.started_at.is_some() {
                watch.started_at = status.started_at;
            }
        }
        ServiceState::Backoff | ServiceState::Failed => {
            let Some(since) = watch.started_at else { return };
            let Some(report) = crash::core_report_since(home_dir, since) else { return };
            if watch.shown.as_ref() == Some(&report) {
                return;
            }
            watch.shown = Some(report.clone());
            let launcher = app.state::<Launcher>();
            launcher.log.line(&format!("core stopped unexpectedly; crash report {}", report.display()));
            let crash = CoreCrash { report: report.display().to_string(), error: status.last_error.clone() };
            show_view(app, "status");
            let _ = app.emit("core-crash", crash);
        }
        ServiceState::Stopped | ServiceState::Stopping => {}
    }
}

/// Write a crash report for a launcher panic into the home named in the settings (none before the
/// wizard has run: then only the standard error gets it), then let the default hook print it.
fn install_panic_hook(settings_path: PathBuf) {
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let backtrace = std::backtrace::Backtrace::force_capture().to_string();
        let home_dir = Settings::load(&settings_path).ok().flatten().and_then(|s| s.home);
        if let Some(home_dir) = home_dir {
            let message = info.to_string();
            let crash = LauncherCrash { version: VERSION, message: &message, backtrace: &backtrace };
            match crash::write_launcher_report_now(&home_dir, &crash) {
                Ok(path) => eprintln!("faceforge-desktop: crash report written to {}", path.display()),
                Err(err) => eprintln!("faceforge-desktop: could not write a crash report: {err}"),
            }
        }
        default_hook(info);
    }));
}

#[tauri::command]
async fn inspect_home(path: String) -> HomeReport {
    home::inspect(Path::new(path.trim()))
}

#[tauri::command]
async fn pick_folder(app: AppHandle, start: Option<String>) -> Option<String> {
    let mut dialog = app.dialog().file().set_title("Choose the FaceForge home folder");
    if let Some(dir) =
        start.map(PathBuf::from).and_then(|p| p.ancestors().find(|a| a.is_dir()).map(Path::to_path_buf))
    {
        dialog = dialog.set_directory(dir);
    }
    dialog.blocking_pick_folder().and_then(|p| p.into_path().ok()).map(|p| p.display().to_string())
}

#[derive(Serialize)]
struct PortCheck {
    port: u16,
    free: bool,
    /// Held by this home's own running service (adopted, not a conflict).
    ours: bool,
}

/// Whether `port` is free, or already held by the service recorded for `service` in `home`.
fn check_port(home: Option<&Path>, service: &str, port: u16) -> PortCheck {
    let ours = home.is_some_and(|h| {
        files::PidRecord::read(&HomeFiles::new(h).pid_file(service))
            .is_some_and(|r| r.port == port && faceforge_supervisor::process::is_alive(r.pid))
    });
    PortCheck { port, free: ports::is_free(home::LOOPBACK, port), ours }
}

#[tauri::command]
async fn port_status(home: Option<String>, service: String, port: u16) -> PortCheck {
    check_port(home.as_deref().map(Path::new), &service, port)
}

#[tauri::command]
async fn suggest_port(preferred: u16, avoid: Vec<u16>) -> Result<u16, String> {
    ports::pick(home::LOOPBACK, preferred, &avoid).map_err(|e| format!("no free port: {e}"))
}

#[derive(Deserialize)]
struct WizardAnswers {
    home: String,
    /// `None` picks a free port automatically.
    core_port: Option<u16>,
    seaweed_enabled: bool,
    s3_port: Option<u16>,
    open_ui: OpenUi,
}

#[tauri::command]
async fn finish_wizard(app: AppHandle, answers: WizardAnswers) -> Result<(), String> {
    let launcher = app.state::<Launcher>();
    let home_dir = PathBuf::from(answers.home.trim());
    let report = home::inspect(&home_dir);
    if let Some(problem) = report.problem {
        return Err(format!("{}: {problem}", home_dir.display()));
    }
    let resolve = |service: &str, chosen: Option<u16>, default: u16, avoid: &[u16]| -> Result<u16, String> {
        match chosen {
            None => ports::pick(home::LOOPBACK, default, avoid).map_err(|e| format!("no free port: {e}")),
            Some(port) if port < 1024 => Err(format!("port {port} is reserved; choose 1024 or above")),
            Some(port) if avoid.contains(&port) => Err(format!("port {port} is chosen twice")),
            Some(port) => {
                let check = check_port(Some(&home_dir), service, port);
                if check.free || check.ours {
                    Ok(port)
                } else {
                    Err(format!(
                        "port {port} is in use by another program; choose another or pick automatically"
                    ))
                }
            }
        }
    };
    let core_port = resolve(home::CORE, answers.core_port, report.core_port, &[])?;
    let s3_port = if answers.seaweed_enabled {
        resolve(home::SEAWEED, answers.s3_port, report.seaweed_s3_port, &[core_port])?
    } else {
        answers.s3_port.unwrap_or(report.seaweed_s3_port)
    };
    let network = Network { core_port, seaweed_enabled: answers.seaweed_enabled, seaweed_s3_port: s3_port };
    // A change of home or ports: the old services go first.
    let previous = launcher.supervisor.lock().unwrap().take();
    if let Some(old) = previous {
        tauri::async_runtime::spawn_blocking(move || old.shutdown(true)).await.map_err(|e| e.to_string())?;
    }
    home::write_network(&home_dir, network)?;
    let mut settings = launcher.settings.lock().unwrap().clone();
    settings.home = Some(home_dir.clone());
    settings.open_ui = answers.open_ui;
    launcher.save_settings(settings)?;
    launcher.log.set_home(&home_dir);
    let kind = if report.is_faceforge_home { "existing" } else { "new" };
    launcher.log.line(&format!(
        "wizard finished: {kind} home {}, core port {core_port}, object storage {}",
        home_dir.display(),
        if answers.seaweed_enabled { format!("on (S3 port {s3_port})") } else { "off".to_string() }
    ));
    start_services(&app);
    Ok(())
}

/// Build the supervisor for the chosen home and start (or adopt) its services.
fn start_services(app: &AppHandle) {
    let launcher = app.state::<Launcher>();
    let settings = launcher.settings.lock().unwrap().clone();
    let Some(home_dir) = settings.home else { return };
    let faceforge = launcher.faceforge();
    let origin = if is_bundled(&launcher, &faceforge) { "bundled" } else { "development" };
    launcher.log.line(&format!(
        "starting services for {} with {} ({origin} Core)",
        home_dir.display(),
        faceforge.display()
    ));
    *launcher.core_watch.lock().unwrap() = CoreWatch::default();
    let (emitter, log, watch) = (app.clone(), launcher.log.clone(), launcher.core_watch.clone());
    let watched_home = home_dir.clone();
    let listener: faceforge_supervisor::Listener = Arc::new(move |status: &ServiceStatus| {
        log.line(&describe(status));
        let _ = emitter.emit("status", status);
        tray::refresh_tooltip(&emitter);
        watch_core(&emitter, &watched_home, &watch, status);
    });
    let supervisor = Supervisor::new(home::services(&home_dir, &faceforge), Some(listener));
    supervisor.start_all();
    *launcher.supervisor.lock().unwrap() = Some(supervisor);
}

fn describe(status: &ServiceStatus) -> String {
    let mut line = format!("{}: {:?}", status.name, status.state).to_lowercase();
    if let Some(pid) = status.pid {
        line +=
            &format!(" (pid {pid}, port {}{})", status.port, if status.adopted { ", adopted" } else { "" });
    }
    if matches!(status.state, ServiceState::Backoff | ServiceState::Failed) {
        if let Some(error) = &status.last_error {
            line += &format!(": {error}");
        }
    }
    line
}

#[tauri::command]
fn service(launcher: State<'_, Launcher>, action: String, name: Option<String>) -> Result<(), String> {
    let guard = launcher.supervisor.lock().unwrap();
    let supervisor = guard.as_ref().ok_or("FaceForge is not set up yet")?;
    launcher.log.line(&format!("user: {action} {}", name.as_deref().unwrap_or("all")));
    let result = match (action.as_str(), name) {
        ("start", Some(n)) => supervisor.start(&n),
        ("stop", Some(n)) => supervisor.stop(&n),
        ("restart", Some(n)) => supervisor.restart(&n),
        ("start", None) => {
            supervisor.start_all();
            Ok(())
        }
        ("stop", None) => {
            supervisor.stop_all();
            Ok(())
        }
        ("restart", None) => {
            supervisor.restart_all();
            Ok(())
        }
        (other, _) => return Err(format!("unknown action {other:?}")),
    };
    result.map_err(|e| e.to_string())
}

#[tauri::command]
fn open_ui(app: AppHandle) -> Result<(), String> {
    open_core_ui(&app)
}

/// Show the Core UI: in a launcher window or the default browser, as the settings say.
fn open_core_ui(app: &AppHandle) -> Result<(), String> {
    let launcher = app.state::<Launcher>();
    let settings = launcher.settings.lock().unwrap().clone();
    let home_dir = settings.home.ok_or("FaceForge is not set up yet")?;
    let url = home::core_url(&home_dir);
    launcher.log.line(&format!("open UI {url} in {:?}", settings.open_ui).to_lowercase());
    match settings.open_ui {
        OpenUi::Browser => open_external(&url),
        OpenUi::Window => {
            let parsed: tauri::Url = url.parse().map_err(|e| format!("{url}: {e}"))?;
            if let Some(window) = app.get_webview_window(CORE_UI) {
                window.navigate(parsed).map_err(|e| e.to_string())?;
                show(&window);
                return Ok(());
            }
            let mut builder = WebviewWindowBuilder::new(app, CORE_UI, WebviewUrl::External(parsed))
                .title("FaceForge")
                .inner_size(1280.0, 860.0);
            if let Some(token) = home::install_token(&home_dir) {
                builder = builder.initialization_script(sign_in_script(&url, &token));
            }
            let window = builder.build().map_err(|e| e.to_string())?;
            show(&window);
            Ok(())
        }
    }
}

/// A script for the UI window that answers Core's sign-in form with the install token, once per
/// window session and only on this Core's own origin, so Open UI lands signed in.
fn sign_in_script(core_url: &str, token: &str) -> String {
    let origin = serde_json::to_string(core_url.trim_end_matches('/')).unwrap_or_default();
    let token = serde_json::to_string(token).unwrap_or_default();
    format!(
        r#"(() => {{
  if (location.origin !== {origin} || location.pathname !== "/ui/login") return;
  if (sessionStorage.getItem("faceforge-desktop-signin")) return;
  sessionStorage.setItem("faceforge-desktop-signin", "1");
  document.addEventListener("DOMContentLoaded", () => {{
    const form = document.querySelector('form[action="/ui/login"]');
    if (!form || !form.elements.token) return;
    form.elements.token.value = {token};
    form.submit();
  }});
}})();"#
    )
}

/// Open a URL or folder with the desktop's default application.
fn open_external(target: &str) -> Result<(), String> {
    let mut command = if cfg!(windows) {
        let mut c = std::process::Command::new("cmd");
        c.args(["/C", "start", ""]);
        c
    } else if cfg!(target_os = "macos") {
        std::process::Command::new("open")
    } else {
        std::process::Command::new("xdg-open")
    };
    command
        .arg(target)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    let mut child = command.spawn().map_err(|e| format!("could not open {target}: {e}"))?;
    // Reap it in the background so no zombie is left behind.
    std::thread::spawn(move || child.wait());
    Ok(())
}

#[tauri::command]
fn open_logs_folder(launcher: State<'_, Launcher>) -> Result<(), String> {
    let home_dir = launcher.home().ok_or("FaceForge is not set up yet")?;
    open_external(&HomeFiles::new(home_dir).logs_dir().display().to_string())
}

#[derive(Serialize)]
struct LogView {
    file: String,
    lines: Vec<String>,
}

/// The last lines of one log: a service's console log, Core's own `core.log`, or the launcher's.
#[tauri::command]
async fn log_tail(app: AppHandle, which: String, lines: usize) -> Result<LogView, String> {
    let home_dir = app.state::<Launcher>().home().ok_or("FaceForge is not set up yet")?;
    let files = HomeFiles::new(home_dir);
    let path = match which.as_str() {
        "desktop" => files.desktop_log(),
        "core.log" => files.logs_dir().join("core.log"),
        home::CORE | home::SEAWEED => files.console_log(&which),
        other => return Err(format!("no log named {other:?}")),
    };
    Ok(LogView { lines: files::tail_lines(&path, lines.min(2000)), file: path.display().to_string() })
}

#[derive(Deserialize)]
struct Prefs {
    open_ui: OpenUi,
    exit_action: ExitAction,
}

#[tauri::command]
fn set_prefs(launcher: State<'_, Launcher>, prefs: Prefs) -> Result<(), String> {
    let mut settings = launcher.settings.lock().unwrap().clone();
    settings.open_ui = prefs.open_ui;
    settings.exit_action = prefs.exit_action;
    launcher.save_settings(settings)
}

/// Quit the launcher; `stop` also stops the services. `remember` makes it the Exit default.
#[tauri::command]
async fn exit_app(app: AppHandle, stop: bool, remember: bool) -> Result<(), String> {
    let launcher = app.state::<Launcher>();
    if remember {
        let mut settings = launcher.settings.lock().unwrap().clone();
        settings.exit_action = if stop { ExitAction::Stop } else { ExitAction::Leave };
        launcher.save_settings(settings)?;
    }
    quit(&app, stop).await;
    Ok(())
}

async fn quit(app: &AppHandle, stop: bool) {
    let launcher = app.state::<Launcher>();
    launcher.log.line(if stop { "exit: stopping services" } else { "exit: leaving services running" });
    let supervisor = launcher.supervisor.lock().unwrap().take();
    if let Some(supervisor) = supervisor {
        let _ = tauri::async_runtime::spawn_blocking(move || supervisor.shutdown(stop)).await;
    }
    launcher.log.line("exit");
    app.exit(0);
}

/// Exit as chosen in the settings, or ask in the main window.
fn request_exit(app: &AppHandle) {
    let action = app.state::<Launcher>().settings.lock().unwrap().exit_action;
    match action {
        ExitAction::Ask => show_view(app, "exit"),
        ExitAction::Stop | ExitAction::Leave => {
            let app = app.clone();
            tauri::async_runtime::spawn(async move { quit(&app, action == ExitAction::Stop).await });
        }
    }
}

fn show(window: &tauri::WebviewWindow) {
    let _ = window.unminimize();
    let _ = window.show();
    let _ = window.set_focus();
}

/// Bring the main window forward on one of its views: status, logs or the exit question.
fn show_view(app: &AppHandle, view: &str) {
    if let Some(window) = app.get_webview_window(MAIN) {
        show(&window);
        let _ = window.emit("show-view", view);
    }
}

fn main() {
    let settings_path = settings::settings_path();
    install_panic_hook(settings_path.clone());
    let (settings, settings_error) = match Settings::load(&settings_path) {
        Ok(found) => (found.unwrap_or_default(), None),
        Err(err) => (Settings::default(), Some(err)),
    };
    let log = Arc::new(DeskLog::default());
    if let Some(home_dir) = &settings.home {
        log.set_home(home_dir);
    }
    let context = tauri::generate_context!();
    let resource_dir =
        tauri::utils::platform::resource_dir(context.package_info(), &tauri::Env::default()).ok();
    log.line(&format!(
        "FaceForge Desktop {VERSION} starting; settings {}; resources {}",
        settings_path.display(),
        resource_dir.as_ref().map_or("none".to_string(), |d| d.display().to_string())
    ));
    if let Some(err) = &settings_error {
        log.line(&format!("settings unreadable, running the wizard: {err}"));
    }
    let tray_host = tray::host_available();
    log.line(if tray_host { "tray host found" } else { "no tray host: the window stays the way in" });
    let launcher = Launcher {
        settings_path,
        settings: Mutex::new(settings),
        settings_error,
        supervisor: Mutex::new(None),
        log,
        tray: tray_host,
        resource_dir,
        core_watch: Arc::default(),
    };

    let app = tauri::Builder::default()
        .plugin(tauri_plugin_single_instance::init(|app, _args, _cwd| {
            app.state::<Launcher>().log.line("second launch: focusing this window");
            show_view(app, "status");
        }))
        .plugin(tauri_plugin_dialog::init())
        .manage(launcher)
        .invoke_handler(tauri::generate_handler![
            app_state,
            about,
            open_crash_report,
            inspect_home,
            pick_folder,
            port_status,
            suggest_port,
            finish_wizard,
            service,
            open_ui,
            open_logs_folder,
            log_tail,
            set_prefs,
            exit_app,
        ])
        .setup(|app| {
            let handle = app.handle();
            // Second launches normally end in the single-instance plugin (which focuses this
            // window); the lock also covers desktops without D-Bus.
            match files::InstanceLock::acquire(&settings::config_dir().join("desktop.lock")) {
                Ok(Some(lock)) => {
                    app.manage(lock);
                }
                Ok(None) => {
                    app.state::<Launcher>().log.line("another FaceForge Desktop is running: exiting");
                    std::process::exit(0);
                }
                Err(err) => app.state::<Launcher>().log.line(&format!("no instance lock: {err}")),
            }
            WebviewWindowBuilder::new(handle, MAIN, WebviewUrl::App("index.html".into()))
                .title("FaceForge")
                .inner_size(900.0, 680.0)
                .min_inner_size(640.0, 480.0)
                .build()?;
            let launcher = app.state::<Launcher>();
            if launcher.tray {
                if let Err(err) = tray::build(handle) {
                    launcher.log.line(&format!("tray icon failed: {err}"));
                }
            }
            if launcher.home().is_some() {
                start_services(handle);
            }
            Ok(())
        })
        .on_window_event(|window, event| {
            if let WindowEvent::CloseRequested { api, .. } = event {
                if window.label() == MAIN {
                    // Closing hides to the tray (or minimises without one); Exit is the way out.
                    api.prevent_close();
                    if window.app_handle().state::<Launcher>().tray {
                        let _ = window.hide();
                    } else {
                        let _ = window.minimize();
                    }
                }
            }
        })
        .build(context)
        .expect("FaceForge Desktop failed to start");

    app.run(|_app, event| {
        if let RunEvent::ExitRequested { code: None, api, .. } = event {
            // The last window closing is not an exit; only Exit (code Some) is.
            api.prevent_exit();
        }
    });
}
