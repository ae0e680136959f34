/* Pickers: choose an entity (by name or other name) or a stored file (by file name, narrowed by kind
   and day taken) by typing, instead of pasting a 64-character identifier. ARIA 1.2 combobox with a
   listbox popup: arrow keys move, Enter picks, Escape closes (then clears). The visible box holds the
   name; a hidden input holds the identifier the form sends. A name that matches nothing is refused
   here, in words, before any request. */
(() => {
  "use strict";

  const { api, newest } = window.FaceForge;

  const SOURCES = {
    entity: {
      noun: "entity",
      one: "an entity",
      many: "entities",
      url: (q) => `/v1/entities?limit=12&sort_by=display_name&q=${encodeURIComponent(q)}`,
      none: (q) => `No entity is called “${q}”.`,
      id: (e) => e.entity_id,
      name: (e) => e.display_name,
      names: (e) => [e.display_name, ...e.aliases],
      detail: (e) => (e.aliases.length ? `also ${e.aliases.join(", ")}` : ""),
    },
    asset: {
      noun: "file",
      one: "a file",
      many: "files",
      url: (q, box) => `/v1/assets?limit=12${q ? `&q=${encodeURIComponent(q)}` : ""}${narrowing(box)}`,
      none: (q, box) => (narrowing(box) ? "No file matches" : "No file is called") + (q ? ` “${q}”.` : " these filters."),
      id: (a) => a.asset_id,
      name: (a) => a.filename,
      names: (a) => [a.filename],
      detail: (a) => [a.kind, a.facts.taken_at ? `taken ${a.facts.taken_at.slice(0, 10)}` : "", `added ${a.created_at.slice(0, 10)}`].filter(Boolean).join(" · "),
    },
  };

  /* The query the file picker's filters add: a kind's own query, and the days taken (both included). */
  function narrowing(box) {
    const parts = [];
    for (const el of box.querySelectorAll("[data-picker-filter]")) {
      if (!el.value) continue;
      const filter = el.dataset.pickerFilter;
      if (filter === "query") parts.push(el.value);
      else if (filter === "taken_after") parts.push(`taken_after=${el.value}`);
      else parts.push(`taken_before=${nextDay(el.value)}`);
    }
    return parts.map((p) => `&${p}`).join("");
  }

  const nextDay = (day) => new Date(Date.parse(day) + 86400000).toISOString().slice(0, 10);

  const parts = (box) => ({
    input: box.querySelector("[role=combobox]"),
    list: box.querySelector("[role=listbox]"),
    picked: box.querySelector("input[type=hidden]"),
    error: box.querySelector(".field-error"),
    source: SOURCES[box.dataset.picker],
  });

  function say(box, message) {
    const { input, error } = parts(box);
    error.textContent = message;
    error.hidden = !message;
    if (message) input.setAttribute("aria-invalid", "true");
    else input.removeAttribute("aria-invalid");
  }

  const required = (input) => input.getAttribute("aria-required") === "true";

  function close(box) {
    const { input, list } = parts(box);
    list.hidden = true;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
  }

  /* The records matching what is typed, without the excluded one (an entity cannot relate to itself). */
  async function matches(box, q) {
    const { source } = parts(box);
    const result = await api("GET", source.url(q, box));
    if (!result.ok) return null;
    return result.data.items.filter((item) => source.id(item) !== box.dataset.exclude);
  }

  function show(box, items, q) {
    const { input, list, source } = parts(box);
    const options = items.map((item, n) => {
      const li = document.createElement("li");
      li.id = `${list.id}-${n}`;
      li.setAttribute("role", "option");
      li.setAttribute("aria-selected", "false");
      li.dataset.id = source.id(item);
      li.dataset.name = source.name(item);
      const name = document.createElement("span");
      name.textContent = source.name(item);
      const detail = document.createElement("span");
      detail.className = "muted small";
      detail.textContent = source.detail(item);
      li.append(name, " ", detail);
      return li;
    });
    if (!options.length) {
      const none = document.createElement("li");
      none.className = "muted";
      none.setAttribute("aria-disabled", "true");
      none.textContent = source.none(q, box);
      options.push(none);
    }
    list.replaceChildren(...options);
    list.hidden = false;
    input.setAttribute("aria-expanded", "true");
  }

  /* Show what matches now (never an older answer arriving last). */
  async function refresh(box, q) {
    const items = await newest(box, () => matches(box, q));
    if (items) show(box, items, q);
  }

  function pick(box, option) {
    const { input, picked } = parts(box);
    picked.value = option.dataset.id;
    input.value = option.dataset.name;
    say(box, "");
    close(box);
  }

  function move(box, step) {
    const { input, list } = parts(box);
    const options = Array.from(list.querySelectorAll("[role=option]"));
    if (!options.length) return;
    const now = options.findIndex((o) => o.getAttribute("aria-selected") === "true");
    const next = options[(now + step + options.length) % options.length];
    for (const o of options) o.setAttribute("aria-selected", String(o === next));
    input.setAttribute("aria-activedescendant", next.id);
    next.scrollIntoView({ block: "nearest" });
  }

  /* A filter changed: show what matches now, with or without a name typed. */
  document.addEventListener("change", (event) => {
    const box = event.target.closest("[data-picker]");
    if (!box || !event.target.matches("[data-picker-filter]")) return;
    refresh(box, parts(box).input.value.trim());
  });

  let timer = null;
  document.addEventListener("input", (event) => {
    const box = event.target.closest("[data-picker]");
    if (!box || event.target !== parts(box).input) return;
    parts(box).picked.value = "";
    say(box, "");
    newest(box); /* older answers are old now */
    clearTimeout(timer);
    const q = event.target.value.trim();
    if (!q && !narrowing(box)) return close(box);
    timer = setTimeout(() => refresh(box, q), 150);
  });

  document.addEventListener("keydown", (event) => {
    const box = event.target.closest("[data-picker]");
    if (!box || event.target !== parts(box).input) return;
    const { list } = parts(box);
    const open = !list.hidden;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      if (open) move(box, event.key === "ArrowDown" ? 1 : -1);
      else if (event.target.value.trim() || narrowing(box)) event.target.dispatchEvent(new Event("input", { bubbles: true }));
    } else if (event.key === "Enter" && open) {
      const active = list.querySelector("[aria-selected=true]");
      if (active) {
        event.preventDefault();
        pick(box, active);
      }
    } else if (event.key === "Escape" && (open || event.target.value)) {
      event.stopPropagation(); /* not also closing the form around the box */
      if (open) close(box);
      else {
        event.target.value = "";
        parts(box).picked.value = "";
      }
    }
  });

  document.addEventListener("mousedown", (event) => {
    if (event.target.closest("[data-picker] [role=option]")) event.preventDefault(); /* keep focus in the box */
  });

  document.addEventListener("click", (event) => {
    const option = event.target.closest("[data-picker] [role=option]");
    if (option) pick(option.closest("[data-picker]"), option);
  });

  document.addEventListener("focusout", (event) => {
    const box = event.target.closest("[data-picker]");
    if (box && !box.contains(event.relatedTarget)) close(box);
  });

  /* A name typed but not picked from the list: take the record whose name (or other name) it is exactly,
     or say in words that there is none, before the form's own handler sends anything. */
  async function resolve(box) {
    const { input, picked, source } = parts(box);
    const typed = input.value.trim();
    if (picked.value || !typed) {
      if (!typed && required(input)) say(box, `Choose ${source.one} from the list.`);
      return Boolean(picked.value) || !required(input);
    }
    const items = (await matches(box, typed)) || [];
    const same = items.filter((item) => source.names(item).some((n) => n.toLowerCase() === typed.toLowerCase()));
    if (same.length === 1) {
      picked.value = source.id(same[0]);
      return true;
    }
    say(box, same.length
      ? `Several ${source.many} are called “${typed}”: choose one from the list.`
      : `No ${source.noun} is called “${typed}”.`);
    if (same.length) show(box, same, typed);
    else close(box); /* the message is said once, under the box */
    return false;
  }

  /* Ready to send: every picker holds a picked identifier, or is optional and empty. */
  const ready = (box) => {
    const { input, picked } = parts(box);
    return Boolean(picked.value) || (!input.value.trim() && !required(input));
  };

  document.addEventListener("submit", async (event) => {
    const form = event.target;
    const boxes = Array.from(form.querySelectorAll("[data-picker]"));
    if (boxes.every(ready)) return;
    event.preventDefault();
    event.stopImmediatePropagation();
    const results = [];
    for (const box of boxes) results.push(await resolve(box));
    const bad = boxes.find((_, n) => !results[n]);
    if (bad) return parts(bad).input.focus();
    setTimeout(() => form.requestSubmit()); /* a new task: a form ignores requestSubmit while it is submitting */
  }, true);
})();
