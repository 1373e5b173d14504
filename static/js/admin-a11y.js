// Accessible names the stock Django admin leaves out (found by axe-core in tests/e2e):
// - controls in tabular inline rows have only a column header, not a <label>: name them after it;
// - select2 (autocomplete_fields) builds a combobox, a read-only textbox and a search box with no
//   name, and puts a <span> straight inside a <ul>.
// The fixes run again whenever the admin adds an inline row or select2 rebuilds a widget.
(function () {
  "use strict";

  function columnHeader(control) {
    var cell = control.closest("td");
    var table = cell && cell.closest("table");
    var head = table && table.tHead && table.tHead.rows[0];
    var th = head && head.cells[cell.cellIndex];
    return th ? th.textContent.replace(/\s+/g, " ").trim() : "";
  }

  function labelText(control) {
    var label = control.id && document.querySelector('label[for="' + control.id + '"]');
    return label ? label.textContent.replace(/\s+/g, " ").replace(/:$/, "").trim() : columnHeader(control);
  }

  function nameInlineControls(root) {
    root.querySelectorAll(".tabular td input:not([type=hidden]), .tabular td select, .tabular td textarea").forEach(
      function (control) {
        if (control.labels && control.labels.length) return;
        if (control.getAttribute("aria-label") || control.getAttribute("aria-labelledby")) return;
        var name = columnHeader(control);
        if (name) control.setAttribute("aria-label", name);
      }
    );
  }

  function nameSelect2(root) {
    root.querySelectorAll(".select2-container").forEach(function (container) {
      var select = container.previousElementSibling;
      if (!select || select.tagName !== "SELECT") return;
      var name = labelText(select);
      if (!name) return;
      var combobox = container.querySelector(".select2-selection[role=combobox]");
      if (combobox && combobox.getAttribute("aria-label") !== name) {
        // The rendered value stays part of the name: "Drug class Gabapentinoids".
        var nameId = select.id + "-a11y-name";
        if (!document.getElementById(nameId)) {
          var span = document.createElement("span");
          span.id = nameId;
          span.hidden = true;
          span.textContent = name;
          container.appendChild(span);
        }
        var rendered = container.querySelector(".select2-selection__rendered[id]");
        var labelledby = nameId + (rendered ? " " + rendered.id : "");
        combobox.setAttribute("aria-labelledby", labelledby);
        combobox.setAttribute("aria-label", name);
        // An empty single select renders a role=textbox span with no text: name it the same way.
        if (rendered && rendered.getAttribute("role")) rendered.setAttribute("aria-labelledby", labelledby);
      }
      container.querySelectorAll(".select2-search__field").forEach(function (field) {
        if (field.getAttribute("aria-label") !== name) field.setAttribute("aria-label", name);
      });
      container.querySelectorAll("ul.select2-selection__rendered:not([role])").forEach(function (list) {
        list.setAttribute("role", "none");
      });
    });
  }

  function fix() {
    nameInlineControls(document);
    nameSelect2(document);
  }

  var queued = false;
  function queue() {
    if (queued) return;
    queued = true;
    window.requestAnimationFrame(function () {
      queued = false;
      fix();
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    fix();
    new MutationObserver(queue).observe(document.body, { childList: true, subtree: true });
  });
})();
