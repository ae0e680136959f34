//! The tray icon and its menu: Open UI, Status, Logs, Stop, Restart, Exit.

use crate::{open_core_ui, request_exit, show_view, Launcher};
use faceforge_supervisor::State as ServiceState;
use tauri::menu::{Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::TrayIconBuilder;
use tauri::{AppHandle, Manager};

const TRAY: &str = "faceforge";

/// Whether the desktop shows tray icons. Linux needs a StatusNotifier host on the session bus
/// (many GNOME setups have none); elsewhere there always is one. `FACEFORGE_DESKTOP_TRAY=0|1`
/// overrides the guess.
pub fn host_available() -> bool {
    match std::env::var("FACEFORGE_DESKTOP_TRAY").as_deref() {
        Ok("0") => return false,
        Ok("1") => return true,
        _ => {}
    }
    if !cfg!(target_os = "linux") {
        return true;
    }
    let watcher = "org.kde.StatusNotifierWatcher";
    let ask = |program: &str, args: &[&str], yes: &str| {
        std::process::Command::new(program)
            .args(args)
            .stderr(std::process::Stdio::null())
            .output()
            .is_ok_and(|out| out.status.success() && String::from_utf8_lossy(&out.stdout).contains(yes))
    };
    ask(
        "gdbus",
        &[
            "call",
            "--session",
            "--dest",
            "org.freedesktop.DBus",
            "--object-path",
            "/org/freedesktop/DBus",
            "--method",
            "org.freedesktop.DBus.NameHasOwner",
            watcher,
        ],
        "true",
    ) || ask(
        "dbus-send",
        &[
            "--session",
            "--print-reply",
            "--dest=org.freedesktop.DBus",
            "/org/freedesktop/DBus",
            "org.freedesktop.DBus.NameHasOwner",
            &format!("string:{watcher}"),
        ],
        "boolean true",
    )
}

pub fn build(app: &AppHandle) -> tauri::Result<()> {
    let item = |id: &str, text: &str| MenuItem::with_id(app, id, text, true, None::<&str>);
    let separator = PredefinedMenuItem::separator(app)?;
    let menu = Menu::with_items(
        app,
        &[
            &item("open_ui", "Open UI")?,
            &item("status", "Status")?,
            &item("logs", "Logs")?,
            &separator,
            &item("stop", "Stop")?,
            &item("restart", "Restart")?,
            &PredefinedMenuItem::separator(app)?,
            &item("exit", "Exit")?,
        ],
    )?;
    let mut builder = TrayIconBuilder::with_id(TRAY)
        .tooltip("FaceForge")
        .menu(&menu)
        .show_menu_on_left_click(true)
        .on_menu_event(|app, event| on_menu(app, event.id.as_ref()));
    if let Some(icon) = app.default_window_icon() {
        builder = builder.icon(icon.clone());
    }
    builder.build(app)?;
    Ok(())
}

fn on_menu(app: &AppHandle, id: &str) {
    let launcher = app.state::<Launcher>();
    launcher.log.line(&format!("tray: {id}"));
    let all = |run: fn(&faceforge_supervisor::Supervisor)| {
        if let Some(supervisor) = launcher.supervisor.lock().unwrap().as_ref() {
            run(supervisor);
        }
    };
    match id {
        "open_ui" => {
            if let Err(err) = open_core_ui(app) {
                launcher.log.line(&format!("open UI failed: {err}"));
                show_view(app, "status");
            }
        }
        "status" => show_view(app, "status"),
        "logs" => show_view(app, "logs"),
        "stop" => all(faceforge_supervisor::Supervisor::stop_all),
        "restart" => all(faceforge_supervisor::Supervisor::restart_all),
        "exit" => request_exit(app),
        _ => {}
    }
}

/// Keep the tray tooltip saying how the services are.
pub fn refresh_tooltip(app: &AppHandle) {
    let Some(tray) = app.tray_by_id(TRAY) else { return };
    let statuses = app.state::<Launcher>().statuses();
    let summary: Vec<String> = statuses
        .iter()
        .map(|s| {
            let state = match s.state {
                ServiceState::Running => "running",
                ServiceState::Starting => "starting",
                ServiceState::Backoff => "restarting",
                ServiceState::Stopping => "stopping",
                ServiceState::Stopped => "stopped",
                ServiceState::Failed => "failed",
            };
            format!("{}: {state}", s.name)
        })
        .collect();
    let _ = tray.set_tooltip(Some(format!("FaceForge — {}", summary.join(", "))));
}
