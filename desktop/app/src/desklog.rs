//! The launcher's own log, `${FACEFORGE_HOME}/logs/desktop.log`: one timestamped line per event.
//! Lines written before a home is known (first run) are kept and written once it is.

use faceforge_supervisor::files::{now_unix, rfc3339};
use faceforge_supervisor::home::HomeFiles;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::Path;
use std::sync::Mutex;

#[derive(Default)]
pub struct DeskLog {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    file: Option<File>,
    early: Vec<String>,
}

impl DeskLog {
    /// Log to this home from now on (earlier lines included).
    pub fn set_home(&self, home: &Path) {
        let path = HomeFiles::new(home).desktop_log();
        let opened = path
            .parent()
            .map_or(Ok(()), std::fs::create_dir_all)
            .and_then(|()| OpenOptions::new().create(true).append(true).open(&path));
        let mut inner = self.inner.lock().unwrap();
        match opened {
            Ok(mut file) => {
                for line in inner.early.drain(..) {
                    let _ = file.write_all(line.as_bytes());
                }
                inner.file = Some(file);
            }
            Err(err) => eprintln!("faceforge-desktop: cannot write {}: {err}", path.display()),
        }
    }

    pub fn line(&self, message: &str) {
        let line = format!("{} {message}\n", rfc3339(now_unix()));
        eprint!("{line}");
        let mut inner = self.inner.lock().unwrap();
        let Inner { file, early } = &mut *inner;
        match file {
            Some(file) => {
                let _ = file.write_all(line.as_bytes());
            }
            None if early.len() < 1000 => early.push(line),
            None => {}
        }
    }
}
