/* FaceForge web UI behaviour. Pages are rendered by the server; every change goes to the /v1 JSON API
   with the CSRF header, so the UI follows exactly the same rules as any other client. Handlers are
   delegated from `document`, so content swapped in later (htmx) works without re-binding. */
(() => {
  "use strict";

  const CSRF_HEADER = "X-FaceForge-CSRF";

  function csrfToken() {
    const found = document.cookie.split("; ").find((c) => c.startsWith("ff_csrf="));
    return found ? decodeURIComponent(found.slice("ff_csrf=".length)) : "";
  }

  /* One JSON API call. Resolves to {ok, status, data, error}; never throws for HTTP errors. */
  async function api(method, url, body) {
    const headers = { Accept: "application/json", [CSRF_HEADER]: csrfToken() };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    let response;
    try {
      response = await fetch(url, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        credentials: "same-origin",
      });
    } catch {
      return { ok: false, status: 0, error: { message: "FaceForge could not be reached. Is it still running?" } };
    }
    if (response.status === 204) return { ok: true, status: 204, data: null };
    let payload = null;
    try {
      payload = await response.json();
    } catch {
      payload = null;
    }
    if (response.ok) return { ok: true, status: response.status, data: payload ? payload.data : null };
    if (response.status === 401) {
      window.location.assign("/ui/login?next=" + encodeURIComponent(location.pathname + location.search));
    }
    const error = payload && payload.error ? payload.error : { message: `The request failed (${response.status}).` };
    return { ok: false, status: response.status, error };
  }

  function toast(message) {
    const box = document.getElementById("toast");
    if (!box) return;
    box.textContent = message;
    box.hidden = false;
    clearTimeout(toast.timer);
    toast.timer = setTimeout(() => { box.hidden = true; }, 4000);
  }

  /* ---- turning inputs into JSON values ---- */

  function numberOr(text, integer) {
    const n = Number(text);
    if (text.trim() === "" || !Number.isFinite(n) || (integer && !Number.isInteger(n))) return text;
    return n;
  }

  function convert(text, type) {
    switch (type) {
      case "int": return numberOr(text, true);
      case "float": return numberOr(text, false);
      case "bool": return text === "true" ? true : text === "false" ? false : text;
      case "json":
        try { return JSON.parse(text); } catch { return text; }
      case "datetime": {
        const moment = new Date(text);
        return Number.isNaN(moment.getTime()) ? text : moment.toISOString();
      }
      default: return text;
    }
  }

  /* The admin-defined type of a descriptor value: from the element, or from the field chosen beside it. */
  function autoType(el) {
    if (el.dataset.fieldType) return el.dataset.fieldType;
    const source = el.dataset.typeFrom && document.getElementById(el.dataset.typeFrom);
    if (!source || !source.list) return "string";
    const option = Array.from(source.list.options).find((o) => o.value === source.value);
    return option ? option.dataset.fieldType : "string";
  }

  const NOTHING = Symbol("nothing");

  function valueOf(el, emptyAsNull) {
    const type = el.dataset.type || "";
    if (el.type === "checkbox") return el.checked;
    const text = el.value;
    if (type === "list") {
      const items = text.split(",").map((s) => s.trim()).filter((s) => s !== "");
      if (!items.length && el.dataset.keepEmpty === undefined) return emptyAsNull ? null : NOTHING;
      return items.map((s) => convert(s, el.dataset.item || ""));
    }
    if (text.trim() === "") return emptyAsNull ? null : NOTHING;
    if (type === "auto") {
      const kind = autoType(el);
      return kind === "bool" ? convert(text.trim().toLowerCase(), "bool") : convert(text.trim(), kind);
    }
    return convert(type === "json" ? text : text.trim(), type);
  }

  /* Form fields to a JSON body; a name like "fields/height" nests ({"fields": {"height": ...}}). */
  function bodyOf(form) {
    const body = {};
    const emptyAsNull = form.dataset.empty === "null";
    for (const el of form.elements) {
      if (!el.name || el.disabled || el.type === "submit" || el.type === "button") continue;
      const value = valueOf(el, emptyAsNull);
      if (value === NOTHING) continue;
      const path = el.name.split("/");
      let node = body;
      for (const key of path.slice(0, -1)) node = node[key] = node[key] || {};
      node[path[path.length - 1]] = value;
    }
    return body;
  }

  /* ---- showing errors next to the fields they belong to ---- */

  function clearErrors(scope) {
    for (const p of scope.querySelectorAll(".field-error[data-error-for], .form-error")) {
      p.hidden = true;
      p.textContent = "";
    }
    for (const el of scope.querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
  }

  function slotFor(scope, field) {
    const slots = Array.from(scope.querySelectorAll(".field-error[data-error-for]"));
    const normal = field.replace(/^\/+/, "").replace(/\./g, "/");
    let best = null;
    for (const slot of slots) {
      const name = slot.dataset.errorFor;
      if (normal === name || normal.startsWith(name + "/")) {
        if (!best || name.length > best.dataset.errorFor.length) best = slot;
      }
    }
    return best;
  }

  function readable(field, message) {
    return field && !["body", ""].includes(field) ? `${field.replace(/^fields\//, "")}: ${message}` : message;
  }

  function showErrors(scope, error) {
    const formError = scope.querySelector(".form-error");
    const unmatched = [];
    let firstBad = null;
    for (const detail of Array.isArray(error.details) ? error.details : []) {
      const slot = detail && typeof detail.field === "string" ? slotFor(scope, detail.field) : null;
      if (!slot) {
        unmatched.push(readable(detail.field, detail.message));
        continue;
      }
      slot.textContent = slot.hidden || !slot.textContent ? detail.message : `${slot.textContent}; ${detail.message}`;
      slot.hidden = false;
      const input = scope.querySelector(`[name="${CSS.escape(slot.dataset.errorFor)}"]`);
      if (input) {
        input.setAttribute("aria-invalid", "true");
        firstBad = firstBad || input;
      }
    }
    const lead = error.details && error.details.length && !unmatched.length
      ? "Please correct the highlighted fields."
      : sentence(error.message);
    const text = [lead, ...unmatched].join(" ");
    if (formError) {
      formError.textContent = text;
      formError.hidden = false;
    } else {
      toast(text);
    }
    (firstBad || formError)?.focus?.();
  }

  function sentence(text) {
    const s = String(text || "Something went wrong.");
    const capital = s.charAt(0).toUpperCase() + s.slice(1);
    return /[.!?]$/.test(capital) ? capital : capital + ".";
  }

  /* ---- what happens after a change succeeded ---- */

  function after(el, data) {
    const target = el.dataset.redirect;
    const reveal = el.dataset.reveal && document.getElementById(el.dataset.reveal);
    if (reveal) {
      /* Something shown once (a plugin's token): fill it in where the page asks, hide the form. */
      for (const slot of reveal.querySelectorAll("[data-field]")) slot.textContent = data ? data[slot.dataset.field] : "";
      reveal.hidden = false;
      el.hidden = true;
      reveal.querySelector("a, button")?.focus();
    } else if (target) {
      window.location.assign(target.replace(/\{(\w+)\}/g, (_, key) => encodeURIComponent(data && data[key] ? data[key] : "")));
    } else if (el.dataset.then === "reload") {
      window.location.reload();
    }
  }

  async function submitApiForm(form) {
    clearErrors(form);
    const button = form.querySelector("[type=submit]");
    if (button) button.disabled = true;
    const result = await api(form.dataset.method || "POST", form.dataset.api, bodyOf(form));
    if (button) button.disabled = false;
    if (!result.ok) return showErrors(form, result.error);
    toast("Saved.");
    after(form, result.data);
  }

  async function linkAsset(form) {
    clearErrors(form);
    const assetId = form.elements.asset_id.value.trim().toLowerCase();
    const url = `/v1/entities/${form.dataset.linkAsset}/assets/${encodeURIComponent(assetId)}/link`;
    const result = await api("POST", url, {});
    if (!result.ok) {
      const notFound = result.status === 404 ? { message: "No stored file has this identifier.", details: [{ field: "asset_id", message: "No stored file has this identifier." }] } : result.error;
      return showErrors(form, notFound);
    }
    window.location.reload();
  }

  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (form.matches("form[data-api]")) {
      event.preventDefault();
      submitApiForm(form);
    } else if (form.matches("form[data-link-asset]")) {
      event.preventDefault();
      linkAsset(form);
    }
  });

  document.addEventListener("click", async (event) => {
    const button = event.target.closest("button[data-api]");
    if (!button) return;
    if (button.dataset.confirm && !window.confirm(button.dataset.confirm)) return;
    button.disabled = true;
    const body = button.dataset.body ? JSON.parse(button.dataset.body) : undefined;
    const result = await api(button.dataset.method || "POST", button.dataset.api, body);
    button.disabled = false;
    if (!result.ok) return showErrors(button.closest("section, form, main") || document.body, result.error);
    toast("Done.");
    after(button, result.data);
  });

  document.addEventListener("change", (event) => {
    const el = event.target;
    if (el.matches("input[type=file][data-upload-for]")) uploadAll(el);
    else if (el.matches("select[data-autosubmit]")) el.form.requestSubmit();
  });

  /* ---- uploads: one request per file, each with its own progress bar ---- */

  function uploadAll(input) {
    const list = input.closest("section").querySelector(".uploads");
    const files = Array.from(input.files);
    input.value = "";
    let pending = files.length;
    let failed = 0;
    for (const file of files) {
      upload(file, input.dataset.uploadFor, list).then((ok) => {
        failed += ok ? 0 : 1;
        pending -= 1;
        if (pending === 0 && failed === 0) setTimeout(() => window.location.reload(), 600);
      });
    }
  }

  function upload(file, entityId, list) {
    const row = document.createElement("li");
    const name = document.createElement("span");
    name.className = "upload-name";
    name.textContent = file.name;
    const bar = document.createElement("progress");
    bar.max = 100;
    bar.value = 0;
    bar.setAttribute("aria-label", `Upload of ${file.name}`);
    const state = document.createElement("span");
    state.className = "upload-state";
    state.textContent = "Waiting…";
    row.append(name, bar, state);
    list.append(row);
    const form = new FormData();
    form.append("entity_id", entityId);
    form.append("file", file, file.name);
    return new Promise((resolve) => {
      const xhr = new XMLHttpRequest();
      xhr.open("POST", "/v1/assets/upload");
      xhr.setRequestHeader(CSRF_HEADER, csrfToken());
      xhr.setRequestHeader("Accept", "application/json");
      xhr.upload.addEventListener("progress", (e) => {
        if (!e.lengthComputable) return;
        const percent = Math.round((e.loaded / e.total) * 100);
        bar.value = percent;
        state.textContent = `${percent}%`;
      });
      xhr.addEventListener("load", () => {
        let payload = null;
        try { payload = JSON.parse(xhr.responseText); } catch { payload = null; }
        if (xhr.status >= 200 && xhr.status < 300) {
          bar.value = 100;
          state.textContent = payload && payload.data && payload.data.deduplicated ? "Done (already stored, now attached)" : "Done";
          row.classList.add("ok");
          resolve(true);
        } else {
          const error = payload && payload.error ? payload.error : { message: `failed (${xhr.status})` };
          const details = (error.details || []).map((d) => readable(d.field, d.message)).join(" ");
          state.textContent = `Failed: ${sentence(error.message)} ${details}`.trim();
          row.classList.add("failed");
          resolve(false);
        }
      });
      xhr.addEventListener("error", () => {
        state.textContent = "Failed: FaceForge could not be reached.";
        row.classList.add("failed");
        resolve(false);
      });
      xhr.send(form);
    });
  }

  /* ---- suggestions while typing ---- */

  function debounce(fn, ms) {
    let timer = null;
    return (...args) => {
      clearTimeout(timer);
      timer = setTimeout(() => fn(...args), ms);
    };
  }

  const suggestTypes = debounce(async (input) => {
    const list = document.getElementById(input.dataset.suggestTypes);
    const result = await api("GET", `/v1/relation-types?query=${encodeURIComponent(input.value.trim())}&limit=15`);
    if (!result.ok || !list) return;
    list.replaceChildren(...result.data.map((t) => {
      const option = document.createElement("option");
      option.value = t.type;
      return option;
    }));
  }, 150);

  const searchEntities = debounce(async (input) => {
    const select = document.getElementById(input.dataset.entitySearch);
    const q = input.value.trim();
    const result = await api("GET", `/v1/entities?limit=20&sort_by=display_name&q=${encodeURIComponent(q)}`);
    if (!result.ok || !select) return;
    const found = result.data.items.filter((e) => e.entity_id !== input.dataset.exclude);
    const options = found.map((e) => {
      const option = document.createElement("option");
      option.value = e.entity_id;
      option.textContent = e.aliases.length ? `${e.display_name} (${e.aliases.join(", ")})` : e.display_name;
      return option;
    });
    if (!options.length) {
      const none = document.createElement("option");
      none.value = "";
      none.textContent = q ? "No entity with this name" : "Type a name above";
      options.push(none);
    }
    select.replaceChildren(...options);
  }, 200);

  document.addEventListener("input", (event) => {
    const el = event.target;
    if (el.matches("[data-suggest-types]")) suggestTypes(el);
    else if (el.matches("[data-entity-search]")) searchEntities(el);
  });

  document.addEventListener("focusin", (event) => {
    const el = event.target;
    if (el.matches("[data-suggest-types]") && !document.getElementById(el.dataset.suggestTypes).options.length) {
      suggestTypes(el);
    }
  });

  /* ---- a job's live progress and log (Server-Sent Events) ---- */

  const FINISHED = ["succeeded", "failed", "canceled"];

  function words(status) {
    const s = String(status).replace(/_/g, " ");
    return s.charAt(0).toUpperCase() + s.slice(1);
  }

  /* "2026-11-24T11:02:04.123Z" -> "2026-11-24 11:02 UTC", as the server renders it. */
  function when(stamp) {
    return stamp ? `${stamp.slice(0, 10)} ${stamp.slice(11, 16)} UTC` : "";
  }

  function showJob(job) {
    const status = document.getElementById("job-status");
    status.textContent = words(job.status);
    status.className = `status status-${job.status}`;
    document.getElementById("job").dataset.status = job.status;
    const p = job.progress || {};
    const bar = document.getElementById("job-progress");
    if (p.percent !== null && p.percent !== undefined) bar.value = p.percent;
    else if (job.status === "succeeded") bar.value = 100;
    document.getElementById("job-step").textContent = p.step || "";
    document.getElementById("job-counts").textContent = p.total ? `${p.current || 0} of ${p.total}` : "";
    const error = document.getElementById("job-error");
    error.hidden = !job.error;
    error.textContent = job.error ? job.error.message : "";
    if (job.result) {
      const list = document.getElementById("job-result-list");
      list.replaceChildren(...Object.keys(job.result).sort().flatMap((key) => {
        const dt = document.createElement("dt");
        dt.textContent = words(key);
        const dd = document.createElement("dd");
        const value = job.result[key];
        dd.textContent = typeof value === "object" ? JSON.stringify(value) : String(value);
        return [dt, dd];
      }));
      document.getElementById("job-result").hidden = false;
    }
    document.getElementById("cancel-job").hidden = FINISHED.includes(job.status);
    document.getElementById("job-started").textContent = when(job.started_at);
    document.getElementById("job-finished").textContent = when(job.finished_at);
  }

  function addLog(entry) {
    const item = document.createElement("li");
    item.className = `lvl-${entry.level}`;
    const level = document.createElement("span");
    level.className = "lvl";
    level.textContent = entry.level;
    item.append(level, " ", entry.message);
    const log = document.getElementById("job-log");
    log.append(item);
    document.getElementById("log-empty").hidden = true;
    item.scrollIntoView({ block: "nearest" });
  }

  function followJob(box) {
    if (FINISHED.includes(box.dataset.status)) return;
    const source = new EventSource(`/v1/jobs/${box.dataset.jobId}/events?after_id=${box.dataset.afterId || 0}`);
    source.addEventListener("log", (e) => addLog(JSON.parse(e.data)));
    source.addEventListener("job", (e) => showJob(JSON.parse(e.data)));
    source.addEventListener("end", (e) => {
      showJob(JSON.parse(e.data));
      source.close();
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    const job = document.getElementById("job");
    if (job) followJob(job);
  });
})();
