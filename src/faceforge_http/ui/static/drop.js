/* Drag and drop: files (and folders, where the browser hands them over as entries) dropped anywhere on a
   page with an uploader go up through that uploader's input (live.js, resumable.js for big files), as
   if chosen in it. Loaded after live.js on the pages that upload. */
(() => {
  "use strict";

  const zone = () => document.querySelector("[data-drop-into]");
  const carriesFiles = (event) => Array.from(event.dataTransfer?.types || []).includes("Files");

  /* Every file under a dropped folder; readEntries answers in batches until it answers none. */
  async function filesIn(entry) {
    if (entry.isFile) return [await new Promise((resolve, reject) => entry.file(resolve, reject))];
    const reader = entry.createReader();
    const found = [];
    for (;;) {
      const batch = await new Promise((resolve, reject) => reader.readEntries(resolve, reject));
      if (!batch.length) return found;
      for (const child of batch) found.push(...(await filesIn(child)));
    }
  }

  /* The dropped items, read while the drop event lasts (the list is emptied after it). */
  async function droppedFiles(transfer) {
    const items = Array.from(transfer.items || []).filter((item) => item.kind === "file");
    const taken = items.map((item) => [item.webkitGetAsEntry?.(), item.getAsFile()]);
    const files = [];
    for (const [entry, file] of taken) {
      if (entry && entry.isDirectory) files.push(...(await filesIn(entry)));
      else if (file) files.push(file);
    }
    return files.length || items.length ? files : Array.from(transfer.files);
  }

  function highlight(on) {
    zone()?.classList.toggle("dropping", on);
  }

  for (const type of ["dragenter", "dragover"]) {
    document.addEventListener(type, (event) => {
      if (!zone() || !carriesFiles(event)) return;
      event.preventDefault();
      event.dataTransfer.dropEffect = "copy";
      highlight(true);
    });
  }

  document.addEventListener("dragleave", (event) => {
    if (!event.relatedTarget) highlight(false); /* left the window */
  });

  document.addEventListener("drop", async (event) => {
    const box = zone();
    if (!box || !carriesFiles(event)) return;
    event.preventDefault();
    highlight(false);
    const files = await droppedFiles(event.dataTransfer);
    if (files.length) window.FaceForge.uploadAll(document.getElementById(box.dataset.dropInto), files);
  });
})();
