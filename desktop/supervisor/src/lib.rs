//! The parts of FaceForge Desktop that need no GUI: the process supervisor, health checks, port
//! picking, the launcher's own settings and the FaceForge home's config files. Kept free of Tauri
//! types so all of it is tested with plain `cargo test` against real processes and files.

pub mod crash;
pub mod files;
pub mod health;
pub mod home;
pub mod ports;
pub mod process;
pub mod settings;
pub mod supervisor;

pub use health::HealthCheck;
pub use supervisor::{Listener, Policy, ServiceSpec, ServiceStatus, State, Supervisor};
