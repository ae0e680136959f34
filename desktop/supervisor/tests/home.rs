//! Port picking, launcher settings and the home's config files, against real sockets and files.

use faceforge_supervisor::home::{self, HomeFiles, Network};
use faceforge_supervisor::settings::{ExitAction, OpenUi, Settings};
use faceforge_supervisor::{ports, HealthCheck};
use serde_json::{json, Value};
use std::net::TcpListener;
use std::path::Path;

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn a_busy_port_is_not_free_and_picking_skips_it() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let busy = taken.local_addr().unwrap().port();
    assert!(!ports::is_free("127.0.0.1", busy));
    assert!(!ports::is_free("127.0.0.1", 0), "port 0 is never a choice");
    let picked = ports::pick("127.0.0.1", busy, &[]).unwrap();
    assert_ne!(picked, busy);
    assert!(ports::is_free("127.0.0.1", picked));
}

#[test]
fn picking_keeps_a_free_preferred_port_and_avoids_the_ones_already_chosen() {
    let probe = TcpListener::bind("127.0.0.1:0").unwrap();
    let free = probe.local_addr().unwrap().port();
    drop(probe);
    assert_eq!(ports::pick("127.0.0.1", free, &[]).unwrap(), free);
    let other = ports::pick("127.0.0.1", free, &[free]).unwrap();
    assert_ne!(other, free);
}

#[test]
fn settings_round_trip_and_a_missing_file_means_first_run() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested").join("desktop.json");
    assert_eq!(Settings::load(&path).unwrap(), None);
    let settings = Settings {
        home: Some(dir.path().join("home")),
        faceforge_command: Some("/opt/faceforge/bin/faceforge".into()),
        open_ui: OpenUi::Browser,
        exit_action: ExitAction::Leave,
    };
    settings.save(&path).unwrap();
    assert_eq!(Settings::load(&path).unwrap(), Some(settings));
    assert_eq!(read_json(&path)["exit_action"], "leave");
}

#[test]
fn settings_with_missing_keys_take_defaults_and_a_broken_file_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("desktop.json");
    std::fs::write(&path, r#"{"home": "/data/ff"}"#).unwrap();
    let loaded = Settings::load(&path).unwrap().unwrap();
    assert_eq!(loaded.home.as_deref(), Some(Path::new("/data/ff")));
    assert_eq!((loaded.open_ui, loaded.exit_action), (OpenUi::Window, ExitAction::Ask));

    std::fs::write(&path, "{not json").unwrap();
    let err = Settings::load(&path).unwrap_err();
    assert!(err.starts_with(&format!("{}: not valid launcher settings", path.display())), "{err}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "{not json", "left as it was");
}

#[test]
fn a_new_folder_is_usable_and_nothing_is_created_by_looking() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("FaceForge");
    let report = home::inspect(&target);
    assert!(!report.exists && report.writable && !report.is_faceforge_home);
    assert_eq!((report.core_port, report.seaweed_s3_port), (43210, 43211));
    assert_eq!(report.problem, None);
    assert!(!target.exists());
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "the probe file is gone");
}

#[test]
fn unusable_folders_say_why() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, "x").unwrap();
    assert_eq!(home::inspect(&file).problem.as_deref(), Some("this is a file, not a folder"));
    assert!(home::inspect(&file.join("below")).problem.is_some(), "cannot create a folder under a file");
    assert_eq!(
        home::inspect(Path::new("relative/home")).problem.as_deref(),
        Some("choose a full path (starting at the root of a drive)")
    );
}

#[cfg(unix)]
#[test]
fn a_read_only_folder_is_not_writable() {
    use std::os::unix::fs::PermissionsExt;
    if unsafe { libc::geteuid() } == 0 {
        // root writes anywhere; check instead that a path under /proc cannot be a home
        let report = home::inspect(Path::new("/proc/faceforge-home"));
        assert!(!report.writable);
        assert_eq!(report.problem.as_deref(), Some("this folder cannot be written to; choose another"));
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o500)).unwrap();
    let report = home::inspect(&dir.path().join("home"));
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
    assert!(!report.writable);
}

#[test]
fn writing_the_network_into_a_new_home_creates_its_config() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("home");
    let network = Network { core_port: 45000, seaweed_enabled: true, seaweed_s3_port: 45001 };
    home::write_network(&target, network).unwrap();
    let files = HomeFiles::new(&target);
    assert_eq!(read_json(&files.ports_json()), json!({"core": 45000, "seaweed_s3": 45001}));
    assert_eq!(
        read_json(&files.core_json()),
        json!({
            "version": 1,
            "network": {"bind_host": "127.0.0.1", "core_port": 45000, "seaweed_s3_port": 45001},
            "seaweed": {"enabled": true}
        })
    );
    assert!(files.logs_dir().is_dir() && files.run_dir().is_dir());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(files.core_json()).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "core.json holds the install token: owner only");
    }
    let report = home::inspect(&target);
    assert!(report.is_faceforge_home && report.seaweed_enabled);
    assert_eq!((report.core_port, report.seaweed_s3_port), (45000, 45001));
}

#[test]
fn writing_the_network_into_an_existing_home_keeps_every_other_key() {
    let dir = tempfile::tempdir().unwrap();
    let files = HomeFiles::new(dir.path());
    std::fs::create_dir_all(dir.path().join("config")).unwrap();
    let original = json!({
        "version": 1,
        "auth": {"install_token": "tok-123"},
        "network": {"bind_host": "0.0.0.0", "core_port": 43210},
        "seaweed": {"enabled": false, "master_port": 50000},
        "jobs": {"max_concurrent": 4}
    });
    std::fs::write(files.core_json(), original.to_string()).unwrap();
    std::fs::write(files.ports_json(), r#"{"core": 1, "extra": "kept"}"#).unwrap();
    assert_eq!(home::inspect(dir.path()).core_port, 1, "ports.json wins over core.json");

    let network = Network { core_port: 45010, seaweed_enabled: false, seaweed_s3_port: 45011 };
    home::write_network(dir.path(), network).unwrap();
    let written = read_json(&files.core_json());
    assert_eq!(written["auth"]["install_token"], "tok-123");
    assert_eq!(written["jobs"]["max_concurrent"], 4);
    assert_eq!(written["seaweed"], json!({"enabled": false, "master_port": 50000}));
    assert_eq!(
        written["network"],
        json!({"bind_host": "0.0.0.0", "core_port": 45010, "seaweed_s3_port": 45011})
    );
    let keys: Vec<&String> = written.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["version", "auth", "network", "seaweed", "jobs"], "key order kept");
    assert_eq!(read_json(&files.ports_json()), json!({"core": 45010, "extra": "kept", "seaweed_s3": 45011}));
    assert_eq!(home::install_token(dir.path()).as_deref(), Some("tok-123"));
}

#[test]
fn a_broken_core_json_is_reported_and_never_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let files = HomeFiles::new(dir.path());
    std::fs::create_dir_all(dir.path().join("config")).unwrap();
    std::fs::write(files.core_json(), "{\"network\": ").unwrap();
    let network = Network { core_port: 45020, seaweed_enabled: false, seaweed_s3_port: 45021 };
    let err = home::write_network(dir.path(), network).unwrap_err();
    assert!(err.starts_with(&format!("{}: not valid JSON", files.core_json().display())), "{err}");
    assert_eq!(std::fs::read_to_string(files.core_json()).unwrap(), "{\"network\": ");
    assert!(!files.ports_json().exists(), "nothing half-written");
    let report = home::inspect(dir.path());
    assert!(report.is_faceforge_home);
    assert!(report.problem.unwrap().contains("not valid JSON"));

    std::fs::write(files.core_json(), r#"{"network": 5}"#).unwrap();
    let err = home::write_network(dir.path(), network).unwrap_err();
    assert!(err.ends_with("key 'network' must be an object"), "{err}");
    assert_eq!(home::install_token(dir.path()), None);
}

#[test]
fn the_services_of_a_home_follow_its_config() {
    let dir = tempfile::tempdir().unwrap();
    let faceforge = Path::new("/opt/ff/faceforge");
    let network = Network { core_port: 45030, seaweed_enabled: false, seaweed_s3_port: 45031 };
    home::write_network(dir.path(), network).unwrap();
    let specs = home::services(dir.path(), faceforge);
    assert_eq!(specs.len(), 1);
    let core = &specs[0];
    assert_eq!(core.name, "core");
    assert_eq!(core.program, faceforge);
    assert_eq!(core.args, ["serve", "--host", "127.0.0.1", "--port", "45030"]);
    assert!(core.env.contains(&("FACEFORGE_HOME".to_string(), dir.path().display().to_string())));
    assert_eq!(core.health, HealthCheck::http("http://127.0.0.1:45030/healthz").unwrap());
    assert_eq!(core.pid_file, dir.path().join("run").join("desktop-core.pid"));
    assert_eq!(core.log_file, dir.path().join("logs").join("core.console.log"));
    assert_eq!(home::core_url(dir.path()), "http://127.0.0.1:45030/");

    home::write_network(dir.path(), Network { seaweed_enabled: true, ..network }).unwrap();
    let specs = home::services(dir.path(), faceforge);
    let names: Vec<&str> = specs.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["seaweed", "core"]);
    assert_eq!(specs[0].args, ["seaweed", "run"]);
    assert_eq!(specs[0].health, HealthCheck::tcp("127.0.0.1", 45031));
}

#[test]
fn health_urls_parse_and_bad_ones_are_refused() {
    assert_eq!(
        HealthCheck::http("http://[::1]:8080/healthz").unwrap(),
        HealthCheck::Http { host: "::1".into(), port: 8080, path: "/healthz".into() }
    );
    assert_eq!(HealthCheck::http("http://localhost:80").unwrap().port(), 80);
    assert!(HealthCheck::http("https://x:1/").is_err());
    assert!(HealthCheck::http("http://x/healthz").is_err());
    assert!(HealthCheck::http("http://x:99999/").is_err());
}

#[test]
fn health_checks_say_what_went_wrong() {
    let closed = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let err = HealthCheck::tcp("127.0.0.1", port).check(std::time::Duration::from_millis(300)).unwrap_err();
    assert!(err.starts_with(&format!("port {port} not answering")), "{err}");

    let open = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = open.local_addr().unwrap().port();
    assert_eq!(HealthCheck::tcp("127.0.0.1", port).check(std::time::Duration::from_millis(300)), Ok(()));
    std::thread::spawn(move || {
        use std::io::{Read, Write};
        let (mut stream, _) = open.accept().unwrap();
        let _ = open.accept(); // the TCP check above left one connection in the backlog
        let mut buf = [0u8; 512];
        let _ = stream.read(&mut buf);
        let _ = stream.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
    });
    let url = format!("http://127.0.0.1:{port}/healthz");
    let result = HealthCheck::http(&url).unwrap().check(std::time::Duration::from_secs(2));
    assert!(result.is_err());
}

#[test]
fn the_faceforge_executable_is_found_in_order_settings_env_bundle_then_development() {
    use faceforge_supervisor::home::{find_faceforge_in, FaceforgeSearch};
    let dir = tempfile::tempdir().unwrap();
    let make = |rel: &str| {
        let path = dir.path().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, "#!/bin/sh\n").unwrap();
        path
    };
    let path_var = std::env::join_paths([dir.path().join("empty"), dir.path().join("bin")]).unwrap();
    let exe = dir.path().join("checkout/desktop/target/debug/faceforge-desktop");
    std::fs::create_dir_all(exe.parent().unwrap()).unwrap();
    let resources = dir.path().join("usr/lib/FaceForge");
    let mut search = FaceforgeSearch {
        exe: Some(&exe),
        path: Some(&path_var),
        resource_dir: Some(&resources),
        ..FaceforgeSearch::default()
    };
    assert_eq!(find_faceforge_in(&search), Path::new("faceforge"), "nothing found: the bare name");
    let on_path = make("bin/faceforge");
    assert_eq!(find_faceforge_in(&search), on_path);
    let venv = make("checkout/.venv/bin/faceforge");
    assert_eq!(find_faceforge_in(&search), venv);
    let beside = make("checkout/desktop/target/debug/faceforge");
    assert_eq!(find_faceforge_in(&search), beside);
    let bundled = make("usr/lib/FaceForge/core/faceforge");
    assert_eq!(bundled, home::bundled_faceforge(&resources));
    assert_eq!(find_faceforge_in(&search), bundled, "the bundle comes before every development candidate");
    let portable = make("checkout/desktop/target/debug/core/faceforge");
    assert_eq!(find_faceforge_in(&search), portable, "a bundle beside the launcher comes first");
    let from_env = make("env/faceforge");
    search.env = Some(&from_env);
    assert_eq!(find_faceforge_in(&search), from_env, "the environment variable overrides the bundle");
    let configured = make("chosen/faceforge");
    search.configured = Some(&configured);
    assert_eq!(find_faceforge_in(&search), configured, "the settings come first");
    let missing = dir.path().join("missing/faceforge");
    search.configured = Some(&missing);
    assert_eq!(find_faceforge_in(&search), from_env, "a configured command that is gone is skipped");
}

#[test]
fn log_timestamps_are_utc_rfc3339() {
    use faceforge_supervisor::files::rfc3339;
    assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
    assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
    assert_eq!(rfc3339(1_795_518_124), "2026-11-24T11:02:04Z");
}

#[test]
fn only_one_instance_lock_is_held_at_a_time() {
    use faceforge_supervisor::files::InstanceLock;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config").join("desktop.lock");
    let first = InstanceLock::acquire(&path).unwrap();
    assert!(first.is_some());
    #[cfg(unix)]
    assert!(InstanceLock::acquire(&path).unwrap().is_none(), "held by the first");
    drop(first);
    assert!(InstanceLock::acquire(&path).unwrap().is_some(), "free again once released");
}

/// A one-shot HTTP server on loopback that answers every request with `answer`.
fn answer_once(answer: &'static str) -> String {
    let server = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = server.local_addr().unwrap().port();
    std::thread::spawn(move || {
        use std::io::{Read, Write};
        let (mut stream, _) = server.accept().unwrap();
        let mut buf = [0u8; 512];
        let _ = stream.read(&mut buf);
        let _ = stream.write_all(answer.as_bytes());
    });
    format!("http://127.0.0.1:{port}/healthz")
}

#[test]
fn core_version_is_read_from_healthz_and_bad_answers_say_why() {
    use faceforge_supervisor::health::core_version;
    let timeout = std::time::Duration::from_secs(2);
    let ok = answer_once(
        "HTTP/1.1 200 OK\r\n\r\n{\"ok\": true, \"data\": {\"status\": \"ok\", \"version\": \"0.4.0\"}}",
    );
    assert_eq!(core_version(&HealthCheck::http(&ok).unwrap(), timeout), Ok("0.4.0".to_string()));
    let no_version = answer_once("HTTP/1.1 200 OK\r\n\r\n{\"ok\": true, \"data\": {}}");
    assert_eq!(
        core_version(&HealthCheck::http(&no_version).unwrap(), timeout),
        Err("the answer names no version".to_string())
    );
    let failing = answer_once("HTTP/1.1 503 Service Unavailable\r\n\r\n");
    assert_eq!(
        core_version(&HealthCheck::http(&failing).unwrap(), timeout),
        Err("answered HTTP 503".to_string())
    );
    assert!(core_version(&HealthCheck::tcp("127.0.0.1", 1), timeout).is_err());
}
