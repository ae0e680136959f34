/* The folder picker (the import form's, the backup form's): browses the folders the server lets the
   user pick (GET /v1/import-folders), one level at a time, and puts the chosen one in the form's field. */
(() => {
  "use strict";

  const picker = document.getElementById("folder-picker");
  if (!picker) return;
  const input = document.getElementById(picker.dataset.for);
  const toggle = document.getElementById("folder-browse");
  const here = document.getElementById("folder-here");
  const list = document.getElementById("folder-list");
  const up = document.getElementById("folder-up");
  const use = document.getElementById("folder-use");
  const error = document.getElementById("folder-error");
  let current = null;

  function folderButton(folder) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "link folder";
    button.textContent = folder.name;
    button.title = folder.path;
    button.setAttribute("aria-label", `Open ${folder.name}`);
    button.addEventListener("click", () => show(folder.path));
    const item = document.createElement("li");
    item.append(button);
    return item;
  }

  async function show(path) {
    const query = path ? `?path=${encodeURIComponent(path)}` : "";
    const { api, newest } = window.FaceForge;
    const result = await newest(picker, () => api("GET", `/v1/import-folders${query}`));
    if (!result) return; /* another folder opened since */
    error.hidden = result.ok;
    if (!result.ok) {
      error.textContent = window.FaceForge.errorLine(result.error);
      return;
    }
    const view = result.data;
    current = view.path;
    here.textContent = view.path || picker.dataset.rootsLabel || "Folders you may import from";
    up.hidden = !view.path;
    use.disabled = !view.path;
    use.setAttribute("aria-label", view.path ? `Use the folder ${view.path}` : "Use this folder");
    const items = view.folders.map(folderButton);
    if (!items.length) {
      const none = document.createElement("li");
      none.className = "muted";
      none.textContent = "No folders inside.";
      items.push(none);
    }
    list.replaceChildren(...items);
    up.dataset.parent = view.parent || "";
    (list.querySelector("button") || use).focus();
  }

  toggle.addEventListener("click", () => {
    const opening = picker.hidden;
    picker.hidden = !opening;
    toggle.setAttribute("aria-expanded", String(opening));
    if (opening) show(input.value.trim() || null);
  });
  up.addEventListener("click", () => show(up.dataset.parent || null));
  use.addEventListener("click", () => {
    input.value = current;
    picker.hidden = true;
    toggle.setAttribute("aria-expanded", "false");
    input.focus();
  });
})();
