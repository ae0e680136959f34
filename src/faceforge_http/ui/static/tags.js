/* Tag boxes: the tags starting with the word typed last, with counts. */
(() => {
  let timer = 0;
  async function suggest(input) {
    const words = input.value.split(",").map((w) => w.trim());
    const typed = words.pop();
    const { api, newest } = window.FaceForge;
    const found = await newest(input, () => api("GET", `/v1/entity-tags?prefix=${encodeURIComponent(typed)}`));
    if (found && found.ok) {
      const kept = words.filter((w) => w);
      input.list.replaceChildren(...found.data.map((t) => new Option(`${t.tag} (${t.count})`, [...kept, t.tag].join(", "))));
    }
  }
  document.addEventListener("input", (event) => {
    if (!event.target.matches("#tag, #bulk-tags")) return;
    clearTimeout(timer);
    timer = setTimeout(() => suggest(event.target), 150);
  });
})();
