//! The launcher's own settings (which home, how to open the UI, what Exit does), kept in the OS
//! config dir, apart from any FaceForge home so that the launcher can find its home again.

use crate::files::write_json;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OpenUi {
    /// Show the Core UI in a window of the launcher.
    #[default]
    Window,
    /// Open it in the default web browser.
    Browser,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExitAction {
    /// Ask every time.
    #[default]
    Ask,
    /// Stop Core and SeaweedFS, then quit.
    Stop,
    /// Quit and leave them running (the next launch adopts them).
    Leave,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// The chosen FACEFORGE_HOME; `None` until the first-run wizard is finished.
    pub home: Option<PathBuf>,
    /// The `faceforge` executable to run; `None` finds one (see the app's docs).
    pub faceforge_command: Option<PathBuf>,
    pub open_ui: OpenUi,
    pub exit_action: ExitAction,
}

/// `$FACEFORGE_DESKTOP_CONFIG_DIR` when set (tests, portable installs), else the OS config dir:
/// `%APPDATA%\FaceForge`, `~/Library/Application Support/FaceForge`, or
/// `$XDG_CONFIG_HOME/faceforge` (`~/.config/faceforge`).
pub fn config_dir() -> PathBuf {
    let env = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty()).map(PathBuf::from);
    if let Some(dir) = env("FACEFORGE_DESKTOP_CONFIG_DIR") {
        return dir;
    }
    let home = env("HOME").or_else(|| env("USERPROFILE")).unwrap_or_else(|| PathBuf::from("."));
    if cfg!(windows) {
        env("APPDATA").unwrap_or_else(|| home.join("AppData").join("Roaming")).join("FaceForge")
    } else if cfg!(target_os = "macos") {
        home.join("Library").join("Application Support").join("FaceForge")
    } else {
        env("XDG_CONFIG_HOME").unwrap_or_else(|| home.join(".config")).join("faceforge")
    }
}

/// The settings file: `desktop.json` in [`config_dir`].
pub fn settings_path() -> PathBuf {
    config_dir().join("desktop.json")
}

impl Settings {
    /// `Ok(None)` when there is no file yet (first run); `Err` names the file when it is unreadable.
    pub fn load(path: &Path) -> Result<Option<Self>, String> {
        match std::fs::read_to_string(path) {
            Ok(text) => serde_json::from_str(&text)
                .map(Some)
                .map_err(|e| format!("{}: not valid launcher settings ({e})", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(format!("{}: {e}", path.display())),
        }
    }

    pub fn save(&self, path: &Path) -> Result<(), String> {
        let value = serde_json::to_value(self).map_err(|e| e.to_string())?;
        write_json(path, &value, false).map_err(|e| format!("{}: {e}", path.display()))
    }
}
