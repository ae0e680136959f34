/* Select many, act once: the checkboxes of a list feed its action bar (download as one ZIP, link to an
   entity, move to the trash, restore from it, tag, unlink). Each checkbox carries its record's id and
   API address. An action is the ordinary /v1 call per record (the bar says which failed), or one call to
   a bulk route (data-url; the bar's data-bulk-ids names the list it sends), where all change or none. */
(() => {
  "use strict";

  const { api, errorLine } = window.FaceForge;

  const bar = () => document.querySelector("[data-bulk]");
  const boxes = () => Array.from(document.querySelectorAll("input[data-select]"));
  const ticked = () => boxes().filter((b) => b.checked);
  const chosen = () => ticked().map((b) => b.value);

  function refresh() {
    const panel = bar();
    if (!panel) return;
    const n = chosen().length;
    panel.querySelector("[data-bulk-count]").textContent = n ? `${n} selected` : "Nothing selected";
    for (const button of panel.querySelectorAll("button")) button.disabled = !n;
    const all = document.querySelector("input[data-select-all]");
    if (all) {
      all.checked = n > 0 && n === boxes().length;
      all.indeterminate = n > 0 && n < boxes().length;
    }
  }

  document.addEventListener("change", (event) => {
    if (event.target.matches("input[data-select-all]")) {
      for (const b of boxes()) b.checked = event.target.checked;
    }
    if (event.target.matches("input[data-select], input[data-select-all]")) refresh();
  });

  /* One call per selected record; reload when all went through, else say which did not. */
  async function each(call) {
    const status = bar().querySelector("[data-bulk-status]");
    const failures = [];
    for (const box of ticked()) {
      const result = await call(box.value, box.dataset.base);
      if (!result.ok) failures.push(`${box.dataset.name}: ${errorLine(result.error)}`);
    }
    if (!failures.length) return window.location.reload();
    status.textContent = failures.join(" ");
    status.hidden = false;
  }

  /* One call to a bulk route with every selected id; then go on (data-redirect may hold {ids}), or say
     why not, naming each record a detail points at (``entity_ids/1``) by its name. */
  async function together(url, extra, redirect) {
    const names = ticked().map((b) => b.dataset.name);
    const ids = chosen();
    const result = await api("POST", url, { [bar().dataset.bulkIds]: ids, ...extra });
    if (result.ok) return redirect ? window.location.assign(redirect.replace("{ids}", ids.join(","))) : window.location.reload();
    const details = Array.isArray(result.error.details) ? result.error.details : [];
    const named = details.map((d) => {
      const place = /\/(\d+)$/.exec(d.field || "");
      return place && names[place[1]] !== undefined ? `${names[place[1]]}: ${d.message}.` : null;
    });
    const status = bar().querySelector("[data-bulk-status]");
    status.textContent = named.length && named.every(Boolean) ? named.join(" ") : errorLine(result.error);
    status.hidden = false;
  }

  document.addEventListener("click", (event) => {
    const button = event.target.closest("[data-bulk] button[data-bulk-action]");
    if (!button) return;
    if (button.dataset.confirm && !window.confirm(button.dataset.confirm)) return;
    const action = button.dataset.bulkAction;
    if (action === "post") {
      together(button.dataset.url, {}, button.dataset.redirect);
    } else if (action === "archive") {
      const query = chosen().map((id) => `id=${id}`).join("&");
      window.location.assign(`/v1/assets/archive?${query}`);
    } else if (action === "restore") {
      each((_, base) => api("POST", `${base}/restore`));
    }
  });

  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (form.matches("[data-bulk] form[data-bulk-tags]")) {
      event.preventDefault();
      const tags = form.elements.tags.value.split(",").map((t) => t.trim()).filter(Boolean);
      return together(form.dataset.url, { [event.submitter.value]: tags });
    }
    if (!form.matches("[data-bulk] form[data-bulk-link]")) return;
    event.preventDefault();
    const entity = form.elements.entity_id.value;
    each((id) => api("POST", `/v1/entities/${entity}/assets/${id}/link`, {}));
  });

  refresh();
})();
