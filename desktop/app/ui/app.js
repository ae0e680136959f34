// FaceForge Desktop's window: the first-run wizard, the status of each service, logs, settings.
// Plain JS over Tauri's global API (no build step). Status arrives as "status" events pushed by
// the supervisor; the only timer redraws uptimes once a second while the window is visible.
"use strict";

const { invoke } = window.__TAURI__.core;
const { listen } = window.__TAURI__.event;

const $ = (id) => document.getElementById(id);
const state = { app: null, services: new Map(), view: "status", wizardReturn: null, crashReport: null };
const LABELS = { core: "FaceForge Core", seaweed: "Object storage (SeaweedFS)" };
const STATE_WORDS = {
  stopped: "stopped", starting: "starting", running: "running",
  backoff: "restarting", stopping: "stopping", failed: "failed",
};

function show(view) {
  state.view = view;
  for (const section of document.querySelectorAll(".view")) section.hidden = section.id !== view;
  for (const tab of document.querySelectorAll(".tab")) {
    if (tab.dataset.view === view) tab.setAttribute("aria-current", "page");
    else tab.removeAttribute("aria-current");
  }
  $("nav").hidden = view === "wizard";
  if (view === "logs") loadLog();
  if (view === "settings") fillSettings();
}

function setNote(el, text, kind) {
  el.textContent = text;
  el.className = "note" + (kind ? " " + kind : "");
}

function duration(secs) {
  if (secs == null) return "—";
  const d = Math.floor(secs / 86400), h = Math.floor(secs / 3600) % 24, m = Math.floor(secs / 60) % 60, s = secs % 60;
  if (d) return `${d} d ${h} h`;
  if (h) return `${h} h ${m} min`;
  if (m) return `${m} min ${s} s`;
  return `${s} s`;
}

// ---------------------------------------------------------------- wizard

async function inspectHome() {
  const path = $("home").value.trim();
  const note = $("home-note");
  if (!path) return setNote(note, "Choose a folder.", "warn"), null;
  const report = await invoke("inspect_home", { path });
  if (report.problem) setNote(note, report.problem, "warn");
  else if (report.is_faceforge_home) {
    setNote(note, "An existing FaceForge home: it will be reused with everything in it.", "ok");
    $("core-port").value = report.core_port;
    $("s3-port").value = report.seaweed_s3_port;
    $("seaweed").checked = report.seaweed_enabled;
    $("s3-row").hidden = !report.seaweed_enabled;
  } else if (report.exists) setNote(note, "FaceForge will set up its folders here.", "ok");
  else setNote(note, "This folder will be created.", "ok");
  checkPorts();
  return report;
}

async function checkPort(service, input, auto, note) {
  input.disabled = auto.checked;
  const port = Number(input.value);
  if (auto.checked) return setNote(note, `Uses ${port} if free, else the next free port.`);
  if (!Number.isInteger(port) || port < 1024 || port > 65535) {
    return setNote(note, "Choose a number from 1024 to 65535.", "warn");
  }
  const home = $("home").value.trim() || null;
  const check = await invoke("port_status", { home, service, port });
  if (check.ours) setNote(note, `Port ${port} is used by this home's FaceForge, which is already running.`, "ok");
  else if (check.free) setNote(note, `Port ${port} is free.`, "ok");
  else setNote(note, `Port ${port} is in use by another program.`, "warn");
}

function checkPorts() {
  checkPort("core", $("core-port"), $("core-auto"), $("core-port-note"));
  if ($("seaweed").checked) checkPort("seaweed", $("s3-port"), $("s3-auto"), $("s3-port-note"));
  else setNote($("s3-port-note"), "");
}

function openWizard(fromSettings) {
  const app = state.app;
  $("home").value = app.settings.home || app.default_home;
  $("settings-error").hidden = !app.settings_error;
  $("settings-error").textContent = app.settings_error
    ? `Your launcher settings could not be read (${app.settings_error}); set things up again.` : "";
  $("wizard-cancel").hidden = !fromSettings;
  for (const radio of document.querySelectorAll('#wizard-form input[name="open_ui"]')) {
    radio.checked = radio.value === app.settings.open_ui;
  }
  $("wizard-error").hidden = true;
  show("wizard");
  inspectHome();
}

async function finishWizard(event) {
  event.preventDefault();
  const button = $("finish");
  const error = $("wizard-error");
  error.hidden = true;
  const answers = {
    home: $("home").value.trim(),
    core_port: $("core-auto").checked ? null : Number($("core-port").value),
    seaweed_enabled: $("seaweed").checked,
    s3_port: $("s3-auto").checked ? null : Number($("s3-port").value),
    open_ui: document.querySelector('#wizard-form input[name="open_ui"]:checked').value,
  };
  button.disabled = true;
  button.textContent = "Starting…";
  try {
    await invoke("finish_wizard", { answers });
    await refresh();
    show("status");
  } catch (err) {
    error.textContent = String(err);
    error.hidden = false;
  } finally {
    button.disabled = false;
    button.textContent = "Start FaceForge";
  }
}

// ---------------------------------------------------------------- status

function renderService(s) {
  let card = document.querySelector(`.service[data-name="${s.name}"]`);
  if (!card) {
    card = document.createElement("div");
    card.className = "service";
    card.dataset.name = s.name;
    card.innerHTML = `
      <div class="head"><h3></h3><span class="badge"></span>
        <span class="buttons">
          <button type="button" data-act="start">Start</button>
          <button type="button" data-act="stop">Stop</button>
          <button type="button" data-act="restart">Restart</button>
        </span></div>
      <dl><dt>Port</dt><dd class="port"></dd><dt>Process</dt><dd class="pid"></dd>
        <dt>Up for</dt><dd class="uptime"></dd><dt>Restarts</dt><dd class="restarts"></dd>
        <dt>Last error</dt><dd class="last-error"></dd></dl>
      <pre class="tail" hidden></pre>`;
    card.querySelector("h3").textContent = LABELS[s.name] || s.name;
    card.querySelector(".buttons").addEventListener("click", (e) => {
      const act = e.target.dataset.act;
      if (act) invoke("service", { action: act, name: s.name }).catch(alert);
    });
    $("services").appendChild(card);
  }
  const badge = card.querySelector(".badge");
  badge.className = `badge ${s.state}`;
  let word = STATE_WORDS[s.state] || s.state;
  if (s.state === "backoff" && s.retry_in_secs != null) word += ` in ${s.retry_in_secs + 1} s`;
  badge.textContent = word;
  card.querySelector(".port").textContent = s.port;
  card.querySelector(".pid").textContent = s.pid ? `${s.pid}${s.adopted ? " (was already running)" : ""}` : "—";
  card.querySelector(".restarts").textContent = s.restarts;
  card.querySelector(".last-error").textContent = s.last_error || "none";
  const tail = card.querySelector(".tail");
  tail.hidden = !(s.state === "failed" || s.state === "backoff") || !s.log_tail.length;
  tail.textContent = s.log_tail.join("\n");
  card.querySelector('[data-act="start"]').disabled = ["running", "starting", "stopping"].includes(s.state);
  card.querySelector('[data-act="stop"]').disabled = s.state === "stopped";
  updateUptime(card, s);
  const core = state.services.get("core");
  $("open-ui").disabled = !core || core.state !== "running";
}

function updateUptime(card, s) {
  const running = s.state === "running" || s.state === "starting";
  const secs = running && s.started_at ? Math.max(0, Math.floor(Date.now() / 1000) - s.started_at) : null;
  card.querySelector(".uptime").textContent = duration(secs);
}

function onStatus(s) {
  state.services.set(s.name, s);
  renderService(s);
}

async function refresh() {
  state.app = await invoke("app_state");
  const app = state.app;
  $("no-tray").hidden = app.tray;
  $("home-path").textContent = app.settings.home || "";
  $("core-link").textContent = app.core_url || "";
  $("services").replaceChildren();
  state.services.clear();
  for (const s of app.statuses) onStatus(s);
  $("open-ui").disabled = !app.statuses.some((s) => s.name === "core" && s.state === "running");
}

// ---------------------------------------------------------------- logs and settings

async function loadLog() {
  try {
    const view = await invoke("log_tail", { which: $("log-which").value, lines: 300 });
    $("log-file").textContent = view.file;
    $("log-lines").textContent = view.lines.length ? view.lines.join("\n") : "(empty)";
    $("log-lines").scrollTop = $("log-lines").scrollHeight;
  } catch (err) {
    $("log-lines").textContent = String(err);
  }
}

function fillSettings() {
  const s = state.app.settings;
  for (const radio of document.querySelectorAll("#prefs input[type=radio]")) {
    radio.checked = s[radio.name] === radio.value;
  }
  $("settings-home").textContent = s.home || "";
  $("settings-file").textContent = state.app.settings_file;
  $("faceforge-path").textContent = state.app.faceforge;
  setNote($("prefs-saved"), "");
  fillAbout();
}

// The launcher's version beside the version the running Core reports; a package ships them equal.
async function fillAbout() {
  $("about-version").textContent = state.app.version;
  const about = await invoke("about");
  $("about-core-version").textContent = about.core_version || "not running";
  $("about-core-origin").textContent = about.faceforge_bundled ? "(bundled)" : `(development: ${about.faceforge})`;
  if (about.core_error) setNote($("about-note"), `Core does not answer: ${about.core_error}`, "warn");
  else if (about.core_version !== about.version) {
    setNote($("about-note"), "Core and the launcher are different versions.", "warn");
  } else setNote($("about-note"), "");
}

// Core stopped without being asked to and left a crash report: say so, with a way to open it.
function onCoreCrash(crash) {
  state.crashReport = crash.report;
  $("crash-error").textContent = crash.error ? `Reason: ${crash.error}.` : "";
  $("crash-report").textContent = crash.report;
  $("crash").hidden = false;
}

async function savePrefs() {
  const form = new FormData($("prefs"));
  const prefs = { open_ui: form.get("open_ui"), exit_action: form.get("exit_action") };
  try {
    await invoke("set_prefs", { prefs });
    state.app.settings = { ...state.app.settings, ...prefs };
    setNote($("prefs-saved"), "Saved.", "ok");
  } catch (err) {
    setNote($("prefs-saved"), String(err), "warn");
  }
}

function askExit() {
  const dialog = $("exit-dialog");
  $("exit-remember").checked = false;
  if (!dialog.open) dialog.showModal();
}

async function onExitChoice() {
  const choice = $("exit-dialog").returnValue;
  if (choice !== "stop" && choice !== "leave") return;
  const remember = $("exit-remember").checked;
  document.body.style.cursor = "progress";
  await invoke("exit_app", { stop: choice === "stop", remember });
}

// ---------------------------------------------------------------- wiring

function wire() {
  for (const tab of document.querySelectorAll(".tab")) tab.addEventListener("click", () => show(tab.dataset.view));
  for (const link of document.querySelectorAll("[data-goto]")) link.addEventListener("click", () => show(link.dataset.goto));
  let typing;
  $("home").addEventListener("input", () => { clearTimeout(typing); typing = setTimeout(inspectHome, 300); });
  $("browse").addEventListener("click", async () => {
    const picked = await invoke("pick_folder", { start: $("home").value.trim() || null });
    if (picked) { $("home").value = picked; inspectHome(); }
  });
  $("use-default").addEventListener("click", () => { $("home").value = state.app.default_home; inspectHome(); });
  for (const id of ["core-port", "core-auto", "s3-port", "s3-auto"]) $(id).addEventListener("input", checkPorts);
  $("seaweed").addEventListener("change", () => { $("s3-row").hidden = !$("seaweed").checked; checkPorts(); });
  $("wizard-form").addEventListener("submit", finishWizard);
  $("wizard-cancel").addEventListener("click", () => show("settings"));
  $("open-ui").addEventListener("click", () => invoke("open_ui").catch(alert));
  $("core-link").addEventListener("click", (e) => { e.preventDefault(); invoke("open_ui").catch(alert); });
  $("stop-all").addEventListener("click", () => invoke("service", { action: "stop", name: null }).catch(alert));
  $("restart-all").addEventListener("click", () => invoke("service", { action: "restart", name: null }).catch(alert));
  $("exit").addEventListener("click", askExit);
  $("exit-dialog").addEventListener("close", onExitChoice);
  $("log-which").addEventListener("change", loadLog);
  $("log-refresh").addEventListener("click", loadLog);
  $("log-folder").addEventListener("click", () => invoke("open_logs_folder").catch(alert));
  $("prefs").addEventListener("change", savePrefs);
  $("change-home").addEventListener("click", () => openWizard(true));
  $("crash-open").addEventListener("click", () => invoke("open_crash_report", { path: state.crashReport }).catch(alert));
  $("crash-dismiss").addEventListener("click", () => { $("crash").hidden = true; });
  setInterval(() => {
    if (document.hidden || state.view !== "status") return;
    for (const s of state.services.values()) {
      const card = document.querySelector(`.service[data-name="${s.name}"]`);
      if (card) updateUptime(card, s);
    }
  }, 1000);
}

async function main() {
  wire();
  await listen("status", (event) => onStatus(event.payload));
  await listen("core-crash", (event) => onCoreCrash(event.payload));
  await listen("show-view", (event) => {
    if (state.app && state.app.first_run) return show("wizard");
    if (event.payload === "exit") { show("status"); askExit(); } else show(event.payload);
  });
  await refresh();
  if (state.app.first_run) openWizard(false);
  else show("status");
}

main().catch((err) => { document.body.textContent = `FaceForge Desktop could not start: ${err}`; });
