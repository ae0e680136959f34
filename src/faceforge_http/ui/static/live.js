/* FaceForge web UI, live parts: uploads with per-file progress (big files resumable, see resumable.js),
   suggestions while typing, and a job's progress and log over Server-Sent Events. Loaded only on the pages that use them, after app.js. */
(() => {
  "use strict";

  const { api, csrfToken, errorLine, newest, CSRF_HEADER } = window.FaceForge;

  document.addEventListener("change", (event) => {
    if (event.target.matches("input[type=file][data-upload-for]")) uploadAll(event.target, Array.from(event.target.files));
  });

  /* ---- uploads: each file on its own, with a progress bar and a Cancel button ----
     Files from the page's threshold up go through resumable.js (tus); smaller ones in one request. */

  /* Files chosen in the input, or dropped on the page (drop.js), go up through the same input's settings. */
  function uploadAll(input, files) {
    const list = input.closest("section").querySelector(".uploads");
    input.value = "";
    let pending = files.length;
    let failed = 0;
    for (const file of files) {
      upload(file, input, list).then((ok) => {
        failed += ok ? 0 : 1;
        pending -= 1;
        if (pending === 0 && failed === 0) setTimeout(() => window.location.reload(), 600);
      });
    }
  }

  /* One file's line in the list: name, bar, state, Cancel. */
  class UploadRow {
    constructor(file, list) {
      this.size = file.size;
      this.row = document.createElement("li");
      const name = document.createElement("span");
      name.className = "upload-name";
      name.textContent = file.name;
      this.bar = document.createElement("progress");
      this.bar.max = 100;
      this.bar.value = 0;
      this.bar.setAttribute("aria-label", `Upload of ${file.name}`);
      this.state = document.createElement("span");
      this.state.className = "upload-state";
      this.state.textContent = "Waiting…";
      this.cancel = document.createElement("button");
      this.cancel.type = "button";
      this.cancel.className = "small";
      this.cancel.textContent = "Cancel";
      this.cancel.setAttribute("aria-label", `Cancel the upload of ${file.name}`);
      this.row.append(name, this.bar, this.state, this.cancel);
      list.append(this.row);
    }

    percent(bytes) {
      return this.size ? Math.floor((bytes / this.size) * 100) : 100;
    }

    progress(bytes, prefix = "") {
      this.bar.value = this.percent(bytes);
      this.state.textContent = `${prefix}${this.percent(bytes)}%`;
    }

    end(ok, text) {
      if (ok) this.bar.value = 100;
      this.state.textContent = text;
      this.row.classList.add(ok ? "ok" : "failed");
      this.cancel.remove();
    }
  }

  function upload(file, input, list) {
    const row = new UploadRow(file, list);
    const resumableFrom = Number(input.dataset.resumableFrom);
    if (resumableFrom && file.size >= resumableFrom && window.FaceForge.ResumableUpload) {
      return uploadResumable(file, input.dataset.uploadFor, Number(input.dataset.chunkBytes), row);
    }
    return uploadAtOnce(file, input.dataset.uploadFor, row);
  }

  async function uploadResumable(file, entityId, chunkBytes, row) {
    const transfer = new window.FaceForge.ResumableUpload(file, entityId, chunkBytes, {
      progress: (bytes) => row.progress(bytes),
      resumed: (offset) => row.progress(offset, "Resuming at "),
      retrying: (ms) => { row.state.textContent = `Connection lost, trying again in ${Math.ceil(ms / 1000)} s…`; },
    });
    row.cancel.addEventListener("click", () => transfer.cancel());
    try {
      await transfer.start();
      row.end(true, "Done");
      return true;
    } catch (error) {
      if (error instanceof window.FaceForge.UploadCanceled) row.end(false, "Canceled");
      else row.end(false, `Failed: ${error.message}`);
      return false;
    }
  }

  function uploadAtOnce(file, entityId, row) {
    const form = new FormData();
    if (entityId) form.append("entity_id", entityId);
    form.append("file", file, file.name);
    return new Promise((resolve) => {
      const xhr = new XMLHttpRequest();
      xhr.open("POST", "/v1/assets/upload");
      xhr.setRequestHeader(CSRF_HEADER, csrfToken());
      xhr.setRequestHeader("Accept", "application/json");
      row.cancel.addEventListener("click", () => xhr.abort());
      xhr.upload.addEventListener("progress", (e) => {
        if (e.lengthComputable) row.progress(e.loaded * (row.size / e.total));
      });
      xhr.addEventListener("load", () => {
        let payload = null;
        try { payload = JSON.parse(xhr.responseText); } catch { payload = null; }
        if (xhr.status >= 200 && xhr.status < 300) {
          row.end(true, payload && payload.data && payload.data.deduplicated ? "Done (already stored, now attached)" : "Done");
          resolve(true);
        } else {
          const error = payload && payload.error ? payload.error : { message: `failed (${xhr.status})` };
          row.end(false, `Failed: ${errorLine(error)}`);
          resolve(false);
        }
      });
      xhr.addEventListener("error", () => {
        row.end(false, "Failed: FaceForge could not be reached.");
        resolve(false);
      });
      xhr.addEventListener("abort", () => {
        row.end(false, "Canceled");
        resolve(false);
      });
      xhr.send(form);
    });
  }

  window.FaceForge.uploadAll = uploadAll;

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
    const query = encodeURIComponent(input.value.trim());
    const result = await newest(input, () => api("GET", `/v1/relation-types?query=${query}&limit=15`));
    if (!result || !result.ok || !list) return;
    list.replaceChildren(...result.data.map((t) => {
      const option = document.createElement("option");
      option.value = t.type;
      return option;
    }));
  }, 150);

  document.addEventListener("input", (event) => {
    const el = event.target;
    if (el.matches("[data-suggest-types]")) suggestTypes(el);
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

  const UNITS = ["bytes", "KB", "MB", "GB", "TB"];

  /* As the server's file_size: 1536 -> "1.5 KB". */
  function fileSize(size) {
    let value = size;
    let unit = 0;
    while (value >= 1024 && unit < UNITS.length - 1) {
      value /= 1024;
      unit += 1;
    }
    return unit === 0 ? `${size} bytes` : `${value.toFixed(1)} ${UNITS[unit]}`;
  }

  /* As the server's progress_text: the bar's percent, then files and bytes, "Stopped at" when cut short. */
  function progressText(p, status) {
    const parts = [];
    if (p.percent !== null && p.percent !== undefined) parts.push(`${Math.trunc(p.percent)}%`);
    if (p.total) parts.push(`${p.current || 0} of ${p.total} ${p.total === 1 ? "file" : "files"}`);
    if (p.bytes_total) parts.push(`${fileSize(p.bytes_current || 0)} of ${fileSize(p.bytes_total)}`);
    const text = parts.join(" · ");
    return text && ["canceled", "failed"].includes(status) ? `Stopped at ${text}` : text;
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
    document.getElementById("job-counts").textContent = progressText(p, job.status);
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
      if (box.dataset.reloadAtEnd !== undefined) window.location.reload();  // the result in words
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    const job = document.getElementById("job");
    if (job) followJob(job);
  });
})();
