// "All metadata": the dump of a file's tags is fetched the first time its panel is opened, never
// carried in the page itself (a camera file holds thousands of tags).
"use strict";

document.addEventListener("toggle", async (event) => {
  const panel = event.target;
  if (!(panel instanceof HTMLDetailsElement) || !panel.open || !panel.dataset.load || panel.dataset.loaded) {
    return;
  }
  panel.dataset.loaded = "1";
  const body = panel.querySelector(".metadata-body");
  try {
    const response = await fetch(panel.dataset.load, { credentials: "same-origin", redirect: "error" });
    if (!response.ok) throw new Error(`the server answered ${response.status}`);
    body.innerHTML = await response.text(); // server-rendered, every value escaped by the template
  } catch (error) {
    delete panel.dataset.loaded; // closing and opening the panel tries again
    body.textContent = `The metadata could not be loaded (${error.message}). Close and open to try again.`;
  }
}, true);
