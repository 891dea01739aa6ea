/* The meeting page during the meeting: save attendance, agenda ticks and minutes without reloading.
   Every form still works without this script (it posts and returns to the page); with it, forms marked
   data-autosave post in the background and say "Saved". */
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  function token(form) {
    var input = form.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function stateFor(form) {
    return form.querySelector(".save-state") ||
      (form.closest("#attendance") && document.getElementById("attendance-state"));
  }

  function show(form, text, failed) {
    var state = stateFor(form);
    if (!state) { return; }
    state.textContent = text;
    state.classList.toggle("failed", !!failed);
  }

  function send(form) {
    show(form, "Saving…", false);
    return fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      headers: { "Accept": "application/json", "X-CSRFToken": token(form) },
      credentials: "same-origin"
    }).then(function (response) {
      return response.json().catch(function () { return { ok: false }; }).then(function (data) {
        if (response.ok && data.ok) {
          show(form, data.saved_at ? "Saved at " + data.saved_at : "Saved", false);
          form.dataset.saved = "true";
          return data;
        }
        var errors = data.errors ? Object.keys(data.errors).map(function (k) { return k + ": " + JSON.stringify(data.errors[k]); }).join("; ") : response.statusText;
        show(form, "Not saved — " + errors, true);
        return null;
      });
    }).catch(function () {
      show(form, "Not saved — the connection dropped. Try again.", true);
    });
  }

  // Delegated: attendance radios live in table cells and join their row's form through form="...".
  document.addEventListener("change", function (event) {
    var form = event.target.form;
    if (!form || form.dataset.autosave !== "change") { return; }
    send(form).then(function (data) {
      if (!data) { return; }
      var item = form.closest(".agenda-item");
      if (item && typeof data.discussed === "boolean") { item.classList.toggle("discussed", data.discussed); }
      var row = form.closest("tr");
      if (row && data.status) { row.dataset.status = data.status; }
    });
  });
  document.querySelectorAll("form[data-autosave=change]").forEach(function (form) {
    form.addEventListener("submit", function (event) { event.preventDefault(); send(form); });
  });

  document.querySelectorAll("form[data-autosave=input]").forEach(function (form) {
    var timer = null;
    form.addEventListener("input", function () {
      show(form, "Unsaved changes", false);
      clearTimeout(timer);
      timer = setTimeout(function () { send(form); }, 1500);
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      clearTimeout(timer);
      send(form);
    });
  });
}());
