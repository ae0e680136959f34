/* The Fields page: a new field's key follows its label ("Eye colour" -> "eye_colour") until the key is
   typed by hand, so the key is never the first thing a person has to invent. */
(() => {
  "use strict";

  /* Lowercase letters, digits and underscores, starting with a letter, at most 64 characters. */
  function keyOf(label) {
    const words = label.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase().match(/[a-z0-9]+/g) || [];
    const key = words.join("_").replace(/^[0-9_]+/, "");
    return key.slice(0, 64).replace(/_+$/, "");
  }

  document.addEventListener("input", (event) => {
    const el = event.target;
    if (el.matches("[data-key-from-label]")) {
      const key = document.getElementById(el.dataset.keyFromLabel);
      if (key && !key.dataset.typed) key.value = keyOf(el.value);
    } else if (el.name === "field_key") {
      el.dataset.typed = el.value ? "yes" : "";
    }
  });
})();
