// The claim form: show the key field only for scopes that have one, and say what the value means.
(function () {
  "use strict";
  var kind = document.getElementById("id_scope_kind");
  var key = document.getElementById("id_scope_key");
  var value = document.getElementById("id_scope_value");
  if (!kind || !key || !value) {
    return;
  }
  var keyRow = key.closest("div");
  var hints = {
    account: { key: "", value: "12-digit AWS account id, e.g. 210987654321" },
    tag: { key: "tag key, e.g. team", value: "tag value, e.g. payments" },
    cost_category: { key: "cost category name, e.g. Environment", value: "category value, e.g. production" },
    service: { key: "", value: "service name as billed, e.g. Amazon Relational Database Service" },
  };
  function update() {
    var hint = hints[kind.value] || hints.account;
    var keyed = hint.key !== "";
    keyRow.classList.toggle("hidden", !keyed);
    if (!keyed) {
      key.value = "";
    }
    key.placeholder = hint.key;
    value.placeholder = hint.value;
    if (kind.value === "account") {
      value.setAttribute("inputmode", "numeric");
      value.setAttribute("pattern", "[0-9]{12}");
      value.setAttribute("maxlength", "12");
    } else {
      value.removeAttribute("inputmode");
      value.removeAttribute("pattern");
      value.setAttribute("maxlength", "256");
    }
  }
  kind.addEventListener("change", update);
  update();
})();
