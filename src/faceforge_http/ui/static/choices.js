/* Choice fields: a list of choices (a <select multiple>) is sent as the JSON list of what is picked,
   kept in its hidden input; the descriptor form's value follows the field chosen (a Choice field's
   values in its <template data-choices-for>, rendered by the server; any other field's value typed). */
(() => {
  "use strict";

  document.addEventListener("change", (event) => {
    const select = event.target.closest("select[data-choices-into]");
    if (!select) return;
    const picked = Array.from(select.selectedOptions, (o) => o.value);
    document.getElementById(select.dataset.choicesInto).value = picked.length ? JSON.stringify(picked) : "";
  });

  const typed = document.getElementById("d-value");
  document.addEventListener("input", (event) => {
    if (event.target.id !== "d-key") return;
    const template = document.querySelector(`template[data-choices-for="${CSS.escape(event.target.value.trim())}"]`);
    const wanted = template ? template.content.firstElementChild.cloneNode(true) : typed;
    document.getElementById("d-value").replaceWith(wanted);
  });
})();
