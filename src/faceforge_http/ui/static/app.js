/* FaceForge web UI behaviour. Pages are rendered by the server; every change goes to the /v1 JSON API
   with the CSRF header, so the UI follows the same rules as any other client. Handlers are
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
    const payload = await response.json().catch(() => null);
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

  /* An API error as one line: its message, then each detail as "field: message". */
  function errorLine(error) {
    const details = (Array.isArray(error.details) ? error.details : []).map((d) => readable(d.field, d.message));
    return [sentence(error.message), ...details].join(" ");
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
    if (el.matches("select[data-autosubmit]")) el.form.requestSubmit();
  });

  /* Escape closes the focused (or last opened) slide-out form and refocuses its button; on window,
     so a picker's Escape closing its list stops it first. */
  window.addEventListener("keydown", (event) => {
    const form = "details[open]:has(> form)";
    const open = event.key === "Escape" && (event.target.closest?.(form) || [...document.querySelectorAll(form)].pop());
    if (!open) return;
    open.open = false;
    open.querySelector("summary").focus();
  });

  /* A part's newest answer, or null for an older one arriving late. */
  const asked = new WeakMap();
  async function newest(part, request) {
    const turn = {};
    asked.set(part, turn);
    const result = request && (await request());
    return asked.get(part) === turn ? result : null;
  }

  /* Shared with the other scripts. */
  window.FaceForge = { api, csrfToken, errorLine, newest, CSRF_HEADER };
})();
