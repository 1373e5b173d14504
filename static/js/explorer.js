// Progressive enhancement only: the explorer works as a plain GET form without this file.
// htmx swaps the results in place and keeps the address bar in sync (hx-push-url).
document.addEventListener("htmx:afterSwap", function (event) {
  var heading = document.getElementById("results-heading");
  if (event.detail.target && event.detail.target.id === "explorer" && heading) {
    heading.setAttribute("tabindex", "-1");
  }
});

// Medicine boxes (templates/treatments/_drug_names.html) suggest generic names as you type, from the
// read-only API's drug search (plan drugs) or medicine vocabulary search (current medicines). Without this script the box still takes a typed name.
(function () {
  function attach(input) {
    if (input.list || !input.dataset.suggestUrl) return;
    var list = document.createElement("datalist");
    list.id = input.id + "-suggestions";
    input.insertAdjacentElement("afterend", list);
    input.setAttribute("list", list.id);
    var timer = null;
    var last = "";
    input.addEventListener("input", function () {
      clearTimeout(timer);
      var text = input.value.trim();
      if (text.length < 2 || text === last || text.indexOf(",") !== -1) return;
      timer = setTimeout(function () {
        last = text;
        fetch(input.dataset.suggestUrl + "?search=" + encodeURIComponent(text), {
          headers: { Accept: "application/json" },
        })
          .then(function (response) { return response.ok ? response.json() : { results: [] }; })
          .then(function (data) {
            var options = (data.results || []).slice(0, 10).map(function (drug) {
              var option = document.createElement("option");
              option.value = drug.generic_name || drug.name;
              return option;
            });
            list.replaceChildren.apply(list, options);
          })
          .catch(function () { /* suggestions are optional */ });
      }, 250);
    });
  }
  function scan(root) {
    root.querySelectorAll(".drug-names input[type=text]").forEach(attach);
  }
  document.addEventListener("DOMContentLoaded", function () { scan(document); });
  document.addEventListener("htmx:afterSwap", function (event) { scan(event.detail.target || document); });
})();
