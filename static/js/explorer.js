// Progressive enhancement only: the explorer works as a plain GET form without this file.
// htmx swaps the results in place and keeps the address bar in sync (hx-push-url).
document.addEventListener("htmx:afterSwap", function (event) {
  var heading = document.getElementById("results-heading");
  if (event.detail.target && event.detail.target.id === "explorer" && heading) {
    heading.setAttribute("tabindex", "-1");
  }
});
